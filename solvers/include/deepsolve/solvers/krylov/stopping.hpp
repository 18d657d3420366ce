// How a Krylov iteration decides to stop and whom it tells: the stopping/monitoring policy. The
// algorithms (cg.hpp, conjugate_directions.hpp) compute residual norms and detect breakdowns; the
// policy owns everything else, so the same loop serves a C++ call (DefaultStopping: KrylovOptions'
// tests, a monitor callback and SolveResult's history) and PETSc's KSP "dcdm" (PETSc's convergence
// test, KSPMonitor, KSPLogResidualHistory, ksp->its and ksp->reason; petsc/dcdm_ksp.cpp).
//
// A policy P is called as
//
//   ConvergedReason P.check(int it, double rnorm);
//       At iteration 0 with the initial residual norm and after every iteration: records and
//       publishes rnorm and says whether to go on (ConvergedReason::iterating) or why to stop.
//       Iteration limits and NaN/Inf norms are the policy's to judge.
//   ConvergedReason P.stop(int it, ConvergedReason why);
//       The method cannot go on at iteration `it` (breakdown, indefinite operator or
//       preconditioner, a NaN/Inf dot product, a zero residual): returns the reason to end with.
#pragma once

#include "deepsolve/solvers/krylov/solve_result.hpp"

namespace deepsolve::solvers {

/// How the loop of a Krylov method ended: the policy's last answer and the iterations done.
struct KrylovOutcome {
  ConvergedReason reason = ConvergedReason::iterating;
  int iterations = 0;
};

/// The policy behind the methods' SolveResult overloads: KrylovOptions' rtol/atol/dtol/
/// max_iterations (check_convergence), its monitor, and the residual history in `result`.
class DefaultStopping {
 public:
  /// `bnorm` is ||b|| (rtol and dtol are relative to it).
  DefaultStopping(const KrylovOptions& options, double bnorm, SolveResult& result)
      : options_(options), bnorm_(bnorm), result_(result) {}

  ConvergedReason check(int it, double rnorm) {
    result_.residual_history.push_back(rnorm);
    if (options_.monitor()) options_.monitor()(it, rnorm);
    return check_convergence(options_, it, rnorm, bnorm_);
  }
  ConvergedReason stop(int /*it*/, ConvergedReason why) { return why; }

 private:
  const KrylovOptions& options_;
  double bnorm_;
  SolveResult& result_;
};

}  // namespace deepsolve::solvers
