// Conjugate gradients and preconditioned CG (Hestenes & Stiefel 1952; Saad, "Iterative Methods for
// Sparse Linear Systems", 2nd ed., Alg. 6.18 and 9.1), written once for every vector space and
// every way of stopping (stopping.hpp). Stopping rules and reasons follow PETSc's KSPCG with the
// unpreconditioned residual norm.
#pragma once

#include <cmath>
#include <type_traits>

#include "deepsolve/solvers/krylov/solve_result.hpp"
#include "deepsolve/solvers/krylov/stopping.hpp"
#include "deepsolve/solvers/krylov/vector_space.hpp"

namespace deepsolve::solvers {

/// The vectors of a CG solve; z only with a preconditioner.
template <class Space>
struct ConjugateGradientWork {
  using Vector = typename Space::vector;
  ConjugateGradientWork() = default;
  ConjugateGradientWork(const Space& space, const Vector& like, bool preconditioned)
      : r(space.create_like(like)), p(space.create_like(like)), q(space.create_like(like)) {
    if (preconditioned) z = space.create_like(like);
  }
  Vector r, p, q, z;
};

/// The iteration itself: solves A x = b for SPD A and stops when `policy` says so (stopping.hpp).
/// `A(in, out)` computes out = A in; `M(r, z)` computes z = M^{-1} r for an SPD preconditioner
/// (IdentityPreconditioner for none). x is overwritten (and read first when
/// nonzero_initial_guess); work.r holds the last (recursively updated) residual.
template <class Policy, class Space, class Operator, class Preconditioner = IdentityPreconditioner>
KrylovOutcome conjugate_gradient_with(Policy& policy, const Space& space, const Operator& A,
                                      const typename Space::vector& b, typename Space::vector& x,
                                      bool nonzero_initial_guess,
                                      ConjugateGradientWork<Space>& work,
                                      const Preconditioner& M = {}) {
  constexpr bool preconditioned = !std::is_same_v<Preconditioner, IdentityPreconditioner>;
  auto& r = work.r;
  auto& p = work.p;
  auto& q = work.q;
  if (nonzero_initial_guess) {
    A(x, q);
    space.copy(b, r);
    space.axpy(-1.0, q, r);  // r <- b - A x
  } else {
    space.set_zero(x);
    space.copy(b, r);
  }
  double rr = space.dot(r, r);
  KrylovOutcome out;
  out.reason = policy.check(0, std::sqrt(rr));

  // z = M^{-1} r lives in its own vector only when there is a preconditioner.
  auto& zr = preconditioned ? work.z : r;
  double rz = rr;
  if constexpr (preconditioned) {
    if (out.reason == ConvergedReason::iterating) {
      M(r, work.z);
      rz = space.dot(r, work.z);
      if (!std::isfinite(rz))
        out.reason = policy.stop(0, ConvergedReason::diverged_nanorinf);
      else if (rz < 0.0)
        out.reason = policy.stop(0, ConvergedReason::diverged_indefinite_pc);
    }
  }
  if (out.reason == ConvergedReason::iterating) space.copy(zr, p);  // p <- z

  int& it = out.iterations;
  while (out.reason == ConvergedReason::iterating) {
    A(p, q);                            // q <- A p
    const double pq = space.dot(p, q);  // p^T A p
    if (!std::isfinite(pq)) {
      out.reason = policy.stop(it, ConvergedReason::diverged_nanorinf);
      break;
    }
    if (pq <= 0.0) {  // no positive curvature along p: A is not SPD (or p is zero by breakdown)
      out.reason = policy.stop(it, pq < 0.0 ? ConvergedReason::diverged_indefinite_mat
                                            : ConvergedReason::diverged_breakdown);
      break;
    }
    const double alpha = rz / pq;
    space.axpy(alpha, p, x);   // x <- x + alpha p
    space.axpy(-alpha, q, r);  // r <- r - alpha A p
    ++it;
    const double rr_new = space.dot(r, r);
    out.reason = policy.check(it, std::sqrt(rr_new));
    if (out.reason != ConvergedReason::iterating) break;

    double rz_new = rr_new;
    if constexpr (preconditioned) {
      M(r, work.z);  // z <- M^{-1} r
      rz_new = space.dot(r, work.z);
      if (!std::isfinite(rz_new)) {
        out.reason = policy.stop(it, ConvergedReason::diverged_nanorinf);
        break;
      }
      if (rz_new <= 0.0) {
        out.reason = policy.stop(it, rz_new < 0.0 ? ConvergedReason::diverged_indefinite_pc
                                                  : ConvergedReason::diverged_breakdown);
        break;
      }
    }
    const double beta = rz_new / rz;
    rz = rz_new;
    space.aypx(beta, zr, p);  // p <- z + beta p
  }
  return out;
}

/// Solves A x = b for SPD A, stopping on `options` (DefaultStopping). `A(in, out)` computes
/// out = A in; `M(r, z)` computes z = M^{-1} r for an SPD preconditioner (IdentityPreconditioner
/// for none). x is overwritten (and read first when options.nonzero_initial_guess()).
template <class Space, class Operator, class Preconditioner = IdentityPreconditioner>
SolveResult conjugate_gradient(const Space& space, const Operator& A,
                               const typename Space::vector& b, typename Space::vector& x,
                               const KrylovOptions& options, const Preconditioner& M = {}) {
  constexpr bool preconditioned = !std::is_same_v<Preconditioner, IdentityPreconditioner>;
  options.validate();
  SolveResult result;
  const double bnorm = norm(space, b);
  DefaultStopping policy(options, bnorm, result);
  ConjugateGradientWork<Space> work(space, b, preconditioned);
  const KrylovOutcome out =
      conjugate_gradient_with(policy, space, A, b, x, options.nonzero_initial_guess(), work, M);
  result.reason = out.reason;
  result.iterations = out.iterations;

  A(x, work.q);  // true residual of the returned x
  space.copy(b, work.r);
  space.axpy(-1.0, work.q, work.r);
  const double true_rnorm = norm(space, work.r);
  result.true_relative_residual = bnorm > 0.0 ? true_rnorm / bnorm : true_rnorm;
  return result;
}

}  // namespace deepsolve::solvers
