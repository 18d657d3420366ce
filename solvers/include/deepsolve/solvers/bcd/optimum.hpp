// Precise optima f*, so that f - f* in the traces means something down to 1e-8 and below:
//   least squares: a dense eigen-decomposition of the smaller Gram matrix (A A^T or A^T A), so
//     that f* = ||b - P_range(A) b||^2 / 2 exactly up to rounding;
//   smooth problems: Newton's method (dense when n <= 3000; in the span of A^T for logistic with
//     l2 > 0 and m <= 3000, since x* = A^T beta there; otherwise truncated Newton with
//     Jacobi-preconditioned CG), to a gradient norm of 1e-9 relative;
//   x >= 0 least squares + w sum(x): a working-set method whose each step is the exact QP on the
//     support plus the worst KKT violators (block_qp.hpp), to a KKT residual of 1e-11 relative.
#pragma once

#include "deepsolve/solvers/bcd/linear_model.hpp"

namespace deepsolve::bcd {

struct Optimum {
  double value = 0;
  Eigen::VectorXd x;        // empty for least_squares_optimum when m <= n (not needed)
  double kkt_residual = 0;  // max |KKT residual| at x (0 when x is not computed)
  int iterations = 0;
};

/// min 0.5 ||A x - b||^2 (min(m, n) <= 5000). Throws otherwise.
Optimum least_squares_optimum(const LeastSquares& problem);
/// Minimises a smooth problem (regulariser none). Leaves the problem at x*.
Optimum smooth_optimum(Problem& problem, double relative_gradient_tolerance = 1e-9);
/// Minimises least squares with x >= 0 (+ w sum(x)). Leaves the problem at x*.
Optimum nonnegative_optimum(LeastSquares& problem, double relative_kkt_tolerance = 1e-11);

}  // namespace deepsolve::bcd
