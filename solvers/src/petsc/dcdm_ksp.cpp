/*
   KSP "dcdm": the deep conjugate-direction method of Kaneda, Akar, Chen, Kala, Hyde & Teran,
   "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems", ICML 2023,
   Algorithm 1, for symmetric positive definite A. The iteration is the library's template
   deepsolve::solvers::conjugate_directions_with (krylov/conjugate_directions.hpp); this file gives
   it what makes it a KSP:

     * a stopping/monitoring policy (KspStopping) that lets PETSc decide when to stop
       (ksp->converged: KSPConvergedDefault with -ksp_rtol/-ksp_atol/-ksp_divtol, a user test, or
       KSPConvergedSkip with -ksp_norm_type none) and publishes the state at every iteration
       (ksp->its, ksp->rnorm, KSPLogResidualHistory, KSPMonitor, ksp->reason; NaN/Inf handled as
       KSPCheckNorm/KSPCheckDot do);
     * a vector space (KspSpace) over the KSP's own Vecs with PETSc's kernels, fused where PETSc
       fuses: one VecMDot for the orthogonalisation coefficients and one for q^T A q with q^T r,
       VecMAXPY, VecWAXPY for r = b - A x, VecAXPBY for r / ||r||; KSP_MatMult and KSP_PCApply for
       the operator and the "pc" model. The work vectors come from KSPSetWorkVecs, so no vector is
       allocated per solve or per iteration.

   With f the identity this is CG in exact arithmetic; with a nonlinear f (a trained network) it
   is truncated flexible CG (KSPFCG with -ksp_fcg_mmax window) on the true residual. The model
   is chosen with -ksp_dcdm_model: identity, jacobi (D^{-1} r), pc (the KSP's own PC, so
   -ksp_dcdm_model pc -pc_type icc gives DCDM with ICC directions) or a trained network file.

   The vectors: ksp->work holds R (residual), W (A x), U (r / ||r||), then the ring of
   window + 1 directions P and their products A P.
*/
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"

#include <petsc/private/kspimpl.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dcdm_direction.hpp"
#include "deepsolve/learned/memory.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"

namespace {

using deepsolve::petsc::detail::DirectionModelState;
using deepsolve::petsc::detail::ModelKind;
using deepsolve::solvers::ConvergedReason;

/* A PETSc call failed inside the template (PetscError has added its traceback line):
   KSPSolve_DCDM returns the code. */
struct PetscFailure {
  PetscErrorCode code;
};

#define DCDM_CALL(...)                                                                        \
  do {                                                                                        \
    const PetscErrorCode dcdm_ierr_ = (__VA_ARGS__);                                          \
    if (PetscUnlikely(dcdm_ierr_ != 0))                                                       \
      throw PetscFailure{PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, \
                                    dcdm_ierr_, PETSC_ERROR_REPEAT, " ")};                    \
  } while (0)

/* The Krylov vector space over the KSP's Vecs (non-owning) with PETSc's own kernels, so any Vec
   type works and each operation is the PETSc call a hand-written KSP would make. */
struct KspSpace {
  using vector = Vec;
  std::vector<Vec>* arrays;  // the Vec arrays VecMDot and VecMAXPY take

  vector create_like(const vector&) const {  // the ring is complete when the solve starts
    throw std::logic_error("KSP dcdm: a work vector was missing (KSPSetUp allocates them)");
  }
  double dot(const vector& a, const vector& b) const {
    PetscScalar d;
    DCDM_CALL(VecDot(a, b, &d));
    return PetscRealPart(d);
  }
  double norm(const vector& x) const {
    PetscReal n;
    DCDM_CALL(VecNorm(x, NORM_2, &n));
    return n;
  }
  void mdot(const vector& x, int n, const vector* const* y, double* out) const {
    for (int j = 0; j < n; ++j) (*arrays)[j] = *y[j];
    DCDM_CALL(VecMDot(x, n, arrays->data(), out));
  }
  void maxpy(int n, const double* alpha, const vector* const* x, vector& y) const {
    for (int j = 0; j < n; ++j) (*arrays)[j] = *x[j];
    DCDM_CALL(VecMAXPY(y, n, alpha, arrays->data()));
  }
  void axpy(double alpha, const vector& x, vector& y) const { DCDM_CALL(VecAXPY(y, alpha, x)); }
  void aypx(double alpha, const vector& x, vector& y) const { DCDM_CALL(VecAYPX(y, alpha, x)); }
  void waxpy(double alpha, const vector& x, const vector& y, vector& w) const {
    DCDM_CALL(VecWAXPY(w, alpha, x, y));
  }
  void scale_copy(double alpha, const vector& x, vector& y) const {
    DCDM_CALL(VecAXPBY(y, alpha, 0.0, x));  // one pass; y is not read
  }
  void copy(const vector& src, vector& dst) const { DCDM_CALL(VecCopy(src, dst)); }
  void scale(double alpha, vector& x) const { DCDM_CALL(VecScale(x, alpha)); }
  void set_zero(vector& x) const { DCDM_CALL(VecSet(x, 0.0)); }
};

