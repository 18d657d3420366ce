/*
   KSP "dcdm": the deep conjugate-direction method of Kaneda, Akar, Chen, Kala, Hyde & Teran,
   "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems", ICML 2023,
   Algorithm 1, for symmetric positive definite A:

       r_0 = b - A x_0
       for k = 0, 1, ...
         q   = f(r_k / ||r_k||)                                  the direction model
         q  <- q - sum_j (q^T A p_j / p_j^T A p_j) p_j           over the last `window` p_j
         p_k = q,  alpha = p_k^T r_k / p_k^T A p_k               exact line search
         x_{k+1} = x_k + alpha p_k
         r_{k+1} = b - A x_{k+1}                                 (or r_k - alpha A p_k)

   With f the identity this is CG in exact arithmetic; with a nonlinear f (a trained network) it
   is truncated flexible CG (KSPFCG with -ksp_fcg_mmax window) on the true residual. The model
   is chosen with -ksp_dcdm_model: identity, jacobi (D^{-1} r), pc (the KSP's own PC, so
   -ksp_dcdm_model pc -pc_type icc gives DCDM with ICC directions) or a trained network file.

   Why this loop is not deepsolve::solvers::conjugate_directions (krylov/conjugate_directions.hpp),
   which runs the same iteration over any vector space: a KSP must let PETSc decide when to stop
   (ksp->converged may be KSPConvergedDefault with -ksp_rtol/-ksp_atol/-ksp_divtol, a user test,
   or KSPConvergedSkip with -ksp_norm_type none) and must publish its state (ksp->its, ksp->rnorm,
   the residual history, monitors) at every iteration. The template stops on its own
   KrylovOptions and reports through a callback that cannot end the loop, so it cannot host
   PETSc's hooks without changing its contract. The loop below is the same algorithm in PETSc's
   idiom; tests/solvers/test_dcdm_ksp.cpp checks that both take the same number of iterations.
   Two differences of detail: the A-orthogonalisation takes all coefficients from the
   unmodified q with one VecMDot (classical Gram-Schmidt, as the authors' code does; the last
   `window` directions are mutually A-orthogonal, so it equals the sequential form in exact
   arithmetic; windows longer than 2 get a second pass against rounding), and the two dot products
   of the line search share one reduction.

   The vectors: ksp->work holds R (residual), W (A x), U (r / ||r||), then the ring of
   window + 1 directions P and their products A P, reused so no vector is allocated per
   iteration.
*/
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"

#include <petsc/private/kspimpl.h>

#include <algorithm>
#include <vector>

#include "dcdm_direction.hpp"

