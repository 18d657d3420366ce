# `diffusion_images` (examples/diffusion_images): a 1-epoch bias-free UNet on 16 disc images, two
# samples from it, its Jacobian, and bad input (an unknown image class, a file that is not a
# model) ending with exit code 2 and one line naming it. Each run costs ~1 s of library loading,
# so the generalization command (minutes) is not run here; its parts are (train, sample, and
# test_diffusion_analysis for the cosines). The runs share the folder images_work, emptied first.
if(TARGET diffusion_images)
  set(images_dir ${CMAKE_CURRENT_BINARY_DIR}/images_work)
  add_test(NAME diffusion_images.clean
           COMMAND ${CMAKE_COMMAND} -DDIR=${images_dir}
                   -P ${PROJECT_SOURCE_DIR}/tests/train_dcdm/clean.cmake)
  set_tests_properties(diffusion_images.clean PROPERTIES LABELS "unit;examples;diffusion"
                       FIXTURES_SETUP diffusion_images_clean)
  # images_test(<name> [EXIT_CODE <c>] [REGEX <regex>] [SETUP <fixture>] [REQUIRES <fixture>]
  #             ARGS <args>...)
  function(images_test name)
    cmake_parse_arguments(T "" "EXIT_CODE;REGEX;SETUP;REQUIRES" "ARGS" ${ARGN})
    if(NOT DEFINED T_EXIT_CODE)
      set(T_EXIT_CODE 0)
    endif()
    set(defs -DPROGRAM=diffusion_images -DEXIT_CODE=${T_EXIT_CODE})
    if(DEFINED T_REGEX)
      list(APPEND defs "-DREGEX=${T_REGEX}")
    endif()
    deepsolve_program_test(diffusion_images.${name} PROGRAM diffusion_images
                           SCRIPT ${PROJECT_SOURCE_DIR}/cmake/run_program_check.cmake
                           DEFINES ${defs} WORKING_DIRECTORY ${images_dir} SETUP ${T_SETUP}
                           REQUIRES diffusion_images_clean ${T_REQUIRES} ARGS ${T_ARGS})
    set_property(TEST diffusion_images.${name} APPEND PROPERTY LABELS diffusion)
  endfunction()

  images_test(train SETUP diffusion_images_model
              ARGS train --data discs --size 16 --count 16 --epochs 1 --batch 8 --bias-free
                   --out tiny.model --threads 1
              REGEX "discs images 0 \\.\\. 15 \\(16x16\\), bias-free blind UNet\n.*trained 1 epochs \\(2 steps\\) in [0-9.]+ s, final training loss [0-9.e+-]+\nwrote tiny.model")
  images_test(sample REQUIRES diffusion_images_model SETUP diffusion_images_sample
              ARGS sample --model tiny.model --count 2 --max-iterations 40 --grid grid.png
                   --json sample.json --threads 1
              REGEX "2 samples by coarse-to-fine, [0-9]+ NFEs .* training images -?[0-9.]+\n(note: [0-9] ascents stopped[^\n]*\n)?wrote grid.png\nwrote sample.json")
  # A bias-free network: D(y) = J y to rounding (a relative error of 0 or below 1e-5).
  images_test(jacobian REQUIRES diffusion_images_model SETUP diffusion_images_jacobian
              ARGS jacobian --model tiny.model --sigma 0.2 --eigenvectors 3 --lanczos-steps 8
                   --trace-sigmas 0.1,0.4 --out jac --threads 1
              REGEX "discs image 16, sigma 0.2, 256 pixels\neffective dimension tr J = [0-9.]+ \\(exact\\)\nleading eigenvalues of \\(J \\+ J\\^T\\)/2: -?[0-9.]+ -?[0-9.]+ -?[0-9.]+\nasymmetry [^;]*; \\|\\|J y - D\\(y\\)\\|\\| / \\|\\|D\\(y\\)\\|\\| = (0|[0-9.]+e-(0[5-9]|[1-9][0-9]));.*tr J by sigma: 0.1: [0-9.]+ 0.4: [0-9.]+\n")
  add_test(NAME diffusion_images.files
           COMMAND ${CMAKE_COMMAND} -DDIR=${images_dir}
                   -P ${CMAKE_CURRENT_LIST_DIR}/check_images_output.cmake)
  set_tests_properties(diffusion_images.files PROPERTIES LABELS "unit;examples;diffusion"
                       FIXTURES_REQUIRED "diffusion_images_sample;diffusion_images_jacobian")
  images_test(unknown_data EXIT_CODE 2 ARGS train --data stars --out never.model
              REGEX "diffusion_images: error: --data: unknown image class 'stars' \\(valid: [^\n]*c-alpha")
  # A file that is not a model (this one) is refused naming it.
  images_test(not_a_model EXIT_CODE 2
              ARGS sample --model ${CMAKE_CURRENT_LIST_FILE} --count 1 --grid never.png
              REGEX "diffusion_images: error: [^\n]*examples_images.cmake")
endif()