static_assert(std::is_same_v<PetscScalar, double>, "KSP dcdm needs real double scalars");

struct KSP_DCDM {
  DirectionModelState direction;         // what computes q (kind pc: the KSP's PC)
  PetscInt window = 2;                   // directions each new one is A-orthogonalised against
  PetscBool true_residual = PETSC_TRUE;  // r = b - A x every iteration, else r -= alpha A q
  deepsolve::solvers::ConjugateDirectionWork<KspSpace> work;  // borrows ksp->work
  std::vector<Vec> arrays;
};

KSP_DCDM* dcdm_of(KSP ksp) {
  return static_cast<KSP_DCDM*>(ksp->data);
}

PetscInt ring_slots(const KSP_DCDM* dcdm) {
  return dcdm->window + 1;
}

PetscInt work_vectors(const KSP_DCDM* dcdm) {
  return 3 + 2 * ring_slots(dcdm);
}

/* Refuses work vectors that cannot fit (learned/memory.hpp) before KSPSetWorkVecs allocates them:
   3 + 2 (window + 1) vectors of the local size on every rank of this node. Decided together, so
   that every rank fails or none does. */
PetscErrorCode KSPDCDMCheckMemory(KSP ksp, Mat A) {
  const KSP_DCDM* dcdm = dcdm_of(ksp);
  const MPI_Comm comm = PetscObjectComm((PetscObject)ksp);
  PetscInt local_rows;
  MPI_Comm node;
  unsigned long long local = 0, on_node = 0;  // bytes

  PetscFunctionBegin;
  PetscCall(MatGetLocalSize(A, &local_rows, nullptr));
  local = static_cast<unsigned long long>(work_vectors(dcdm)) *
          static_cast<unsigned long long>(local_rows) * sizeof(PetscScalar);
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Allreduce(&local, &on_node, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, node));
  PetscCallMPI(MPI_Comm_free(&node));
  std::string message;
  try {
    deepsolve::learned::check_memory(
        deepsolve::petsc::detail::option_name((PetscObject)ksp, "ksp_dcdm_window") + " " +
            std::to_string(dcdm->window),
        on_node,
        std::to_string(work_vectors(dcdm)) + " work vectors (r, A x, r/||r|| and two per " +
            "window slot) of the local size on this node's ranks",
        "lower the window");
  } catch (const std::exception& e) {
    message = e.what();
  }
  int failed = message.empty() ? 0 : 1, any = 0;
  PetscCallMPI(MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(!any, comm, PETSC_ERR_MEM, "KSP dcdm: %s",
             failed ? message.c_str() : "the work vectors do not fit on another rank's node");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/*
   KSPSetUp_DCDM - allocates the work vectors and prepares the direction model (a network is
   loaded here, so its cost counts as set-up). A model other than "pc" does not use the KSP's PC,
   so it is made PCNONE: no factorisation is computed only to be ignored.
*/
PetscErrorCode KSPSetUp_DCDM(KSP ksp) {
  KSP_DCDM* dcdm = dcdm_of(ksp);
  PC pc;
  PetscBool have_operators = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCGetOperatorsSet(pc, &have_operators, nullptr));
  if (have_operators) {
    Mat A;
    PetscCall(PCGetOperators(pc, &A, nullptr));
    PetscCall(KSPDCDMCheckMemory(ksp, A));
  }
  PetscCall(KSPSetWorkVecs(ksp, work_vectors(dcdm)));
  dcdm->arrays.resize(static_cast<std::size_t>(std::max<PetscInt>(dcdm->window, 2)));
  if (dcdm->direction.kind != ModelKind::pc) {
    PetscBool none = PETSC_FALSE;
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCNONE, &none));
    if (!none) {
      PetscCall(PetscInfo(ksp, "direction model %s does not use the PC: setting it to none\n",
                          deepsolve::petsc::detail::model_option_value(dcdm->direction).c_str()));
      PetscCall(PCSetType(pc, PCNONE));
    }
  }
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

/* PETSc's checks of a norm and of a dot product: a NaN or Inf ends the solve with
   KSP_DIVERGED_NANORINF (KSP_DIVERGED_PC_FAILED when the PC failed), or is an error with
   -ksp_error_if_not_converged. */
