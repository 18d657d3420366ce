// The deep conjugate-direction method (DCDM; Kaneda et al., ICML 2023) as PETSc types:
//
//   KSP "dcdm"  the DCDM iteration itself: directions q = f(r / ||r||) from a direction model,
//               A-orthogonalised against the last `window` directions, exact line search, true
//               residual. -ksp_type dcdm -ksp_dcdm_model <identity|jacobi|pc|FILE>
//   PC "dcdm"   a direction model as a (nonlinear) preconditioner z = f(r / ||r||) ||r|| for
//               PETSc's flexible methods: -ksp_type fcg|fgmres|gcr -pc_type dcdm -pc_dcdm_model ..
//
// Both become selectable from the options database once registered: deepsolve::petsc::
// register_types() (register.hpp) in a program linked to deepsolve, or -dll_append
// <path>/libdeepsolve_solvers.so in any PETSc program. docs/dcdm.md ("In a PETSc program")
// lists the options. The implementation uses PETSc's private headers (petsc/private/kspimpl.h,
// pcimpl.h); this header needs only the public ones.
#pragma once

#include <petscksp.h>

#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/direction_model.hpp"

#define KSPDCDM "dcdm"
#define PCDCDM "dcdm"

/// The constructors KSPRegister/PCRegister take (register_types() registers them).
PETSC_EXTERN PetscErrorCode KSPCreate_DCDM(KSP);
PETSC_EXTERN PetscErrorCode PCCreate_DCDM(PC);

// Setters behind the options, PETSc-style: each does nothing when the object is of another type.
/// -ksp_dcdm_model: "identity", "jacobi", "pc" (the KSP's PC) or the path of a trained model file.
PETSC_EXTERN PetscErrorCode KSPDCDMSetModel(KSP, const char[]);
/// -ksp_dcdm_window: how many previous directions each new one is A-orthogonalised against, 0 to
/// max_conjugate_direction_window (10000); KSPSetUp also checks that the 2 (window + 1) + 3 work
/// vectors fit in the memory available (learned/memory.hpp).
PETSC_EXTERN PetscErrorCode KSPDCDMSetWindow(KSP, PetscInt);
/// -ksp_dcdm_true_residual: recompute r = b - A x every iteration (default) instead of updating it.
PETSC_EXTERN PetscErrorCode KSPDCDMSetTrueResidual(KSP, PetscBool);
/// -ksp_dcdm_device: where a network model runs: "cpu", "cuda" or "auto" (default).
PETSC_EXTERN PetscErrorCode KSPDCDMSetDevice(KSP, const char[]);
/// -pc_dcdm_model: "identity" (default), "jacobi" or the path of a trained model file.
PETSC_EXTERN PetscErrorCode PCDCDMSetModel(PC, const char[]);
/// -pc_dcdm_device: "cpu", "cuda" or "auto" (default).
PETSC_EXTERN PetscErrorCode PCDCDMSetDevice(PC, const char[]);

namespace deepsolve::petsc {

/// Makes `model` (whole-grid, natural ordering) the direction model of a KSP of type dcdm. The
/// operator must come with a DMDA (KSPSetDM, or a matrix from DMCreateMatrix): the residual is
/// gathered to every rank and each applies the model to the whole grid. A later -ksp_dcdm_model
/// replaces it. Errors when the KSP is not of type dcdm or the model is null.
///
/// This is how a program that knows its geometry uses a network: -ksp_dcdm_model FILE builds a
/// dcdm::NetworkDirection for the DMDA's shape only (a unit box, every cell fluid), while
/// NetworkDirection(file, grid, options) built here masks solid and air cells of `grid`.
PetscErrorCode KSPDCDMSetDirectionModel(KSP ksp,
                                        std::shared_ptr<solvers::dcdm::DirectionModel> model);
/// The same for a PC of type dcdm (z = f(r / ||r||) ||r||).
PetscErrorCode PCDCDMSetDirectionModel(PC pc, std::shared_ptr<solvers::dcdm::DirectionModel> model);

}  // namespace deepsolve::petsc
