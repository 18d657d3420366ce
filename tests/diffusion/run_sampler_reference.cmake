# The ctest test_diffusion_sampler_reference: runs the C++ test program's
# SamplerReference.DISABLED_WritesTrajectories (disabled in the plain run), which writes starting points, samples and NFE counts to DIR,
# then sampler_reference.py, which recomputes them with numpy and fails on a difference > 1e-6.
# cmake -DPROGRAM=<test_diffusion> -DPYTHON=<python3> -DSCRIPT=<sampler_reference.py>
#       -DDIR=<folder> -P run_sampler_reference.cmake
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DEEPSOLVE_SAMPLER_REFERENCE_DIR=${DIR}
          ${PROGRAM} --gtest_filter=SamplerReference.DISABLED_WritesTrajectories
          --gtest_also_run_disabled_tests
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed writing the trajectories (exit ${rc})")
endif()
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the Python reference disagrees with the C++ samplers (exit ${rc})")
endif()
