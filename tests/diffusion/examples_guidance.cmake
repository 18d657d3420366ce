# `diffusion_guidance` (examples/diffusion_guidance): sampling with the exact mixture8 denoiser
# (NFE counts exact: euler, n steps, cfg costs 2n per sample), a 2-epoch model trained and sampled
# with AG, LinearAG fitted to a file and used, the comparison table, and bad input ending with
# exit code 2 and one line naming it. The runs share the folder guidance_work, emptied first;
# each run costs ~1 s of library loading, so they are few.
if(TARGET diffusion_guidance)
  set(guidance_dir ${CMAKE_CURRENT_BINARY_DIR}/guidance_work)
  add_test(NAME diffusion_guidance.clean
           COMMAND ${CMAKE_COMMAND} -DDIR=${guidance_dir}
                   -P ${PROJECT_SOURCE_DIR}/tests/train_dcdm/clean.cmake)
  set_tests_properties(diffusion_guidance.clean PROPERTIES LABELS "unit;examples;diffusion"
                       FIXTURES_SETUP diffusion_guidance_clean)
  # guidance_test(<name> [EXIT_CODE <c>] [REGEX <regex>] [SETUP <fixture>] [REQUIRES <fixture>]
  #               ARGS <args>...)
  function(guidance_test name)
    cmake_parse_arguments(T "" "EXIT_CODE;REGEX;SETUP;REQUIRES" "ARGS" ${ARGN})
    if(NOT DEFINED T_EXIT_CODE)
      set(T_EXIT_CODE 0)
    endif()
    set(defs -DPROGRAM=diffusion_guidance -DEXIT_CODE=${T_EXIT_CODE})
    if(DEFINED T_REGEX)
      list(APPEND defs "-DREGEX=${T_REGEX}")
    endif()
    deepsolve_program_test(diffusion_guidance.${name} PROGRAM diffusion_guidance
                           SCRIPT ${PROJECT_SOURCE_DIR}/cmake/run_program_check.cmake
                           DEFINES ${defs} WORKING_DIRECTORY ${guidance_dir} SETUP ${T_SETUP}
                           REQUIRES diffusion_guidance_clean ${T_REQUIRES} ARGS ${T_ARGS})
    set_property(TEST diffusion_guidance.${name} APPEND PROPERTY LABELS diffusion)
  endfunction()
  # guidance_check(<name> REQUIRES <fixture> DEFINES <-D...>...): check_guidance_output.cmake.
  function(guidance_check name)
    cmake_parse_arguments(T "" "REQUIRES" "DEFINES" ${ARGN})
    add_test(NAME diffusion_guidance.${name}
             COMMAND ${CMAKE_COMMAND} ${T_DEFINES}
                     -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/check_guidance_output.cmake
             WORKING_DIRECTORY ${guidance_dir})
    set_tests_properties(diffusion_guidance.${name} PROPERTIES LABELS "unit;examples;diffusion"
                         FIXTURES_REQUIRED "${T_REQUIRES}")
  endfunction()

  # Full CFG with the exact denoiser: 50 samples x 10 Euler steps x 2 NFEs; the samples of the
  # guided conditional are close to the true one (w = 1.5 sharpens them a little).
  guidance_test(exact_cfg SETUP guidance_exact_cfg
                ARGS sample --exact --data mixture8 --label 2 --count 50 --sampler euler --steps 10
                     --guidance cfg --scale 1.5 --json cfg.json --samples-out cfg.csv
                REGEX "NFEs 1000 \\(20\\.00 per sample\\)")
  guidance_check(exact_cfg_output REQUIRES guidance_exact_cfg
                 DEFINES -DJSON=cfg.json -DNFE=1000 -DSWD_BELOW=0.2 -DCSV=cfg.csv -DCSV_ROWS=50)
  guidance_test(train SETUP guidance_model
                ARGS train --data mixture8 --count 2000 --validation 200 --epochs 2 --batch 250
                     --hidden 32 --layers 2 --out tiny.dsm --quiet --json train.json
                REGEX "trained 2 epochs \\(16 steps\\).*\nwrote tiny.dsm")
  # AG on the trained model, Heun 8 steps = 15 evaluations: between 15 and 30 NFEs per sample.
  guidance_test(sample_ag REQUIRES guidance_model SETUP guidance_ag
                ARGS sample --model tiny.dsm --label 1 --count 100 --sampler heun --steps 8
                     --guidance ag --scale 3 --gamma-bar 0.99 --json ag.json)
  guidance_check(sample_ag_output REQUIRES guidance_ag DEFINES -DJSON=ag.json -DNFE_RANGE=1500:3000)
  guidance_test(fit_linear_ag SETUP guidance_lag
                ARGS fit-linear-ag --exact --data mixture8 --sampler euler --steps 12 --scale 3
                     --per-label 16 --out lag.bin
                REGEX "[1-9][0-9]* of 12 evaluations predicted.*wrote lag.bin")
  guidance_test(sample_linear_ag REQUIRES guidance_lag SETUP guidance_lag_sample
                ARGS sample --exact --data mixture8 --label 5 --count 40 --sampler euler --steps 12
                     --guidance linear-ag --linear-ag lag.bin --scale 3 --json lag.json)
  guidance_check(sample_linear_ag_output REQUIRES guidance_lag_sample
                 DEFINES -DJSON=lag.json -DNFE_RANGE=480:920)
  guidance_test(compare
                ARGS compare --exact --data mixture8 --label 0 --count 100 --steps 12 --scale 3
                     --linear-ag-per-label 8 --csv compare.csv
                REGEX "none +12\\.00 +50\\.0%.*\ncfg +24\\.00 +0\\.0%.*\nag .*\nlinear-ag .*wrote compare.csv")
  # Bad input: one line naming it, exit code 2.
  guidance_test(unknown_sampler EXIT_CODE 2
                ARGS sample --exact --data mixture8 --label 0 --sampler rk4
                REGEX "--sampler: unknown sampler 'rk4'")
  guidance_test(bad_gamma_bar EXIT_CODE 2
                ARGS sample --exact --data mixture8 --label 0 --guidance ag --gamma-bar 1.5
                REGEX "gamma_bar")
  guidance_test(negative_scale EXIT_CODE 2
                ARGS sample --exact --data mixture8 --label 0 --scale -1 REGEX "scale")
  guidance_test(label_out_of_range EXIT_CODE 2
                ARGS sample --exact --data mixture8 --label 8 REGEX "--label must be in .0, 8., got 8")
  guidance_test(not_a_model EXIT_CODE 2 REQUIRES guidance_exact_cfg
                ARGS sample --model cfg.csv --label 0 REGEX "cfg.csv")
endif()
