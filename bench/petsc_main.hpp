// What the benchmarks that run under PETSc (bench_cg, bench_stencil) share: main(), which
// initialises PETSc without the benchmark's own options (they are not PETSc's; PETSC_OPTIONS
// passes PETSc's), and the head of their results document.
#pragma once

#include <petscsys.h>

#include <string>

#include "common.hpp"

namespace deepsolve::bench {

inline int petsc_main(const char* program, int (*run)(int, char**), int argc, char** argv) {
  int petsc_argc = 1;
  PetscCall(PetscInitialize(&petsc_argc, &argv, nullptr, nullptr));
  const int rc = run_main(program, run, argc, argv);
  PetscCall(PetscFinalize());
  return rc;
}

/// The results document's first keys: benchmark, machine and petsc_version.
inline Json petsc_results(const char* benchmark, int argc, char** argv) {
  Json doc = Json::object();
  doc["benchmark"] = benchmark;
  doc["machine"] = machine_info(argc, argv);
  doc["petsc_version"] = std::to_string(PETSC_VERSION_MAJOR) + "." +
                         std::to_string(PETSC_VERSION_MINOR) + "." +
                         std::to_string(PETSC_VERSION_SUBMINOR);
  return doc;
}

}  // namespace deepsolve::bench
