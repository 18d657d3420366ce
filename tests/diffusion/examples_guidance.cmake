# `diffusion_guidance` (examples/diffusion_guidance): sampling with the exact mixture8 denoiser
# (NFE counts exact: euler, n steps, cfg costs 2n per sample), a 2-epoch model trained and sampled
# with AG, LinearAG fitted to a file and used, the comparison table, and bad input ending with
# exit code 2 and one line naming it. The runs share the folder guidance_work, emptied first;
# each run costs ~1 s of library loading, so they are few.
if(TARGET diffusion_guidance)
  set(s diffusion_guidance)
  deepsolve_program_suite(${s} PROGRAM diffusion_guidance
                          FOLDER ${CMAKE_CURRENT_BINARY_DIR}/guidance_work LABELS diffusion)
  set(check SCRIPT ${CMAKE_CURRENT_LIST_DIR}/check_guidance_output.cmake)

  # Full CFG with the exact denoiser: 50 samples x 10 Euler steps x 2 NFEs; the samples of the
  # guided conditional are close to the true one (w = 1.5 sharpens them a little).
  deepsolve_suite_test(${s} exact_cfg SETUP guidance_exact_cfg
    ARGS sample --exact --data mixture8 --label 2 --count 50 --sampler euler --steps 10
         --guidance cfg --scale 1.5 --json cfg.json --samples-out cfg.csv
    REGEX "NFEs 1000 \\(20\\.00 per sample\\)")
  deepsolve_suite_check(${s} exact_cfg_output ${check} REQUIRES guidance_exact_cfg
    DEFINES -DJSON=cfg.json -DNFE=1000 -DSWD_BELOW=0.2 -DCSV=cfg.csv -DCSV_ROWS=50)

  deepsolve_suite_test(${s} train SETUP guidance_model
    ARGS train --data mixture8 --count 2000 --validation 200 --epochs 2 --batch 250 --hidden 32
         --layers 2 --out tiny.dsm --quiet --json train.json
    REGEX "trained 2 epochs \\(16 steps\\).*\nwrote tiny.dsm")
  # AG on the trained model, Heun 8 steps = 15 evaluations: between 15 and 30 NFEs per sample.
  deepsolve_suite_test(${s} sample_ag REQUIRES guidance_model SETUP guidance_ag
    ARGS sample --model tiny.dsm --label 1 --count 100 --sampler heun --steps 8 --guidance ag
         --scale 3 --gamma-bar 0.99 --json ag.json)
  deepsolve_suite_check(${s} sample_ag_output ${check} REQUIRES guidance_ag
    DEFINES -DJSON=ag.json -DNFE_RANGE=1500:3000)

  deepsolve_suite_test(${s} fit_linear_ag SETUP guidance_lag
    ARGS fit-linear-ag --exact --data mixture8 --sampler euler --steps 12 --scale 3 --per-label 16
         --out lag.bin
    REGEX "[1-9][0-9]* of 12 evaluations predicted.*wrote lag.bin")
  deepsolve_suite_test(${s} sample_linear_ag REQUIRES guidance_lag SETUP guidance_lag_sample
    ARGS sample --exact --data mixture8 --label 5 --count 40 --sampler euler --steps 12
         --guidance linear-ag --linear-ag lag.bin --scale 3 --json lag.json)
  deepsolve_suite_check(${s} sample_linear_ag_output ${check} REQUIRES guidance_lag_sample
    DEFINES -DJSON=lag.json -DNFE_RANGE=480:920)

  deepsolve_suite_test(${s} compare
    ARGS compare --exact --data mixture8 --label 0 --count 100 --steps 12 --scale 3
         --linear-ag-per-label 8 --csv compare.csv
    REGEX "none +12\\.00 +50\\.0%.*\ncfg +24\\.00 +0\\.0%.*\nag .*\nlinear-ag .*wrote compare.csv")

  # Bad input: one line naming it, exit code 2.
  deepsolve_suite_test(${s} unknown_sampler EXIT_CODE 2
    ARGS sample --exact --data mixture8 --label 0 --sampler rk4
    REGEX "--sampler: unknown sampler 'rk4'")
  deepsolve_suite_test(${s} bad_gamma_bar EXIT_CODE 2
    ARGS sample --exact --data mixture8 --label 0 --guidance ag --gamma-bar 1.5 REGEX "gamma_bar")
  deepsolve_suite_test(${s} negative_scale EXIT_CODE 2
    ARGS sample --exact --data mixture8 --label 0 --scale -1 REGEX "scale")
  deepsolve_suite_test(${s} label_out_of_range EXIT_CODE 2
    ARGS sample --exact --data mixture8 --label 8 REGEX "--label must be in .0, 8., got 8")
  deepsolve_suite_test(${s} not_a_model EXIT_CODE 2 REQUIRES guidance_exact_cfg
    ARGS sample --model cfg.csv --label 0 REGEX "cfg.csv")
endif()
