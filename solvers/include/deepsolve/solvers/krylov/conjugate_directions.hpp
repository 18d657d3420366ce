// The deep conjugate-direction iteration (DCDM; Kaneda, Akar, Chen, Kala, Hyde & Teran, "A Deep
// Conjugate Direction Method for Iteratively Solving Linear Systems", ICML 2023, Alg. 1), written
// once for every vector space and every way of stopping (stopping.hpp): the C++ call below and
// PETSc's KSP "dcdm" (petsc/dcdm_ksp.cpp) run this loop. Each iteration asks a direction model for
// a search direction q = f(r / ||r||), A-orthogonalises it against the last `window` directions
// (A p cached), steps along it with the exact line search alpha = q^T r / q^T A q, and recomputes
// the residual (the true residual b - A x by default, as the authors' code does).
//
// The A-orthogonalisation takes all coefficients q^T A p_j from the unmodified q (classical
// Gram-Schmidt, as the authors' code does: one fused reduction where the space has mdot). The last
// `window` directions are mutually A-orthogonal, so this equals the sequential form in exact
// arithmetic; windows longer than 2 get a second pass against rounding ("twice is enough").
//
// With the identity as direction model and window >= 1 this is CG in exact arithmetic; with a
// nonlinear model it is truncated flexible CG (PETSc's KSPFCG with mmax = window) on the true
// residual.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "deepsolve/solvers/krylov/solve_result.hpp"
#include "deepsolve/solvers/krylov/stopping.hpp"
#include "deepsolve/solvers/krylov/vector_space.hpp"

namespace deepsolve::solvers {

/// The largest window accepted. A window longer than the iteration count is full
/// orthogonalisation already, and this bound is the default iteration limit; each slot keeps two
/// vectors (PETSc's KSP allocates them all at set-up), so larger values only exhaust memory.
inline constexpr int max_conjugate_direction_window = 10000;

struct ConjugateDirectionOptions {
  /// Tolerances, iteration limit, monitor, initial guess. Only nonzero_initial_guess is read
  /// when a policy is passed (conjugate_directions_with): the policy decides when to stop.
  DEEPSOLVE_ARG(KrylovOptions, krylov);
  /// Number of previous directions each new one is A-orthogonalised against (the paper uses 2);
  /// 0 to max_conjugate_direction_window.
  DEEPSOLVE_ARG(int, window) = 2;
  /// Recompute r = b - A x every iteration (one more operator application) instead of r -= alpha A
  /// q.
  DEEPSOLVE_ARG(bool, true_residual) = true;

 public:
  void validate() const;
};

inline void ConjugateDirectionOptions::validate() const {
  krylov_.validate();
  if (window_ < 0 || window_ > max_conjugate_direction_window)
    throw std::invalid_argument(
        "invalid conjugate-direction option window = " + std::to_string(window_) +
        " (must be in [0, " + std::to_string(max_conjugate_direction_window) +
        "]: max_conjugate_direction_window; each slot keeps two vectors)");
}

/// The vectors of a conjugate-direction solve, reusable from one solve to the next.
template <class Space>
struct ConjugateDirectionWork {
  using Vector = typename Space::vector;
  ConjugateDirectionWork() = default;
  /// r, A x and r / ||r|| shaped like `like`; the ring is filled as the iteration reaches its
  /// slots, so a long window costs memory only once that many iterations are run.
  ConjugateDirectionWork(const Space& space, const Vector& like)
      : r(space.create_like(like)), Ax(space.create_like(like)), r_unit(space.create_like(like)) {}

