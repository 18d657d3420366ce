// main() of the benchmarks that run under PETSc (bench_cg, bench_stencil): PETSc is initialised
// without the benchmark's own options, which are not PETSc's (PETSC_OPTIONS passes PETSc's).
#pragma once

#include <petscsys.h>

#include "common.hpp"

namespace deepsolve::bench {

inline int petsc_main(const char* program, int (*run)(int, char**), int argc, char** argv) {
  int petsc_argc = 1;
  PetscCall(PetscInitialize(&petsc_argc, &argv, nullptr, nullptr));
  const int rc = run_main(program, run, argc, argv);
  PetscCall(PetscFinalize());
  return rc;
}

}  // namespace deepsolve::bench
