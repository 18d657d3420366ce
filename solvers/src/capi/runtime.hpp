// PETSc's state as the C API sees it: initialised on demand, finalised only by whoever
// initialised it, and errors returned rather than printed while an entry point runs.
#pragma once

#include <string>

namespace deepsolve::capi {

/// Initialises PETSc (and through it MPI when MPI is not initialised) unless PETSc is initialised
/// already, and remembers that deepsolve did it so that deepsolve_finalize undoes it. argc and
/// argv may be null. Throws Failure when PetscInitialize fails.
void ensure_petsc_initialized(int* argc, char*** argv);

/// PETSc's error text of the first error since the last call, "" when none (and forgets it).
std::string take_petsc_error_text();

/// While alive, PETSc errors return their codes instead of printing a traceback or aborting (as
/// PetscReturnErrorHandler does) and the first error's text is kept for take_petsc_error_text.
/// Initialises PETSc on demand first (ensure_petsc_initialized).
class PetscErrorScope {
 public:
  PetscErrorScope();
  ~PetscErrorScope();
  PetscErrorScope(const PetscErrorScope&) = delete;
  PetscErrorScope& operator=(const PetscErrorScope&) = delete;
};

}  // namespace deepsolve::capi
