# Runs poisson_solve (possibly under mpiexec) and checks its --json output:
#   cmake -DJSON=<file> [-DEXPECT_ROWS=<n>] [-DREGEX=<regex>] -P check_json_run.cmake -- <command>...
# Passes when the command exits with 0 (every solver converged), every row in JSON converged with
# a true relative residual at most rtol (see poisson_solve_json.cmake), and the output (stdout and
# stderr) matches REGEX when given.
include(${CMAKE_CURRENT_LIST_DIR}/poisson_solve_json.cmake)
poisson_solve_command(command)
if(NOT command OR NOT DEFINED JSON)
  message(FATAL_ERROR "usage: cmake -DJSON=<file> -P check_json_run.cmake -- <command>...")
endif()
file(REMOVE "${JSON}")
execute_process(COMMAND ${command} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output
                TIMEOUT 300)
message("${output}")
if(NOT result STREQUAL "0")
  message(FATAL_ERROR "exit code '${result}', expected 0")
endif()
if(DEFINED REGEX AND NOT output MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match '${REGEX}'")
endif()
if(DEFINED EXPECT_ROWS)
  poisson_solve_check_rows("${JSON}" EXPECT_ROWS ${EXPECT_ROWS})
else()
  poisson_solve_check_rows("${JSON}")
endif()