PetscErrorCode KSPDCDMCheckNorm(KSP ksp, PetscReal rnorm) {
  PetscFunctionBegin;
  KSPCheckNorm(ksp, rnorm);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode KSPDCDMCheckDot(KSP ksp, PetscScalar value) {
  PetscFunctionBegin;
  KSPCheckDot(ksp, value);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The template's stopping/monitoring policy (krylov/stopping.hpp) for a KSP. */
class KspStopping {
 public:
  explicit KspStopping(KSP ksp) : ksp_(ksp) {}

  ConvergedReason check(int it, double rnorm) {
    DCDM_CALL(KSPDCDMCheckNorm(ksp_, rnorm));  // a NaN/Inf norm ends the solve unpublished
    if (!ksp_->reason) {
      DCDM_CALL(KSPDCDMReport(ksp_, it, rnorm));
      if (!ksp_->reason && it >= ksp_->max_it) ksp_->reason = KSP_DIVERGED_ITS;
    }
    return static_cast<ConvergedReason>(ksp_->reason);
  }

  ConvergedReason stop(int it, ConvergedReason why) {
    if (why == ConvergedReason::diverged_nanorinf) {
      DCDM_CALL(KSPDCDMCheckDot(ksp_, std::numeric_limits<PetscScalar>::quiet_NaN()));
    } else {
      if (why == ConvergedReason::diverged_breakdown)
        DCDM_CALL(PetscInfo(ksp_, "breakdown at iteration %d: q^T A q <= 0\n", it));
      ksp_->reason = static_cast<KSPConvergedReason>(why);
    }
    return static_cast<ConvergedReason>(ksp_->reason);
  }

 private:
  KSP ksp_;
};

PetscErrorCode KSPSolve_DCDM(KSP ksp) {
  KSP_DCDM* dcdm = dcdm_of(ksp);
  const PetscInt slots = ring_slots(dcdm);
  Mat A, Pmat;

  PetscFunctionBegin;
  PetscCheck(ksp->nwork >= work_vectors(dcdm), PetscObjectComm((PetscObject)ksp), PETSC_ERR_PLIB,
             "KSP dcdm was not set up for window %d", (int)dcdm->window);
  PetscCall(PCGetOperators(ksp->pc, &A, &Pmat));
  PetscCall(deepsolve::petsc::detail::set_up((PetscObject)ksp, "ksp_dcdm_model", A, Pmat, ksp->dm,
                                             &dcdm->direction));
  auto& work = dcdm->work;
  work.r = ksp->work[0];
  work.Ax = ksp->work[1];
  work.r_unit = ksp->work[2];
  work.p.assign(ksp->work + 3, ksp->work + 3 + slots);
  work.Ap.assign(ksp->work + 3 + slots, ksp->work + 3 + 2 * slots);

  const KspSpace space{&dcdm->arrays};
  auto op = [&](const Vec& in, Vec& out) { DCDM_CALL(KSP_MatMult(ksp, A, in, out)); };
  auto direction = [&](const Vec& u, Vec& q) {
    if (dcdm->direction.kind == ModelKind::pc) {
      DCDM_CALL(PetscLogEventBegin(deepsolve::petsc::detail::dcdm_direction_event, u, q, 0, 0));
      DCDM_CALL(KSP_PCApply(ksp, u, q));  // q <- M^{-1} u
      DCDM_CALL(PetscLogEventEnd(deepsolve::petsc::detail::dcdm_direction_event, u, q, 0, 0));
    } else {
      DCDM_CALL(deepsolve::petsc::detail::apply(dcdm->direction, u, q));  // q <- f(u)
      DCDM_CALL(KSP_RemoveNullSpace(ksp, q));
    }
  };
  const auto options =
      deepsolve::solvers::ConjugateDirectionOptions()
          .krylov(deepsolve::solvers::KrylovOptions().nonzero_initial_guess(!ksp->guess_zero))
          .window(static_cast<int>(dcdm->window))
          .true_residual(dcdm->true_residual);
  KspStopping policy(ksp);
  Vec X = ksp->vec_sol;
  ksp->reason = KSP_CONVERGED_ITERATING;
  try {
    deepsolve::solvers::conjugate_directions_with(policy, space, op, direction, ksp->vec_rhs, X,
                                                  options, work);
  } catch (const PetscFailure& failure) {
    PetscCall(failure.code);
  } catch (const std::exception& e) {
    SETERRQ(PetscObjectComm((PetscObject)ksp), PETSC_ERR_LIB, "KSP dcdm: %s", e.what());
  }
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
  const std::string option =
      deepsolve::petsc::detail::option_name((PetscObject)ksp, "ksp_dcdm_window");
  PetscCheck(window >= 0, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE,
             "%s %" PetscInt_FMT ": must be >= 0", option.c_str(), window);
  // Each of the window + 1 slots keeps two work vectors, all allocated at set-up.
  PetscCheck(window <= deepsolve::solvers::max_conjugate_direction_window,
             PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE,
             "%s %" PetscInt_FMT
             ": must be <= %d (max_conjugate_direction_window; each of the "
             "window + 1 slots keeps two vectors)",
             option.c_str(), window, deepsolve::solvers::max_conjugate_direction_window);
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
