// The exact block update of a bound-constrained quadratic (the paper's "PN" update, which its
// code solves with cvxopt): min_y y^T H y / 2 + c^T y subject to y >= 0, for a small dense
// symmetric positive semi-definite H. A primal active-set method (Nocedal & Wright, Numerical
// Optimization, Algorithm 16.3, specialised to bounds): solve on the free set, step back to
// the first bound that blocks, release the bound with the most negative multiplier; it ends
// after finitely many steps with the exact minimiser.
#pragma once

#include <Eigen/Dense>

namespace deepsolve::bcd {

struct NonnegativeQpResult {
  Eigen::VectorXd y;
  int iterations = 0;
  bool converged = false;  // the KKT conditions hold to rounding
};

/// Starts from max(start, 0). Throws std::invalid_argument on mismatched sizes or non-finite
/// entries.
NonnegativeQpResult solve_nonnegative_qp(const Eigen::MatrixXd& h, const Eigen::VectorXd& c,
                                         const Eigen::VectorXd& start);

}  // namespace deepsolve::bcd
