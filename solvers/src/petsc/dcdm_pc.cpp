/*
   PC "dcdm": a DCDM direction model as a preconditioner, z = f(r / ||r||) ||r||, for PETSc's
   flexible Krylov methods (-ksp_type fcg|fgmres|gcr -pc_type dcdm -pc_dcdm_model ...). The model
   sees a unit-norm residual, as it does inside KSP "dcdm" (Kaneda et al., ICML 2023), and the
   result is scaled back so the preconditioner is homogeneous of degree one like a linear one.
   With a network model it is nonlinear, so only flexible methods apply; with -ksp_type fcg
   -ksp_fcg_mmax 2 it is the DCDM iteration with the recursive residual.

   A real PC type (petsc/private/pcimpl.h), not a PCSHELL wrapper as PFLARE's PCAIR is: KSP "dcdm"
   already needs PETSc's private headers, and a type of its own gets -pc_dcdm_* options under the
   PC's prefix, "type: dcdm" in -pc_view, and leaves PCSHELL's context free for its users.
*/
#include <petsc/private/pcimpl.h>

#include "dcdm_direction.hpp"
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"

namespace {

using deepsolve::petsc::detail::DirectionModelState;
using deepsolve::petsc::detail::ModelKind;

struct PC_DCDM {
  DirectionModelState direction;  // identity (default), jacobi, file or user
  Vec unit = nullptr;             // r / ||r|| for the whole-grid models
};

PC_DCDM* dcdm_of(PC pc) {
  return static_cast<PC_DCDM*>(pc->data);
}

PetscErrorCode PCSetUp_DCDM(PC pc) {
  PC_DCDM* dcdm = dcdm_of(pc);

  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::set_up((PetscObject)pc, "pc_dcdm_model", pc->mat, pc->pmat,
                                             pc->dm, &dcdm->direction));
  if (!dcdm->unit) PetscCall(MatCreateVecs(pc->pmat, &dcdm->unit, nullptr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/*
   z = f(r / ||r||) ||r||. The identity and Jacobi models are linear, so they are applied to r
   directly (the same result, without two passes over r).
*/
PetscErrorCode PCApply_DCDM(PC pc, Vec r, Vec z) {
  PC_DCDM* dcdm = dcdm_of(pc);
  PetscReal rnorm;

  PetscFunctionBegin;
  if (dcdm->direction.kind == ModelKind::identity || dcdm->direction.kind == ModelKind::jacobi) {
    PetscCall(deepsolve::petsc::detail::apply(dcdm->direction, r, z));  // z <- f(r)
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(VecNorm(r, NORM_2, &rnorm));
  if (rnorm == 0.0) {
    PetscCall(VecSet(z, 0.0));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(VecCopy(r, dcdm->unit));
  PetscCall(VecScale(dcdm->unit, 1.0 / rnorm));                                // u <- r / ||r||
  PetscCall(deepsolve::petsc::detail::apply(dcdm->direction, dcdm->unit, z));  // z <- f(u)
  PetscCall(VecScale(z, rnorm));                                               // z <- z ||r||
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCReset_DCDM(PC pc) {
  PC_DCDM* dcdm = dcdm_of(pc);

  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::reset(&dcdm->direction));
  PetscCall(VecDestroy(&dcdm->unit));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDestroy_DCDM(PC pc) {
  PetscFunctionBegin;
  PetscCall(PCReset_DCDM(pc));
  delete dcdm_of(pc);  // a C++ object: not PetscFree
  pc->data = nullptr;
  PetscCall(PetscObjectComposeFunction((PetscObject)pc, "PCDCDMSetModel_C", nullptr));
  PetscCall(PetscObjectComposeFunction((PetscObject)pc, "PCDCDMSetDevice_C", nullptr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCView_DCDM(PC pc, PetscViewer viewer) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::view(dcdm_of(pc)->direction, viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCSetFromOptions_DCDM(PC pc, DEEPSOLVE_PETSC_OPTION_ITEMS PetscOptionsObject) {
  PC_DCDM* dcdm = dcdm_of(pc);
  char value[PETSC_MAX_PATH_LEN];
  PetscBool set = PETSC_FALSE;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "PC DCDM options");
  const std::string model = deepsolve::petsc::detail::model_option_value(dcdm->direction);
  PetscCall(PetscOptionsString("-pc_dcdm_model",
                               "Direction model: identity, jacobi or a trained model file",
                               "PCDCDMSetModel", model.c_str(), value, sizeof(value), &set));
  if (set) PetscCall(PCDCDMSetModel(pc, value));
  PetscCall(PetscOptionsString("-pc_dcdm_device", "Device of a network model: cpu, cuda or auto",
                               "PCDCDMSetDevice", dcdm->direction.device.c_str(), value,
                               sizeof(value), &set));
  if (set) PetscCall(PCDCDMSetDevice(pc, value));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDCDMSetModel_DCDM(PC pc, const char model[]) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::set_model((PetscObject)pc, "pc_dcdm_model", model, false,
                                                &dcdm_of(pc)->direction));
  pc->setupcalled = 0;  // set up again for the new model
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDCDMSetDevice_DCDM(PC pc, const char device[]) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::set_device((PetscObject)pc, "pc_dcdm_device", device,
                                                 &dcdm_of(pc)->direction));
  pc->setupcalled = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

/*MC
   PCDCDM - "dcdm": a DCDM direction model as a preconditioner, z = f(r / ||r||) ||r||.

   Options Database Keys:
+  -pc_dcdm_model <identity>  - identity, jacobi or a trained model file
-  -pc_dcdm_device <auto>     - cpu, cuda or auto: where a network model runs

   Notes:
   A network model is nonlinear: use a flexible method (KSPFCG, KSPFGMRES, KSPGCR). It needs the
   operator on a DMDA (the PC's DM or the matrix's, MatGetDM).

   Level: intermediate

.seealso: `KSPDCDM`, `KSPFCG`, `PCDCDMSetModel()`
M*/
PETSC_EXTERN PetscErrorCode PCCreate_DCDM(PC pc) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::dcdm_initialize_package());
  pc->data = new PC_DCDM();
  pc->ops->setup = PCSetUp_DCDM;
  pc->ops->apply = PCApply_DCDM;
  pc->ops->reset = PCReset_DCDM;
  pc->ops->destroy = PCDestroy_DCDM;
  pc->ops->view = PCView_DCDM;
  pc->ops->setfromoptions = PCSetFromOptions_DCDM;
  PetscCall(PetscObjectComposeFunction((PetscObject)pc, "PCDCDMSetModel_C", PCDCDMSetModel_DCDM));
  PetscCall(PetscObjectComposeFunction((PetscObject)pc, "PCDCDMSetDevice_C", PCDCDMSetDevice_DCDM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDCDMSetModel(PC pc, const char model[]) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(pc, PC_CLASSID, 1);
  PetscTryMethod(pc, "PCDCDMSetModel_C", (PC, const char[]), (pc, model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode PCDCDMSetDevice(PC pc, const char device[]) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(pc, PC_CLASSID, 1);
  PetscTryMethod(pc, "PCDCDMSetDevice_C", (PC, const char[]), (pc, device));
  PetscFunctionReturn(PETSC_SUCCESS);
}

namespace deepsolve::petsc {

PetscErrorCode PCDCDMSetDirectionModel(PC pc,
                                       std::shared_ptr<solvers::dcdm::DirectionModel> model) {
  PetscBool is_dcdm = PETSC_FALSE;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(pc, PC_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCDCDM, &is_dcdm));
  PetscCheck(is_dcdm, PetscObjectComm((PetscObject)pc), PETSC_ERR_ARG_WRONG,
             "PCDCDMSetDirectionModel: the PC is of type %s, not dcdm (PCSetType first)",
             ((PetscObject)pc)->type_name ? ((PetscObject)pc)->type_name : "(not set)");
  PetscCheck(model, PetscObjectComm((PetscObject)pc), PETSC_ERR_ARG_NULL,
             "PCDCDMSetDirectionModel: the model is null");
  detail::set_user_model(std::move(model), &dcdm_of(pc)->direction);
  pc->setupcalled = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace deepsolve::petsc
