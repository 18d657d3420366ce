// Conjugate gradients and preconditioned CG (Hestenes & Stiefel 1952; Saad, "Iterative Methods for
// Sparse Linear Systems", 2nd ed., Alg. 6.18 and 9.1), written once for every vector space.
// Stopping rules and reasons follow PETSc's KSPCG with the unpreconditioned residual norm.
#pragma once

#include <type_traits>

#include "deepsolve/solvers/krylov/solve_result.hpp"
#include "deepsolve/solvers/krylov/vector_space.hpp"

namespace deepsolve::solvers {

/// Solves A x = b for SPD A. `A(in, out)` computes out = A in; `M(r, z)` computes z = M^{-1} r for
/// an SPD preconditioner (IdentityPreconditioner for none). x is overwritten (and read first when
/// options.nonzero_initial_guess()).
template <class Space, class Operator, class Preconditioner = IdentityPreconditioner>
SolveResult conjugate_gradient(const Space& space, const Operator& A,
                               const typename Space::vector& b, typename Space::vector& x,
                               const KrylovOptions& options, const Preconditioner& M = {}) {
  constexpr bool preconditioned = !std::is_same_v<Preconditioner, IdentityPreconditioner>;
  options.validate();
  SolveResult result;
  auto record = [&](int it, double rnorm) {
    result.residual_history.push_back(rnorm);
    if (options.monitor()) options.monitor()(it, rnorm);
  };

  auto r = space.create_like(b);
  auto p = space.create_like(b);
  auto q = space.create_like(b);
  if (options.nonzero_initial_guess()) {
    A(x, q);
    space.copy(b, r);
    space.axpy(-1.0, q, r);  // r <- b - A x
  } else {
    space.set_zero(x);
    space.copy(b, r);
  }
  const double bnorm = norm(space, b);
  double rr = space.dot(r, r);
  double rnorm = std::sqrt(rr);
  record(0, rnorm);
  result.reason = check_convergence(options, 0, rnorm, bnorm);

  // z = M^{-1} r lives in its own vector only when there is a preconditioner.
  auto z = preconditioned ? space.create_like(b) : typename Space::vector{};
  auto& zr = preconditioned ? z : r;
  double rz = rr;
  if constexpr (preconditioned) {
    if (result.reason == ConvergedReason::iterating) {
      M(r, z);
      rz = space.dot(r, z);
      if (!std::isfinite(rz))
        result.reason = ConvergedReason::diverged_nanorinf;
      else if (rz < 0.0)
        result.reason = ConvergedReason::diverged_indefinite_pc;
    }
  }
  if (result.reason == ConvergedReason::iterating) space.copy(zr, p);  // p <- z

  int it = 0;
  while (result.reason == ConvergedReason::iterating) {
    A(p, q);                            // q <- A p
    const double pq = space.dot(p, q);  // p^T A p
    if (!std::isfinite(pq)) {
      result.reason = ConvergedReason::diverged_nanorinf;
      break;
    }
    if (pq <= 0.0) {  // no positive curvature along p: A is not SPD (or p is zero by breakdown)
      result.reason =
          pq < 0.0 ? ConvergedReason::diverged_indefinite_mat : ConvergedReason::diverged_breakdown;
      break;
    }
    const double alpha = rz / pq;
    space.axpy(alpha, p, x);   // x <- x + alpha p
    space.axpy(-alpha, q, r);  // r <- r - alpha A p
    ++it;
    const double rr_new = space.dot(r, r);
    rnorm = std::sqrt(rr_new);
    record(it, rnorm);
    result.reason = check_convergence(options, it, rnorm, bnorm);
    if (result.reason != ConvergedReason::iterating) break;

    double rz_new = rr_new;
    if constexpr (preconditioned) {
      M(r, z);  // z <- M^{-1} r
      rz_new = space.dot(r, z);
      if (!std::isfinite(rz_new)) {
        result.reason = ConvergedReason::diverged_nanorinf;
        break;
      }
      if (rz_new <= 0.0) {
        result.reason = rz_new < 0.0 ? ConvergedReason::diverged_indefinite_pc
                                     : ConvergedReason::diverged_breakdown;
        break;
      }
    }
    const double beta = rz_new / rz;
    rz = rz_new;
    space.aypx(beta, zr, p);  // p <- z + beta p
  }
  result.iterations = it;

  A(x, q);  // true residual of the returned x
  space.copy(b, r);
  space.axpy(-1.0, q, r);
  const double true_rnorm = norm(space, r);
  result.true_relative_residual = bnorm > 0.0 ? true_rnorm / bnorm : true_rnorm;
  return result;
}

}  // namespace deepsolve::solvers
