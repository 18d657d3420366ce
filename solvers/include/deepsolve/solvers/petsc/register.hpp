// Registering deepsolve's PETSc types (KSP "dcdm", PC "dcdm"; petsc/dcdm_ksp.hpp) so that the
// options database can select them, the way PFLARE registers PCAIR:
//
//   * a program linked to deepsolve calls deepsolve::petsc::register_types() after
//     PetscInitialize;
//   * any PETSc program, built without deepsolve, loads them at start-up with
//       -dll_append /path/to/libdeepsolve_solvers.so
//     PETSc opens the library and runs PetscDLLibraryRegister_deepsolve_solvers() below.
#pragma once

#include <petscsys.h>

namespace deepsolve::petsc {

/// Registers KSP "dcdm" and PC "dcdm" with PETSc (KSPRegister, PCRegister) and DCDM's log event
/// "DCDMDirection". Call after PetscInitialize; further calls do nothing (until PetscFinalize).
/// PETSc-style: returns an error code, so it can sit inside PetscCall().
PetscErrorCode register_types();

}  // namespace deepsolve::petsc

/// The hook PETSc runs when it opens the library (-dll_append, -dll_prepend,
/// PetscDLLibraryAppend): PetscDLLibraryOpen (src/sys/dll/dl.c) names it after the file, dropping
/// the directory, the "lib" prefix and everything from the ".so" suffix on, and mapping '-' to '_'
/// (libdeepsolve_solvers.so.0.1.0 -> PetscDLLibraryRegister_deepsolve_solvers).
PETSC_EXTERN PetscErrorCode PetscDLLibraryRegister_deepsolve_solvers(void);
