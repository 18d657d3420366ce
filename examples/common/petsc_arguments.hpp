// Splitting a command line between a program's own options (CLI11) and PETSc's options database,
// for the examples that pass PETSc's options through (poisson_solve, smoke). Needs no PETSc.
#pragma once

#include <string>
#include <vector>

namespace deepsolve::examples {

struct PetscArguments {
  std::vector<std::string> all;    ///< the whole command line
  std::vector<std::string> petsc;  ///< program name + PETSc's options and their values
  std::vector<std::string> cli;    ///< program name + everything else
};

/// PETSc's options are the single-dash ones (-ksp_monitor, -da_processors_x 2), but not -h (the
/// program's help) and not negative numbers (values of the program's own options). An option
/// takes the next argument as its value unless that starts with '-' and is not a number.
PetscArguments split_petsc_arguments(int argc, char** argv);

}  // namespace deepsolve::examples
