# Runs ksp_poisson (tests/petsc_plugin) and checks its output:
#   cmake -DARGS="<options>" -DREGEX=<regex> [-DFAIL=ON]
#         [-DCOMPARE="<options>" -DTOLERANCE=<n>] -P check_run.cmake -- <command>...
# <command> is the program (with mpiexec and -dll_append when wanted); ARGS and COMPARE are
# space-separated option lists appended to it.
#   * Without FAIL the run must exit 0, match REGEX, print no PETSc error and leave no option
#     unused ("WARNING! There are options you set that were not used").
#   * With FAIL it must exit with a non-zero code (not a crash) and its output must match REGEX:
#     how a bad option value is reported.
#   * With COMPARE the command also runs with those options; both runs must converge and their
#     iteration counts ("KSP <type>: <n> iterations") differ by at most TOLERANCE (default 0).
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/poisson_solve_json.cmake)
poisson_solve_command(command)
if(NOT command)
  message(FATAL_ERROR "check_run.cmake: no command after --")
endif()
if(NOT DEFINED TOLERANCE)
  set(TOLERANCE 0)
endif()

# run(<options> <output var> <exit code var>)
function(run options out_var code_var)
  separate_arguments(options UNIX_COMMAND "${options}")
  execute_process(COMMAND ${command} ${options} RESULT_VARIABLE code OUTPUT_VARIABLE output
                  ERROR_VARIABLE output TIMEOUT 300)
  string(REPLACE ";" " " shown "${command};${options}")
  message(STATUS "${shown}\n  exit code ${code}\n${output}")
  set(${out_var} "${output}" PARENT_SCOPE)
  set(${code_var} "${code}" PARENT_SCOPE)
endfunction()

# iterations(<output> <var>): the count the program printed after a converged solve.
function(iterations output var)
  if(NOT output MATCHES "KSP [a-z]+: ([0-9]+) iterations, CONVERGED_")
    message(FATAL_ERROR "the solve did not converge (no 'KSP <type>: <n> iterations, CONVERGED_')")
  endif()
  set(${var} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

run("${ARGS}" output code)
set(problems)
if(FAIL)
  if(NOT code MATCHES "^[0-9]+$" OR code EQUAL 0)
    list(APPEND problems "expected a non-zero exit code, got '${code}'")
  endif()
else()
  if(NOT code EQUAL 0)
    list(APPEND problems "exit code '${code}', expected 0")
  endif()
  if(output MATCHES "PETSC ERROR|options you set that were not used")
    list(APPEND problems "PETSc reported an error or an unused option")
  endif()
endif()
if(DEFINED REGEX AND NOT output MATCHES "${REGEX}")
  list(APPEND problems "output does not match '${REGEX}'")
endif()
if(problems)
  string(REPLACE ";" "\n  " problems "${problems}")
  message(FATAL_ERROR "${problems}")
endif()

if(DEFINED COMPARE)
  iterations("${output}" its)
  run("${COMPARE}" reference code)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "the reference run exited with '${code}'")
  endif()
  iterations("${reference}" reference_its)
  math(EXPR diff "${its} - ${reference_its}")
  if(diff LESS 0)
    math(EXPR diff "-${diff}")
  endif()
  if(diff GREATER TOLERANCE)
    message(FATAL_ERROR "${its} iterations against ${reference_its} for the reference: more than "
                        "${TOLERANCE} apart")
  endif()
  message(STATUS "${its} iterations, reference ${reference_its} (tolerance ${TOLERANCE})")
endif()
