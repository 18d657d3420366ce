# `diffusion_images` (examples/diffusion_images): a 1-epoch bias-free UNet on 16 disc images, two
# samples from it, its Jacobian, and bad input (an unknown image class, a file that is not a
# model) ending with exit code 2 and one line naming it. Each run costs ~1 s of library loading,
# so the generalization command (minutes) is not run here; its parts are (train, sample, and
# test_diffusion for the cosines). The runs share the folder images_work, emptied first.
if(TARGET diffusion_images)
  set(images_dir ${CMAKE_CURRENT_BINARY_DIR}/images_work)
  deepsolve_program_suite(diffusion_images PROGRAM diffusion_images FOLDER ${images_dir}
                          LABELS diffusion)

  deepsolve_suite_test(diffusion_images train SETUP diffusion_images_model
                       ARGS train --data discs --size 16 --count 16 --epochs 1 --batch 8 --bias-free
                            --out tiny.model --threads 1
                       REGEX "discs images 0 \\.\\. 15 \\(16x16\\), bias-free blind UNet\n.*trained 1 epochs \\(2 steps\\) in [0-9.]+ s, final training loss [0-9.e+-]+\nwrote tiny.model")
  deepsolve_suite_test(diffusion_images sample REQUIRES diffusion_images_model SETUP diffusion_images_sample
                       ARGS sample --model tiny.model --count 2 --max-iterations 40 --grid grid.png
                            --json sample.json --threads 1
                       REGEX "2 samples by coarse-to-fine, [0-9]+ NFEs .* training images -?[0-9.]+\n(note: [0-9] ascents stopped[^\n]*\n)?wrote grid.png\nwrote sample.json")
  # A bias-free network: D(y) = J y to rounding (a relative error of 0 or below 1e-5).
  deepsolve_suite_test(diffusion_images jacobian REQUIRES diffusion_images_model SETUP diffusion_images_jacobian
                       ARGS jacobian --model tiny.model --sigma 0.2 --eigenvectors 3 --lanczos-steps 8
                            --trace-sigmas 0.1,0.4 --out jac --threads 1
                       REGEX "discs image 16, sigma 0.2, 256 pixels\neffective dimension tr J = [0-9.]+ \\(exact\\)\nleading eigenvalues of \\(J \\+ J\\^T\\)/2: -?[0-9.]+ -?[0-9.]+ -?[0-9.]+\nasymmetry [^;]*; \\|\\|J y - D\\(y\\)\\|\\| / \\|\\|D\\(y\\)\\|\\| = (0|[0-9.]+e-(0[5-9]|[1-9][0-9]));.*tr J by sigma: 0.1: [0-9.]+ 0.4: [0-9.]+\n")
  deepsolve_suite_check(diffusion_images files
                        SCRIPT ${CMAKE_CURRENT_LIST_DIR}/check_images_output.cmake
                        REQUIRES diffusion_images_sample diffusion_images_jacobian
                        DEFINES -DDIR=${images_dir})
  deepsolve_suite_test(diffusion_images unknown_data EXIT_CODE 2 ARGS train --data stars --out never.model
                       REGEX "diffusion_images: error: --data: unknown image class 'stars' \\(valid: [^\n]*c-alpha")
  # A file that is not a model (this one) is refused naming it.
  deepsolve_suite_test(diffusion_images not_a_model EXIT_CODE 2
                       ARGS sample --model ${CMAKE_CURRENT_LIST_FILE} --count 1 --grid never.png
                       REGEX "diffusion_images: error: [^\n]*examples_images.cmake")
endif()
