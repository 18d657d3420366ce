// Lasso and elastic net by coordinate descent on growing working sets, scikit-learn's objective:
//
//   P(w) = (1/2n) ||y - Xw||^2 + alpha rho ||w||_1 + alpha (1 - rho)/2 ||w||^2
//
// (n samples, rho = l1_ratio; rho = 1 is the Lasso), no intercept. X is dense (Eigen::MatrixXd,
// column-major) or sparse (Eigen::SparseMatrix<double>, column-compressed); one templated
// implementation serves both (only a column's dot product and axpy differ).
//
// Algorithm (celer, Massias, Gramfort & Salmon, ICML 2018; BlitzL1, Johnson & Guestrin, ICML
// 2015). Each outer iteration
//   1. computes the correlations c = X^T r - n alpha (1 - rho) w of the residual r = y - Xw with
//      every column (the one O(nnz(X)) step; from w = 0 it is X^T y, computed with the column
//      norms in one pass over X), the dual point theta = r / max(n alpha rho,
//      ||c||_inf) obtained by rescaling the residual, and the duality gap of the full problem;
//      it stops when gap <= tol ||y||^2 / (2n);
//   2. discards the features the gap-safe sphere test proves zero at the optimum (Fercoq,
//      Gramfort & Salmon, ICML 2015; Ndiaye et al., JMLR 2017): |x_j^T theta| + ||x_j|| R < 1,
//      R = sqrt(2 gap / (n (alpha rho)^2));
//   3. picks the working set: the current support plus the features nearest to violating the
//      optimality (KKT) conditions, by the distance (1 - |x_j^T theta|) / ||x_j|| of theta to
//      their constraint: twice the support (celer's rule), at least initial_working_set, up to
//      twice the last round's while features outside the support violate the KKT conditions,
//      and twice the last round's when that round did not halve the gap;
//   4. solves the Lasso restricted to the working set by cyclic coordinate descent, each update
//      O(nnz(x_j)) on the residual, to a gap of 0.3 times the full problem's: in cycles of one
//      pass over the working set and four over its nonzeros (glmnet's active-set cycling), each
//      cycle ended by an Anderson extrapolation of its iterates (Bertrand & Massias, AISTATS
//      2021), kept when it lowers the objective.
// An elastic net is a Lasso on [X; sqrt(n alpha (1 - rho)) I], which is how the gap, the dual
// point and the screening test treat the ridge term.
//
// How this relates to Nutini, Laradji & Schmidt (JMLR 2022, arXiv 1712.08859): it is block
// coordinate descent with blocks of size 1, and a coordinate update is the exact minimisation
// along x_j, which for a block of one is the proximal-gradient update with step 1/L_j of their
// section B5 (soft thresholding with the coordinate Lipschitz constant ||x_j||^2 / n). The working
// set is a greedy selection in the spirit of their Gauss-Southwell-type rules: the coordinates
// chosen are those whose optimality conditions are most violated (a GS-r/GS-q flavour of score
// scaled by the column norm, as GSL scales by L_j), and it is refreshed once per outer iteration
// rather than once per update, so that the selection costs one X^T r per round.
//
// `iterations` counts coordinate-descent epochs: passes of cyclic CD over the current working set
// or its nonzeros (the full problem's checks are counted separately as `outer_iterations`). This
// is the figure to set max_iterations against; one epoch costs O(nnz of the working set's
// columns) at most, not O(nnz(X)).
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/trace.hpp"

namespace deepsolve::bcd {

struct LassoOptions {
  double alpha = 1.0;     // > 0
  double l1_ratio = 1.0;  // rho in (0, 1]; 1 is the Lasso
  // Stop when the duality gap is at most tol * ||y||^2 / (2n), i.e. tol relative to P(0).
  double tol = 1e-6;
  std::int64_t max_iterations = 100000;    // coordinate-descent epochs over working sets, in total
  bool screening = true;                   // gap-safe screening of the features at each outer step
  Eigen::Index initial_working_set = 100;  // features in the first working set (at least)
  bool record_trace = false;               // objective after each outer iteration in `trace`
};

enum class LassoStop { converged, max_iterations };
const char* to_string(LassoStop reason);

struct LassoResult {
  Eigen::VectorXd coef;               // w
  double objective = 0;               // P(w)
  double duality_gap = 0;             // P(w) - D(theta) >= P(w) - P(w*)
  double gap_tolerance = 0;           // tol * ||y||^2 / (2n)
  std::int64_t iterations = 0;        // CD epochs over working sets (see above)
  std::int64_t outer_iterations = 0;  // full-problem gap checks (working-set rounds)
  std::int64_t screened = 0;          // features the last gap-safe test removed
  Eigen::Index nnz = 0;               // nonzeros of w
  double time_s = 0;                  // wall time of the solve, setup included
  LassoStop reason = LassoStop::max_iterations;
  Trace trace;  // when options.record_trace: one point per outer iteration (epochs, s, P(w))
};

/// The smallest alpha for which w = 0 is the solution: ||X^T y||_inf / (n rho).
template <class Matrix>
double lasso_alpha_max(const Matrix& X, const Eigen::VectorXd& y, double l1_ratio = 1.0);

/// `count` values from alpha_max down to alpha_max * ratio_min, log-spaced (sklearn's lasso_path
/// grid with eps = ratio_min).
std::vector<double> lasso_alpha_grid(double alpha_max, int count, double ratio_min = 0.01);

/// Solves one problem. `warm_start` (size p) is the starting w; empty starts from 0. Throws
/// std::invalid_argument for non-finite data, alpha <= 0, l1_ratio outside (0, 1], tol <= 0 or
/// non-finite, shapes that disagree (X rows vs y), an empty X.
template <class Matrix>
LassoResult solve_lasso(const Matrix& X, const Eigen::VectorXd& y, const LassoOptions& options,
                        const Eigen::VectorXd& warm_start = Eigen::VectorXd());

/// Solves for each alpha of `alphas` in turn (options.alpha is ignored), each starting from the
/// previous solution (warm start), as sklearn's lasso_path and glmnet do.
template <class Matrix>
std::vector<LassoResult> solve_lasso_path(const Matrix& X, const Eigen::VectorXd& y,
                                          const std::vector<double>& alphas,
                                          const LassoOptions& options);

/// P(w) and the duality gap of w, computed from scratch (for checks and benchmarks: the gap of
/// another solver's solution is measured the same way).
struct LassoCertificate {
  double objective = 0;
  double duality_gap = 0;
};
template <class Matrix>
LassoCertificate lasso_certificate(const Matrix& X, const Eigen::VectorXd& y, double alpha,
                                   double l1_ratio, const Eigen::VectorXd& w);

}  // namespace deepsolve::bcd