  Vector r, Ax, r_unit;
  /// The ring of window + 1 directions p and their products A p (slot it % (window + 1)).
  std::vector<Vector> p, Ap;
  std::vector<double> pAp;
  // Scratch for the fused products: the directions orthogonalised against and coefficients.
  std::vector<const Vector*> older_p, older_Ap;
  std::vector<double> coefficients;
};

/// The iteration itself: solves A x = b for SPD A with directions from `direction(r_unit, q)`,
/// which must fill q given the unit-norm residual r_unit, and stops when `policy` says so
/// (stopping.hpp). Ends by itself (policy.stop) with DIVERGED_BREAKDOWN when the model returns a
/// direction with q^T A q <= 0 after orthogonalisation (e.g. zero, or orthogonal to r in the
/// A-norm), DIVERGED_NANORINF when a dot product is NaN or Inf, and CONVERGED_HAPPY_BREAKDOWN on a
/// zero residual the policy did not stop at. x is overwritten (and read first when
/// options.krylov().nonzero_initial_guess()); work.r holds the last residual.
template <class Policy, class Space, class Operator, class DirectionModel>
KrylovOutcome conjugate_directions_with(Policy& policy, const Space& space, const Operator& A,
                                        const DirectionModel& direction,
                                        const typename Space::vector& b, typename Space::vector& x,
                                        const ConjugateDirectionOptions& options,
                                        ConjugateDirectionWork<Space>& work) {
  options.validate();
  const int window = options.window();
  const int slots = window + 1;
  if (work.pAp.size() < static_cast<std::size_t>(slots)) work.pAp.resize(slots);
  work.older_p.resize(window);
  work.older_Ap.resize(window);
  work.coefficients.resize(window);
  auto& r = work.r;
  if (options.krylov().nonzero_initial_guess()) {
    A(x, work.Ax);
    waxpy(space, -1.0, work.Ax, b, r);  // r <- b - A x
  } else {
    space.set_zero(x);
    space.copy(b, r);
  }
  double rnorm = norm(space, r);
  KrylovOutcome out;
  out.reason = policy.check(0, rnorm);
  int& it = out.iterations;
  while (out.reason == ConvergedReason::iterating) {
    if (rnorm == 0.0) {  // only reachable when the policy ignores the norm
      out.reason = policy.stop(it, ConvergedReason::converged_happy_breakdown);
      break;
    }
    const int slot = it % slots;
    if (static_cast<int>(work.p.size()) <= slot) {  // the ring grows to window + 1 slots
      work.p.push_back(space.create_like(b));
      work.Ap.push_back(space.create_like(b));
    }
    auto& q = work.p[slot];
    auto& Aq = work.Ap[slot];
    scale_copy(space, 1.0 / rnorm, r, work.r_unit);
    direction(work.r_unit, q);  // q = f(r / ||r||)

    // q <- q - sum_j (q^T A p_j / p_j^T A p_j) p_j over the last n = min(it, window) directions
    const int n = std::min(it, window);
    if (n > 0) {
      for (int m = 0; m < n; ++m) {
        const int j = (it - n + m) % slots;
        work.older_p[m] = &work.p[j];
        work.older_Ap[m] = &work.Ap[j];
      }
      double* c = work.coefficients.data();
      const int passes = n > 2 ? 2 : 1;
      for (int pass = 0; pass < passes && out.reason == ConvergedReason::iterating; ++pass) {
        mdot(space, q, n, work.older_Ap.data(), c);  // q^T A p_j
        for (int m = 0; m < n; ++m) {
          if (!std::isfinite(c[m])) {
            out.reason = policy.stop(it, ConvergedReason::diverged_nanorinf);
            break;
          }
          c[m] /= -work.pAp[(it - n + m) % slots];
        }
        if (out.reason == ConvergedReason::iterating) maxpy(space, n, c, work.older_p.data(), q);
      }
      if (out.reason != ConvergedReason::iterating) break;
    }

    A(q, Aq);
    // q^T A q and q^T r in one reduction where the space fuses them
    const typename Space::vector* against[2] = {&Aq, &r};
    double dots[2];
    mdot(space, q, 2, against, dots);
    const double qAq = dots[0], qr = dots[1];
    if (!std::isfinite(qAq) || !std::isfinite(qr)) {
      out.reason = policy.stop(it, ConvergedReason::diverged_nanorinf);
      break;
    }
    if (qAq <= 0.0) {  // a zero direction, or one the operator maps to zero: no step is possible
      out.reason = policy.stop(it, ConvergedReason::diverged_breakdown);
      break;
    }
    work.pAp[slot] = qAq;
    const double alpha = qr / qAq;  // exact line search along q
    space.axpy(alpha, q, x);        // x <- x + alpha q
    if (options.true_residual()) {
      A(x, work.Ax);
      waxpy(space, -1.0, work.Ax, b, r);  // r <- b - A x
    } else {
      space.axpy(-alpha, Aq, r);  // r <- r - alpha A q
    }
    ++it;
    rnorm = norm(space, r);
    out.reason = policy.check(it, rnorm);
  }
  return out;
}

/// Solves A x = b for SPD A with directions from `direction(r_unit, q)`, stopping on
/// options.krylov() (DefaultStopping). Ends with the reasons of conjugate_directions_with; the
/// residual history and true_relative_residual are filled.
template <class Space, class Operator, class DirectionModel>
SolveResult conjugate_directions(const Space& space, const Operator& A,
                                 const DirectionModel& direction, const typename Space::vector& b,
                                 typename Space::vector& x,
                                 const ConjugateDirectionOptions& options) {
  options.validate();
  SolveResult result;
  const double bnorm = norm(space, b);
  DefaultStopping policy(options.krylov(), bnorm, result);
  ConjugateDirectionWork<Space> work(space, b);
  const KrylovOutcome out =
      conjugate_directions_with(policy, space, A, direction, b, x, options, work);
  result.reason = out.reason;
  result.iterations = out.iterations;
  A(x, work.Ax);  // the true residual of the returned x
  waxpy(space, -1.0, work.Ax, b, work.r);
  const double true_rnorm = norm(space, work.r);
  result.true_relative_residual = bnorm > 0.0 ? true_rnorm / bnorm : true_rnorm;
  return result;
}

}  // namespace deepsolve::solvers
