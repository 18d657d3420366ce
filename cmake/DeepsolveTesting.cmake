# Test helpers. deepsolve_add_gtest(NAME name SOURCES ... [LIBS ...] [LABELS ...] [MPI_RANKS 1 2 4])
# builds one GoogleTest program with the MPI/PETSc-aware main and registers it with ctest, once per
# rank count when MPI_RANKS is given (label "mpi", run through mpiexec with oversubscription so
# 4 ranks run on a 2-core machine, and as root in CI), otherwise once with label "unit".
find_package(GTest REQUIRED)

add_library(deepsolve_gtest_main STATIC ${PROJECT_SOURCE_DIR}/tests/support/gtest_mpi_main.cpp)
target_link_libraries(deepsolve_gtest_main PUBLIC GTest::gtest deepsolve::solvers)

# OpenMPI 4 and 5, MPICH and Intel MPI all accept --map-by :OVERSUBSCRIBE (precice PR #1960).
set(DEEPSOLVE_MPIEXEC_PREFLAGS --map-by :OVERSUBSCRIBE CACHE STRING "Flags mpiexec gets before the program")
set(DEEPSOLVE_MPI_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
    OMPI_MCA_rmaps_base_oversubscribe=1 ${DEEPSOLVE_SANITIZER_ENV})

# Command prefix that runs a program on N ranks.
function(deepsolve_mpi_command out nranks)
  set(${out} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${nranks} ${DEEPSOLVE_MPIEXEC_PREFLAGS}
      ${MPIEXEC_PREFLAGS} PARENT_SCOPE)
endfunction()

function(deepsolve_add_gtest)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS;MPI_RANKS" ${ARGN})
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
  if(T_ENVIRONMENT)
    set_tests_properties(${test} PROPERTIES ENVIRONMENT "${T_ENVIRONMENT}")
  endif()
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
