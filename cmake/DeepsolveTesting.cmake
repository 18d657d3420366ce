# Test helpers. deepsolve_add_gtest(NAME name SOURCES ... [LIBS ...] [LABELS ...] [MPI_RANKS 1 2 4])
# builds one GoogleTest program with the MPI/PETSc-aware main and registers it with ctest, once per
# rank count when MPI_RANKS is given (label "mpi", run through mpiexec with oversubscription so
# 4 ranks run on a 2-core machine, and as root in CI), otherwise once with label "unit".
find_package(GTest REQUIRED)

add_library(deepsolve_gtest_main STATIC ${PROJECT_SOURCE_DIR}/tests/support/gtest_mpi_main.cpp)
target_link_libraries(deepsolve_gtest_main PUBLIC GTest::gtest deepsolve::solvers)

# OpenMPI 4 and 5, MPICH and Intel MPI all accept --map-by :OVERSUBSCRIBE (precice PR #1960).
set(DEEPSOLVE_MPIEXEC_PREFLAGS --map-by :OVERSUBSCRIBE CACHE STRING "Flags mpiexec gets before the program")
# OMPI_MCA_pml=ob1 names the messaging layer Open MPI picks here anyway (shared memory); without
# it every MPI start first tries the cm layer's network libraries, 0.25 s of each test's ~1.5 s.
set(DEEPSOLVE_MPI_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
    OMPI_MCA_pml=ob1 OMPI_MCA_rmaps_base_oversubscribe=1 ${DEEPSOLVE_SANITIZER_ENV})

# Command prefix that runs a program on N ranks.
function(deepsolve_mpi_command out nranks)
  set(${out} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${nranks} ${DEEPSOLVE_MPIEXEC_PREFLAGS}
      ${MPIEXEC_PREFLAGS} PARENT_SCOPE)
endfunction()

# Test programs not built. The packaging.petsc_off test sets it to the programs of the areas it
# builds whose code and behaviour do not depend on PETSc (they already ran in this build).
set(DEEPSOLVE_TEST_SKIP_PROGRAMS "" CACHE STRING "Test programs (deepsolve_add_gtest names, comma-separated) not built")
string(REPLACE "," ";" _deepsolve_skipped_test_programs "${DEEPSOLVE_TEST_SKIP_PROGRAMS}")

function(deepsolve_add_gtest)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS;MPI_RANKS" ${ARGN})
  if(T_NAME IN_LIST _deepsolve_skipped_test_programs)
    message(STATUS "tests: ${T_NAME} not built (DEEPSOLVE_TEST_SKIP_PROGRAMS)")
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE deepsolve_gtest_main ${T_LIBS} deepsolve_warnings)
  # Without PETSc there is no MPI initialisation in the test main: run such a test once, serially.
  if(T_MPI_RANKS AND DEEPSOLVE_WITH_PETSC)
    foreach(n IN LISTS T_MPI_RANKS)
      deepsolve_mpi_command(prefix ${n})
      add_test(NAME ${T_NAME}.np${n} COMMAND ${prefix} $<TARGET_FILE:${T_NAME}> ${MPIEXEC_POSTFLAGS})
      set_tests_properties(${T_NAME}.np${n} PROPERTIES LABELS "mpi;${T_LABELS}" PROCESSORS ${n}
                           ENVIRONMENT "${DEEPSOLVE_MPI_ENV}")
    endforeach()
  else()
    add_test(NAME ${T_NAME} COMMAND $<TARGET_FILE:${T_NAME}>)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "unit;${T_LABELS}" ENVIRONMENT "${DEEPSOLVE_MPI_ENV}")
  endif()
endfunction()

# deepsolve_example_command(<command var> <labels var> <target> <ranks> <arguments>...)
# The command line of a test of an example program, through mpiexec -n <ranks> when <ranks> is not
# empty, and the test's labels (mpi or unit, and examples).
function(deepsolve_example_command command_var labels_var target ranks)
  set(command $<TARGET_FILE:${target}> ${ARGN})
  set(labels unit examples)
  if(ranks)
    deepsolve_mpi_command(prefix ${ranks})
    set(command ${prefix} ${command} ${MPIEXEC_POSTFLAGS})
    set(labels mpi examples)
  endif()
  set(${command_var} ${command} PARENT_SCOPE)
  set(${labels_var} ${labels} PARENT_SCOPE)
endfunction()

