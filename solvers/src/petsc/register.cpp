#include "deepsolve/solvers/petsc/register.hpp"

#include <petscksp.h>

#include "dcdm_direction.hpp"
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"

namespace deepsolve::petsc {

namespace {

PetscBool registered = PETSC_FALSE;

PetscErrorCode forget_registration() {
  PetscFunctionBegin;
  registered =
      PETSC_FALSE;  // PetscFinalize empties PETSc's lists; a new PetscInitialize needs us again
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

PetscErrorCode register_types() {
  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(detail::dcdm_initialize_package());
  PetscCall(KSPRegister(KSPDCDM, KSPCreate_DCDM));
  PetscCall(PCRegister(PCDCDM, PCCreate_DCDM));
  PetscCall(PetscRegisterFinalize(forget_registration));
  registered = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace deepsolve::petsc

PETSC_EXTERN PetscErrorCode PetscDLLibraryRegister_deepsolve_solvers(void) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::register_types());
  PetscFunctionReturn(PETSC_SUCCESS);
}