namespace {

using deepsolve::petsc::detail::DirectionModelState;
using deepsolve::petsc::detail::ModelKind;

struct KSP_DCDM {
  DirectionModelState direction;         // what computes q (kind pc: the KSP's PC)
  PetscInt window = 2;                   // directions each new one is A-orthogonalised against
  PetscBool true_residual = PETSC_TRUE;  // r = b - A x every iteration, else r -= alpha A q
  std::vector<PetscReal> pAp;            // p^T A p of each ring slot
  std::vector<Vec> p, Ap;                // the directions orthogonalised against, this iteration
  std::vector<PetscScalar> coefficients;
};

KSP_DCDM* dcdm_of(KSP ksp) {
  return static_cast<KSP_DCDM*>(ksp->data);
}

PetscInt ring_slots(const KSP_DCDM* dcdm) {
  return dcdm->window + 1;
}

/*
   KSPSetUp_DCDM - allocates the work vectors and prepares the direction model (a network is
   loaded here, so its cost counts as set-up). A model other than "pc" does not use the KSP's PC,
   so it is made PCNONE: no factorisation is computed only to be ignored.
*/
PetscErrorCode KSPSetUp_DCDM(KSP ksp) {
  KSP_DCDM* dcdm = dcdm_of(ksp);
  const PetscInt slots = ring_slots(dcdm);
  PC pc;
  PetscBool have_operators = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(KSPSetWorkVecs(ksp, 3 + 2 * slots));
  dcdm->pAp.assign(static_cast<std::size_t>(slots), 0.0);
  dcdm->p.resize(static_cast<std::size_t>(dcdm->window));
  dcdm->Ap.resize(static_cast<std::size_t>(dcdm->window));
  dcdm->coefficients.resize(static_cast<std::size_t>(dcdm->window));
  PetscCall(KSPGetPC(ksp, &pc));
  if (dcdm->direction.kind != ModelKind::pc) {
    PetscBool none = PETSC_FALSE;
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCNONE, &none));
    if (!none) {
      PetscCall(PetscInfo(ksp, "direction model %s does not use the PC: setting it to none\n",
                          deepsolve::petsc::detail::model_option_value(dcdm->direction).c_str()));
      PetscCall(PCSetType(pc, PCNONE));
    }
  }
  PetscCall(PCGetOperatorsSet(pc, &have_operators, nullptr));
  if (have_operators) {  // load a network model now, so that its cost counts as set-up
    Mat A, Pmat;
    PetscCall(PCGetOperators(pc, &A, &Pmat));
    PetscCall(deepsolve::petsc::detail::set_up((PetscObject)ksp, "ksp_dcdm_model", A, Pmat, ksp->dm,
                                               &dcdm->direction));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Publishes the state after iteration `it` and asks PETSc's convergence test whether to stop. */
PetscErrorCode KSPDCDMReport(KSP ksp, PetscInt it, PetscReal rnorm) {
  const PetscReal dp = ksp->normtype == KSP_NORM_NONE ? 0.0 : rnorm;

  PetscFunctionBegin;
  PetscCall(PetscObjectSAWsTakeAccess((PetscObject)ksp));
  ksp->its = it;
  ksp->rnorm = dp;
  PetscCall(PetscObjectSAWsGrantAccess((PetscObject)ksp));
  PetscCall(KSPLogResidualHistory(ksp, dp));
  PetscCall(KSPMonitor(ksp, it, dp));
  PetscCall((*ksp->converged)(ksp, it, dp, &ksp->reason, ksp->cnvP));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSolve_DCDM(KSP ksp) {
  KSP_DCDM* dcdm = dcdm_of(ksp);
  const PetscInt slots = ring_slots(dcdm);
  Mat A, Pmat;
  PetscReal rnorm;

  PetscFunctionBegin;
  PetscCheck(ksp->nwork >= 3 + 2 * slots, PetscObjectComm((PetscObject)ksp), PETSC_ERR_PLIB,
             "KSP dcdm was not set up for window %d", (int)dcdm->window);
  PetscCall(PCGetOperators(ksp->pc, &A, &Pmat));
  PetscCall(deepsolve::petsc::detail::set_up((PetscObject)ksp, "ksp_dcdm_model", A, Pmat, ksp->dm,
                                             &dcdm->direction));
  Vec X = ksp->vec_sol, B = ksp->vec_rhs;
  Vec R = ksp->work[0], W = ksp->work[1], U = ksp->work[2];
  Vec* P = ksp->work + 3;
  Vec* AP = ksp->work + 3 + slots;

  if (!ksp->guess_zero) {
    PetscCall(KSP_MatMult(ksp, A, X, W));  // W <- A x
    PetscCall(VecWAXPY(R, -1.0, W, B));    // r <- b - A x
  } else {
    PetscCall(VecSet(X, 0.0));  // x <- 0
    PetscCall(VecCopy(B, R));   // r <- b
  }
  PetscCall(VecNorm(R, NORM_2, &rnorm));  // ||r||
  KSPCheckNorm(ksp, rnorm);
  ksp->reason = KSP_CONVERGED_ITERATING;
  PetscCall(KSPDCDMReport(ksp, 0, rnorm));
  if (ksp->reason) PetscFunctionReturn(PETSC_SUCCESS);

  for (PetscInt i = 0; i < ksp->max_it; ++i) {
    Vec q = P[i % slots], Aq = AP[i % slots];
    if (rnorm == 0.0) {  // only reachable when the convergence test ignores the norm
      ksp->reason = KSP_CONVERGED_HAPPY_BREAKDOWN;
      break;
    }
    PetscCall(VecAXPBY(U, 1.0 / rnorm, 0.0, R));  // U <- r / ||r|| (one pass; U is not read)
    if (dcdm->direction.kind == ModelKind::pc) {
      PetscCall(PetscLogEventBegin(deepsolve::petsc::detail::dcdm_direction_event, U, q, 0, 0));
      PetscCall(KSP_PCApply(ksp, U, q));  // q <- M^{-1} U
      PetscCall(PetscLogEventEnd(deepsolve::petsc::detail::dcdm_direction_event, U, q, 0, 0));
    } else {
      PetscCall(deepsolve::petsc::detail::apply(dcdm->direction, U, q));  // q <- f(U)
      PetscCall(KSP_RemoveNullSpace(ksp, q));
    }

    // q <- q - sum_j (q^T A p_j / p_j^T A p_j) p_j over the last `window` directions
    const PetscInt n = std::min(i, dcdm->window);
    if (n > 0) {
      for (PetscInt m = 0; m < n; ++m) {
        const PetscInt j = (i - n + m) % slots;
        dcdm->p[m] = P[j];
        dcdm->Ap[m] = AP[j];
      }
      // Classical Gram-Schmidt loses A-orthogonality over long windows; a second pass restores it
      // ("twice is enough"). The paper's window of 2 needs only one.
      const int passes = n > 2 ? 2 : 1;
      for (int pass = 0; pass < passes; ++pass) {
        PetscCall(VecMDot(q, n, dcdm->Ap.data(), dcdm->coefficients.data()));  // q^T A p_j
        for (PetscInt m = 0; m < n; ++m) {
          KSPCheckDot(ksp, dcdm->coefficients[m]);
          dcdm->coefficients[m] /= -dcdm->pAp[(i - n + m) % slots];
        }
        PetscCall(VecMAXPY(q, n, dcdm->coefficients.data(), dcdm->p.data()));
      }
    }

    PetscCall(KSP_MatMult(ksp, A, q, Aq));  // Aq <- A q
    // q^T A q and q^T r in one pass over q and one reduction
    const Vec against[2] = {Aq, R};
    PetscScalar dots[2];
    PetscCall(VecMDot(q, 2, against, dots));
    const PetscScalar qAq = dots[0], qr = dots[1];
    KSPCheckDot(ksp, qAq);
    KSPCheckDot(ksp, qr);
    if (PetscRealPart(qAq) <= 0.0) {
      // A zero direction, or one the operator maps to zero: no step is possible.
      PetscCall(PetscInfo(ksp, "breakdown at iteration %d: q^T A q = %g\n", (int)i,
                          (double)PetscRealPart(qAq)));
      ksp->reason = KSP_DIVERGED_BREAKDOWN;
      break;
    }
    dcdm->pAp[i % slots] = PetscRealPart(qAq);
    const PetscScalar alpha = qr / qAq;  // exact line search along q
    PetscCall(VecAXPY(X, alpha, q));     // x <- x + alpha q
    if (dcdm->true_residual) {
      PetscCall(KSP_MatMult(ksp, A, X, W));  // W <- A x
      PetscCall(VecWAXPY(R, -1.0, W, B));    // r <- b - A x
    } else {
      PetscCall(VecAXPY(R, -alpha, Aq));  // r <- r - alpha A q
    }
    PetscCall(VecNorm(R, NORM_2, &rnorm));
    KSPCheckNorm(ksp, rnorm);
    PetscCall(KSPDCDMReport(ksp, i + 1, rnorm));
    if (ksp->reason) break;
  }
  if (!ksp->reason) ksp->reason = KSP_DIVERGED_ITS;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPReset_DCDM(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::reset(&dcdm_of(ksp)->direction));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDestroy_DCDM(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(KSPReset_DCDM(ksp));
  delete dcdm_of(ksp);  // a C++ object (strings, shared_ptr): not PetscFree
  ksp->data = nullptr;
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetModel_C", nullptr));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetWindow_C", nullptr));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetTrueResidual_C", nullptr));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetDevice_C", nullptr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPView_DCDM(KSP ksp, PetscViewer viewer) {
  const KSP_DCDM* dcdm = dcdm_of(ksp);
  PetscBool ascii = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::view(dcdm->direction, viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &ascii));
  if (!ascii) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscViewerASCIIPrintf(viewer,
                                   "  window: %d (A-orthogonal to the last %d directions)\n",
                                   (int)dcdm->window, (int)dcdm->window));
  PetscCall(PetscViewerASCIIPrintf(
      viewer, "  true residual: %s\n",
      dcdm->true_residual ? "yes (r = b - A x every iteration)" : "no (r <- r - alpha A q)"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPSetFromOptions_DCDM(KSP ksp, DEEPSOLVE_PETSC_OPTION_ITEMS PetscOptionsObject) {
  KSP_DCDM* dcdm = dcdm_of(ksp);
  char value[PETSC_MAX_PATH_LEN];
  PetscInt window = dcdm->window;
  PetscBool true_residual = dcdm->true_residual, set = PETSC_FALSE;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "KSP DCDM options");
  const std::string model = deepsolve::petsc::detail::model_option_value(dcdm->direction);
  PetscCall(PetscOptionsString("-ksp_dcdm_model",
                               "Direction model: identity, jacobi, pc or a trained model file",
                               "KSPDCDMSetModel", model.c_str(), value, sizeof(value), &set));
  if (set) PetscCall(KSPDCDMSetModel(ksp, value));
  PetscCall(PetscOptionsInt(
      "-ksp_dcdm_window", "Number of previous directions each new one is A-orthogonalised against",
      "KSPDCDMSetWindow", window, &window, &set));
  if (set) PetscCall(KSPDCDMSetWindow(ksp, window));
  PetscCall(PetscOptionsBool("-ksp_dcdm_true_residual",
                             "Recompute r = b - A x every iteration instead of updating it",
                             "KSPDCDMSetTrueResidual", true_residual, &true_residual, &set));
  if (set) PetscCall(KSPDCDMSetTrueResidual(ksp, true_residual));
  PetscCall(PetscOptionsString("-ksp_dcdm_device", "Device of a network model: cpu, cuda or auto",
                               "KSPDCDMSetDevice", dcdm->direction.device.c_str(), value,
                               sizeof(value), &set));
  if (set) PetscCall(KSPDCDMSetDevice(ksp, value));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetModel_DCDM(KSP ksp, const char model[]) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::set_model((PetscObject)ksp, "ksp_dcdm_model", model, true,
                                                &dcdm_of(ksp)->direction));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetWindow_DCDM(KSP ksp, PetscInt window) {
  KSP_DCDM* dcdm = dcdm_of(ksp);

  PetscFunctionBegin;
  PetscCheck(window >= 0, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE,
             "%s %d: must be >= 0",
             deepsolve::petsc::detail::option_name((PetscObject)ksp, "ksp_dcdm_window").c_str(),
             (int)window);
  if (window != dcdm->window && ksp->setupstage) PetscCall(KSPReset(ksp));  // new work vectors
  dcdm->window = window;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetTrueResidual_DCDM(KSP ksp, PetscBool flag) {
  PetscFunctionBegin;
  dcdm_of(ksp)->true_residual = flag;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetDevice_DCDM(KSP ksp, const char device[]) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::set_device((PetscObject)ksp, "ksp_dcdm_device", device,
                                                 &dcdm_of(ksp)->direction));
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace

/*MC
   KSPDCDM - "dcdm": the deep conjugate-direction method (Kaneda et al., ICML 2023, Alg. 1).

   Options Database Keys:
+  -ksp_dcdm_model <pc>            - identity, jacobi, pc (the KSP's PC) or a trained model file
.  -ksp_dcdm_window <2>            - previous directions each new one is A-orthogonalised against
.  -ksp_dcdm_true_residual <true>  - recompute r = b - A x every iteration
-  -ksp_dcdm_device <auto>         - cpu, cuda or auto: where a network model runs

   Notes:
   For symmetric positive definite operators. Monitors the unpreconditioned residual (or none).
   A network model needs the operator on a DMDA. Ends with KSP_DIVERGED_BREAKDOWN when a
   direction has q^T A q <= 0 (e.g. a model returning zero) and KSP_DIVERGED_NANORINF on NaN/Inf.

   Level: intermediate

.seealso: `KSPFCG`, `KSPCG`, `PCDCDM`, `KSPDCDMSetModel()`, `KSPDCDMSetWindow()`
M*/
PETSC_EXTERN PetscErrorCode KSPCreate_DCDM(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(deepsolve::petsc::detail::dcdm_initialize_package());
  auto* dcdm = new KSP_DCDM();
  dcdm->direction.kind = ModelKind::pc;  // like every KSP, use the PC unless told otherwise
  ksp->data = dcdm;
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_UNPRECONDITIONED, PC_LEFT, 3));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NONE, PC_LEFT, 1));
  ksp->ops->setup = KSPSetUp_DCDM;
  ksp->ops->solve = KSPSolve_DCDM;
  ksp->ops->reset = KSPReset_DCDM;
  ksp->ops->destroy = KSPDestroy_DCDM;
  ksp->ops->view = KSPView_DCDM;
  ksp->ops->setfromoptions = KSPSetFromOptions_DCDM;
  ksp->ops->buildsolution = KSPBuildSolutionDefault;
  ksp->ops->buildresidual = KSPBuildResidualDefault;
  PetscCall(
      PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetModel_C", KSPDCDMSetModel_DCDM));
  PetscCall(
      PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetWindow_C", KSPDCDMSetWindow_DCDM));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetTrueResidual_C",
                                       KSPDCDMSetTrueResidual_DCDM));
  PetscCall(
      PetscObjectComposeFunction((PetscObject)ksp, "KSPDCDMSetDevice_C", KSPDCDMSetDevice_DCDM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetModel(KSP ksp, const char model[]) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscTryMethod(ksp, "KSPDCDMSetModel_C", (KSP, const char[]), (ksp, model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetWindow(KSP ksp, PetscInt window) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscTryMethod(ksp, "KSPDCDMSetWindow_C", (KSP, PetscInt), (ksp, window));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetTrueResidual(KSP ksp, PetscBool flag) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscTryMethod(ksp, "KSPDCDMSetTrueResidual_C", (KSP, PetscBool), (ksp, flag));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMSetDevice(KSP ksp, const char device[]) {
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscTryMethod(ksp, "KSPDCDMSetDevice_C", (KSP, const char[]), (ksp, device));
  PetscFunctionReturn(PETSC_SUCCESS);
}

namespace deepsolve::petsc {

PetscErrorCode KSPDCDMSetDirectionModel(KSP ksp,
                                        std::shared_ptr<solvers::dcdm::DirectionModel> model) {
  PetscBool is_dcdm = PETSC_FALSE;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscCall(PetscObjectTypeCompare((PetscObject)ksp, KSPDCDM, &is_dcdm));
  PetscCheck(is_dcdm, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_WRONG,
             "KSPDCDMSetDirectionModel: the KSP is of type %s, not dcdm (KSPSetType first)",
             ((PetscObject)ksp)->type_name ? ((PetscObject)ksp)->type_name : "(not set)");
  PetscCheck(model, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_NULL,
             "KSPDCDMSetDirectionModel: the model is null");
  detail::set_user_model(std::move(model), &dcdm_of(ksp)->direction);
  PetscFunctionReturn(PETSC_SUCCESS);
}

}  // namespace deepsolve::petsc