# deepsolve_program_test(<test> PROGRAM <target> SCRIPT <cmake script> [DEFINES <-Dvar=value>...]
#                        [RANKS <n>] [ENVIRONMENT <VAR=value>...] [WORKING_DIRECTORY <dir>]
#                        [SETUP <fixture>] [REQUIRES <fixtures>...] ARGS <program arguments>...)
# Registers the ctest <test> of an example program: `cmake <defines> -P <script> -- <command>`,
# where the script runs the command and checks its exit code and output (run_program_check.cmake,
# check_json_run.cmake, ...). The program runs through mpiexec -n <n> when RANKS is given (labels
# mpi and examples, PROCESSORS <n>), else directly (labels unit and examples); timeout 120 s.
function(deepsolve_program_test test)
  cmake_parse_arguments(T "" "PROGRAM;SCRIPT;RANKS;WORKING_DIRECTORY;SETUP"
                        "DEFINES;ENVIRONMENT;REQUIRES;ARGS" ${ARGN})
  deepsolve_example_command(command labels ${T_PROGRAM} "${T_RANKS}" ${T_ARGS})
  set(where)
  if(T_WORKING_DIRECTORY)
    set(where WORKING_DIRECTORY ${T_WORKING_DIRECTORY})
  endif()
  add_test(NAME ${test} COMMAND ${CMAKE_COMMAND} ${T_DEFINES} -P ${T_SCRIPT} -- ${command} ${where})
  set_tests_properties(${test} PROPERTIES LABELS "${labels}" TIMEOUT 120)
  # Every program that starts MPI (PETSc does, also on one process) gets Open MPI's layer named
  # (OMPI_MCA_pml=ob1, see DEEPSOLVE_MPI_ENV), also where the test sets no other variable.
  set(environment OMPI_MCA_pml=ob1 ${T_ENVIRONMENT})
  set_tests_properties(${test} PROPERTIES ENVIRONMENT "${environment}")
  if(T_RANKS)
    set_tests_properties(${test} PROPERTIES PROCESSORS ${T_RANKS})
  endif()
  if(T_SETUP)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP ${T_SETUP})
  endif()
  if(T_REQUIRES)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${T_REQUIRES}")
  endif()
endfunction()

# deepsolve_program_suite(<suite> PROGRAM <target> FOLDER <dir> [LABELS <label>...]
#                         [COMMAND <first argument>])
# A suite of tests of one example program that share a working folder: the test <suite>.clean
# empties it before the others (fixture <suite>_clean). COMMAND is put before every test's
# arguments (e.g. `lasso` for `bcd lasso`).
function(deepsolve_program_suite suite)
  cmake_parse_arguments(S "" "PROGRAM;FOLDER;COMMAND" "LABELS" ${ARGN})
  add_test(NAME ${suite}.clean
           COMMAND ${CMAKE_COMMAND} -DDIR=${S_FOLDER}
                   -P ${PROJECT_SOURCE_DIR}/tests/train_dcdm/clean.cmake)
  set_tests_properties(${suite}.clean PROPERTIES LABELS "unit;examples;${S_LABELS}"
                       FIXTURES_SETUP ${suite}_clean)
  set_property(GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_PROGRAM ${S_PROGRAM})
  set_property(GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_FOLDER ${S_FOLDER})
  set_property(GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_LABELS "${S_LABELS}")
  set_property(GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_COMMAND "${S_COMMAND}")
endfunction()

# deepsolve_suite_test(<suite> <name> [EXIT_CODE <c>] [REGEX <regex>] [SETUP <fixture>]
#                      [REQUIRES <fixture>...] ARGS <program arguments>...)
# The test <suite>.<name>: runs the suite's program in its folder through run_program_check.cmake
# (exit code, default 0; the output matching REGEX; with exit code 2 one error line).
function(deepsolve_suite_test suite name)
  cmake_parse_arguments(T "" "EXIT_CODE;REGEX;SETUP" "REQUIRES;ARGS" ${ARGN})
  foreach(key PROGRAM FOLDER LABELS COMMAND)
    get_property(${key} GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_${key})
  endforeach()
  if(NOT PROGRAM)
    message(FATAL_ERROR "deepsolve_suite_test: no suite '${suite}' (deepsolve_program_suite first)")
  endif()
  if(NOT DEFINED T_EXIT_CODE)
    set(T_EXIT_CODE 0)
  endif()
  set(defs -DPROGRAM=${PROGRAM} -DEXIT_CODE=${T_EXIT_CODE})
  if(DEFINED T_REGEX)
    list(APPEND defs "-DREGEX=${T_REGEX}")
  endif()
  deepsolve_program_test(${suite}.${name} PROGRAM ${PROGRAM}
                         SCRIPT ${PROJECT_SOURCE_DIR}/cmake/run_program_check.cmake
                         DEFINES ${defs} WORKING_DIRECTORY ${FOLDER} SETUP ${T_SETUP}
                         REQUIRES ${suite}_clean ${T_REQUIRES} ARGS ${COMMAND} ${T_ARGS})
  if(LABELS)
    set_property(TEST ${suite}.${name} APPEND PROPERTY LABELS ${LABELS})
  endif()
endfunction()

# deepsolve_suite_check(<suite> <name> SCRIPT <cmake script> [REQUIRES <fixture>...]
#                       [DEFINES <-Dvar=value>...])
# The test <suite>.<name>: `cmake <defines> -P <script>` in the suite's folder, checking the
# files an earlier test of the suite wrote.
function(deepsolve_suite_check suite name)
  cmake_parse_arguments(T "" "SCRIPT" "REQUIRES;DEFINES" ${ARGN})
  get_property(folder GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_FOLDER)
  get_property(labels GLOBAL PROPERTY DEEPSOLVE_SUITE_${suite}_LABELS)
  add_test(NAME ${suite}.${name} COMMAND ${CMAKE_COMMAND} ${T_DEFINES} -P ${T_SCRIPT}
           WORKING_DIRECTORY ${folder})
  set_tests_properties(${suite}.${name} PROPERTIES LABELS "unit;examples;${labels}"
                       FIXTURES_REQUIRED "${T_REQUIRES}")
endfunction()
