// What an iterative solve reports. Divergence is a result, not an exception: the reason codes have
// the values and meaning of PETSc's KSPConvergedReason (include/petscksp.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "deepsolve/solvers/options.hpp"

namespace deepsolve::solvers {

enum class ConvergedReason : int {
  iterating = 0,
  converged_rtol = 2,  ///< ||r|| <= rtol ||b||
  converged_atol = 3,  ///< ||r|| <= atol
  converged_its = 4,   ///< stopped after max_iterations by request (Lanczos, fixed-step use)
  converged_happy_breakdown = 8,  ///< a zero residual the stopping policy did not stop at
  diverged_null = -2,
  diverged_its = -3,        ///< max_iterations reached without converging
  diverged_dtol = -4,       ///< ||r|| >= dtol ||b||
  diverged_breakdown = -5,  ///< a zero denominator that is not curvature information
  diverged_indefinite_pc = -8,
  diverged_nanorinf = -9,         ///< a residual or step became NaN or infinite
  diverged_indefinite_mat = -10,  ///< p^T A p < 0: the operator is not positive definite
};

/// PETSc's spelling, e.g. "CONVERGED_RTOL", "DIVERGED_INDEFINITE_MAT".
std::string to_string(ConvergedReason reason);
inline bool converged(ConvergedReason r) {
  return static_cast<int>(r) > 0;
}

struct SolveResult {
  ConvergedReason reason = ConvergedReason::iterating;
  int iterations = 0;
  /// Norm of the (recursively updated, unpreconditioned) residual at iterations 0..iterations.
  std::vector<double> residual_history;
  /// ||b - A x|| / ||b|| recomputed from the returned x (||b - A x|| when b = 0).
  double true_relative_residual = 0.0;
  bool converged() const { return solvers::converged(reason); }
};

/// Called as monitor(iteration, residual norm) at iteration 0 and after every iteration.
using Monitor = std::function<void(int, double)>;

/// Stopping rules shared by the Krylov methods (PETSc's KSPConvergedDefault): converged when
/// ||r|| <= max(rtol ||b||, atol), diverged when ||r|| >= dtol ||b|| or after max_iterations.
struct KrylovOptions {
  DEEPSOLVE_ARG(double, rtol) = 1e-5;
  DEEPSOLVE_ARG(double, atol) = 1e-50;
  DEEPSOLVE_ARG(double, dtol) = 1e5;
  DEEPSOLVE_ARG(int, max_iterations) = 10000;
  /// Start from the x passed in instead of zero.
  DEEPSOLVE_ARG(bool, nonzero_initial_guess) = false;
  DEEPSOLVE_ARG(Monitor, monitor);
  /// Checks the options and throws std::invalid_argument naming a bad one.
 public:
  void validate() const;
};

/// The convergence decision for residual norm `rnorm` at iteration `it` given ||b||.
ConvergedReason check_convergence(const KrylovOptions& opt, int it, double rnorm, double bnorm);

}  // namespace deepsolve::solvers
