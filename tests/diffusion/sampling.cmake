# diffusion/src/sampling: schedules, samplers, coarse-to-fine (one program), and the comparison of
# Euler/Heun/DPM++(2M)/DDIM with an independent numpy implementation (sampler_reference.py).
list(APPEND diffusion_test_sources ${CMAKE_CURRENT_LIST_DIR}/test_sampling.cpp)

# A python3 with numpy (Debian python3-numpy): the one found first, else /usr/bin/python3;
# -DDEEPSOLVE_PYTHON3_NUMPY=<python> overrides.
if(NOT DEEPSOLVE_PYTHON3_NUMPY)
  find_package(Python3 COMPONENTS Interpreter QUIET)
  foreach(candidate ${Python3_EXECUTABLE} /usr/bin/python3)
    if(EXISTS ${candidate})
      execute_process(COMMAND ${candidate} -c "import numpy" RESULT_VARIABLE numpy_rc
                      OUTPUT_QUIET ERROR_QUIET)
      if(numpy_rc EQUAL 0)
        set(DEEPSOLVE_PYTHON3_NUMPY ${candidate} CACHE FILEPATH "python3 with numpy, for tests")
        break()
      endif()
    endif()
  endforeach()
endif()
if(DEEPSOLVE_PYTHON3_NUMPY)
  add_test(NAME test_diffusion_sampler_reference
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:test_diffusion>
                   -DPYTHON=${DEEPSOLVE_PYTHON3_NUMPY}
                   -DSCRIPT=${CMAKE_CURRENT_LIST_DIR}/sampler_reference.py
                   -DDIR=${CMAKE_CURRENT_BINARY_DIR}/sampler_reference
                   -P ${CMAKE_CURRENT_LIST_DIR}/run_sampler_reference.cmake)
  set_tests_properties(test_diffusion_sampler_reference PROPERTIES
                       LABELS "unit;diffusion" ENVIRONMENT "${DEEPSOLVE_MPI_ENV}" TIMEOUT 60)
else()
  # scripts/install-deps installs python3-numpy: without it the check fails rather than vanish.
  message(WARNING "no python3 with numpy (Debian python3-numpy): test_diffusion_sampler_reference "
                  "will fail")
  add_test(NAME test_diffusion_sampler_reference
           COMMAND sh -c "echo 'no python3 with numpy: run scripts/install-deps'; exit 1")
  set_tests_properties(test_diffusion_sampler_reference PROPERTIES LABELS "unit;diffusion")
endif()
