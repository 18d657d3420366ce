// The problem interface of the BCD engine (Nutini, Laradji & Schmidt, JMLR 2022, arXiv 1712.08859):
// an objective f(x) = smooth(x) + r(x) whose state (residual, margins, scores) and smooth gradient
// are kept current after each block update, so that one iteration costs O(|b| x column nnz) and a
// greedy rule reads the whole gradient without recomputing it.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::bcd {

using Index = Eigen::Index;
/// The coordinates of one block, each in [0, n), no repeats.
using Block = std::vector<Index>;

/// The non-smooth or constrained part r(x).
enum class Regularizer {
  none,             // r = 0
  nonnegative_sum,  // x >= 0 and r = weight * sum(x) (the paper's "NNLS + L1"); the sum is smooth
                    // on the feasible set, so it is part of gradient()
  l1,               // r = weight * ||x||_1, handled by the proximal step (not in gradient())
};

class Problem {
 public:
  virtual ~Problem() = default;

  virtual std::string name() const = 0;
  Index size() const { return x_.size(); }
  const Eigen::VectorXd& x() const { return x_; }
  /// The gradient of the smooth part (with the linear term of nonnegative_sum), current.
  const Eigen::VectorXd& gradient() const { return gradient_; }
  Regularizer regularizer() const { return regularizer_; }
  double regularizer_weight() const { return regularizer_weight_; }

  /// f(x) with its non-smooth part.
  virtual double objective() const = 0;
  /// f(x + delta on b) without changing x (line searches): O(|b| x column nnz + rows touched).
  virtual double objective_after(const Block& b, const Eigen::VectorXd& delta) const = 0;
  /// x_b += delta; the state and the gradient follow incrementally.
  virtual void update_block(const Block& b, const Eigen::VectorXd& delta) = 0;
  /// Sets x (checked: size, finite, feasible) and recomputes the state from scratch.
  virtual void set_x(const Eigen::VectorXd& x) = 0;
  /// The largest difference between the incremental state/gradient and a recomputation (the
  /// drift of the incremental updates; the tests check it).
  virtual double state_drift() const = 0;

  /// The exact Hessian of the smooth part on block b at x.
  virtual Eigen::MatrixXd hessian_block(const Block& b) const = 0;
  /// H_b: block b of a constant upper bound H >= Hessian (A^T A for least squares, A^T A / 4
  /// for logistic, Bohning's bound for softmax).
  virtual Eigen::MatrixXd hessian_bound_block(const Block& b) const = 0;
  /// out = H v for the bound H.
  virtual void hessian_bound_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const = 0;
  /// out = Hessian(x) v, exact (the f* solver's Newton-CG).
  virtual void hessian_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const = 0;
  /// The diagonal of the exact Hessian at x (a preconditioner).
  virtual Eigen::VectorXd hessian_diagonal() const = 0;
  /// d_i = sum_j |H_ij| of the bound (Gershgorin; the VB "GSL" rule), computed once.
  virtual const Eigen::VectorXd& hessian_bound_abs_row_sums() const = 0;
  /// L_i = H_ii of the bound: the coordinate Lipschitz constants.
  const Eigen::VectorXd& lipschitz() const { return lipschitz_; }
  /// lambda_max(H) of the bound, by power iteration, computed once.
  double hessian_bound_max_eigenvalue() const;

  /// The proximal step of r on one coordinate: argmin_y (y - v)^2 / (2 t) + r_i(y).
  double prox(double v, double t) const;
  /// Whether coordinate value v counts as in the support (nonzero).
  static bool in_support(double v) { return v != 0.0; }
  /// Counts the calls of set_x and update_block: a rule that keeps scores between iterations
  /// checks that it has seen every change.
  std::uint64_t state_version() const { return state_version_; }
  /// The coordinates whose gradient or value the last update_block changed (the block's and
  /// those sharing a row with it), when known and fewer than n/8; null otherwise (then a rule
  /// that keeps scores rescans them all).
  const std::vector<Index>* last_changed() const { return changes_known_ ? &changed_ : nullptr; }

  /// The optimality residual of coordinate i (0 at a solution): the gradient, the projected
  /// gradient for x >= 0, the minimum-norm subgradient for L1.
  double optimality_residual(Index i) const;
  /// max_i |optimality_residual(i)|: the KKT test.
  double optimality_residual_norm() const;

 protected:
  void set_regularizer(Regularizer r, double weight);
  Eigen::VectorXd x_, gradient_, lipschitz_;
  Regularizer regularizer_ = Regularizer::none;
  double regularizer_weight_ = 0;
  mutable double max_eigenvalue_ = -1;
  std::uint64_t state_version_ = 0;
  std::vector<Index> changed_;
  bool changes_known_ = false;
};

/// The part of the objective from r: weight * sum(x) or weight * ||x||_1 (0 for none).
double regularizer_value(Regularizer r, double weight, const Eigen::VectorXd& x);

/// Throws std::invalid_argument naming `what` when b is empty, has an index outside [0, n) or a
/// repeated index.
void check_block(const Block& b, Index n, const char* what = "block");

}  // namespace deepsolve::bcd
