// The deep conjugate-direction iteration (DCDM; Kaneda, Akar, Chen, Kala, Hyde & Teran, "A Deep
// Conjugate Direction Method for Iteratively Solving Linear Systems", ICML 2023, Alg. 1), written
// once for every vector space like CG. Each iteration asks a direction model for a search direction
// q = f(r / ||r||), A-orthogonalises it against the last `window` directions (A p cached), steps
// along it with the exact line search alpha = q^T r / q^T A q, and recomputes the residual (the
// true residual b - A x by default, as the authors' code does).
//
// With the identity as direction model and window >= 1 this is CG in exact arithmetic; with a
// nonlinear model it is truncated flexible CG (PETSc's KSPFCG with mmax = window) on the true
// residual.
#pragma once

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "deepsolve/solvers/krylov/solve_result.hpp"
#include "deepsolve/solvers/krylov/vector_space.hpp"

namespace deepsolve::solvers {

struct ConjugateDirectionOptions {
  /// Tolerances, iteration limit, monitor, initial guess.
  DEEPSOLVE_ARG(KrylovOptions, krylov);
  /// Number of previous directions each new one is A-orthogonalised against (the paper uses 2).
  DEEPSOLVE_ARG(int, window) = 2;
  /// Recompute r = b - A x every iteration (one more operator application) instead of r -= alpha A
  /// q.
  DEEPSOLVE_ARG(bool, true_residual) = true;

 public:
  void validate() const;
};

inline void ConjugateDirectionOptions::validate() const {
  krylov_.validate();
  if (window_ < 0)
    throw std::invalid_argument("invalid conjugate-direction option window = " +
                                std::to_string(window_) + " (must be >= 0)");
}

/// Solves A x = b for SPD A with directions from `direction(r_unit, q)`, which must fill q given
/// the unit-norm residual r_unit. Ends with the reasons of CG, plus DIVERGED_BREAKDOWN when the
/// model returns a direction with q^T A q <= 0 after orthogonalisation (e.g. zero, or orthogonal to
/// r in the A-norm) and DIVERGED_NANORINF when it returns NaN or Inf.
template <class Space, class Operator, class DirectionModel>
SolveResult conjugate_directions(const Space& space, const Operator& A,
                                 const DirectionModel& direction, const typename Space::vector& b,
                                 typename Space::vector& x,
                                 const ConjugateDirectionOptions& options) {
  using Vector = typename Space::vector;
  options.validate();
  const KrylovOptions& stop = options.krylov();
  SolveResult result;
  auto record = [&](int it, double rnorm) {
    result.residual_history.push_back(rnorm);
    if (stop.monitor()) stop.monitor()(it, rnorm);
  };

  auto r = space.create_like(b);
  auto work = space.create_like(b);
  auto residual_from_x = [&] {  // r <- b - A x
    A(x, work);
    space.copy(b, r);
    space.axpy(-1.0, work, r);
  };
  if (stop.nonzero_initial_guess()) {
    residual_from_x();
  } else {
    space.set_zero(x);
    space.copy(b, r);
  }
  const double bnorm = norm(space, b);
  double rnorm = norm(space, r);
  record(0, rnorm);
  result.reason = check_convergence(stop, 0, rnorm, bnorm);

  // Directions live in a ring of window + 1 slots, reused, so no vector is allocated per iteration.
  struct Direction {
    Vector p, Ap;
    double pAp = 0.0;
  };
  std::vector<Direction> ring;
  const int slots = options.window() + 1;
  auto r_unit = space.create_like(b);
  int it = 0;
  while (result.reason == ConvergedReason::iterating) {
    if (static_cast<int>(ring.size()) < std::min(it + 1, slots))
      ring.push_back(Direction{space.create_like(b), space.create_like(b)});
    Direction& d = ring[it % slots];
    space.copy(r, r_unit);
    space.scale(1.0 / rnorm, r_unit);
    direction(r_unit, d.p);  // q = f(r / ||r||)
    // q <- q - (q^T A p_j / p_j^T A p_j) p_j over the last `window` directions, oldest first.
    for (int j = std::max(0, it - options.window()); j < it; ++j) {
      const Direction& old = ring[j % slots];
      space.axpy(-space.dot(d.p, old.Ap) / old.pAp, old.p, d.p);
    }
    A(d.p, d.Ap);
    d.pAp = space.dot(d.p, d.Ap);
    if (!std::isfinite(d.pAp)) {
      result.reason = ConvergedReason::diverged_nanorinf;
      break;
    }
    if (d.pAp <= 0.0) {
      result.reason = ConvergedReason::diverged_breakdown;
      break;
    }
    const double alpha = space.dot(d.p, r) / d.pAp;  // exact line search along q
    space.axpy(alpha, d.p, x);                       // x <- x + alpha q
    if (options.true_residual())
      residual_from_x();
    else
      space.axpy(-alpha, d.Ap, r);  // r <- r - alpha A q
    ++it;
    rnorm = norm(space, r);
    record(it, rnorm);
    result.reason = check_convergence(stop, it, rnorm, bnorm);
  }
  result.iterations = it;
  residual_from_x();
  const double true_rnorm = norm(space, r);
  result.true_relative_residual = bnorm > 0.0 ? true_rnorm / bnorm : true_rnorm;
  return result;
}

}  // namespace deepsolve::solvers
