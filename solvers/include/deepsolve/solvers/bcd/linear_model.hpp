// Problems of the form f(x) = sum_r phi_r(a_r^T x) + (l2/2)||x||^2 + r(x) with a sparse data
// matrix A (rows a_r): least squares (datasets A and NNLS + L1 of the paper) and binary logistic
// regression (dataset B). The margins z = A x, the loss derivatives phi'_r(z_r) and the gradient
// A^T phi'(z) are kept current: a block update touches the rows of its columns only, and the
// gradient changes by A_rows^T (change of phi') over those rows (a row-major copy of A), which
// costs sum over the touched rows of their nnz instead of nnz(A).
#pragma once

#include <Eigen/SparseCore>

#include "deepsolve/solvers/bcd/problem.hpp"

namespace deepsolve::bcd {

using SparseMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, std::int64_t>;

class LinearModelProblem : public Problem {
 public:
  double objective() const override;
  double objective_after(const Block& b, const Eigen::VectorXd& delta) const override;
  void update_block(const Block& b, const Eigen::VectorXd& delta) override;
  void set_x(const Eigen::VectorXd& x) override;
  double state_drift() const override;
  Eigen::MatrixXd hessian_block(const Block& b) const override;
  Eigen::MatrixXd hessian_bound_block(const Block& b) const override;
  void hessian_bound_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const override;
  void hessian_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const override;
  Eigen::VectorXd hessian_diagonal() const override;
  const Eigen::VectorXd& hessian_bound_abs_row_sums() const override;

  const SparseMatrix& matrix() const { return columns_; }
  const Eigen::VectorXd& targets() const { return targets_; }
  /// z = A x, current.
  const Eigen::VectorXd& margins() const { return margins_; }
  double l2() const { return l2_; }
  /// phi'_r(z_r), current.
  const Eigen::VectorXd& loss_derivatives() const { return derivative_; }
  /// phi''_r(z_r) at the current x.
  Eigen::VectorXd loss_second_derivatives() const;

 protected:
  /// Checks A, y and l2 (finite, shapes) and starts at x = 0.
  LinearModelProblem(SparseMatrix a, Eigen::VectorXd y, double l2, double curvature_bound,
                     const char* what);
  void initialise();  // after the derived constructor's checks: lipschitz, state at x = 0
  virtual double loss(Index r, double z) const = 0;
  virtual double loss_derivative(Index r, double z) const = 0;
  virtual double loss_second_derivative(Index r, double z) const = 0;

 private:
  void recompute_state(Eigen::VectorXd& margins, Eigen::VectorXd& derivative,
                       Eigen::VectorXd& gradient) const;
  double smooth_loss_sum() const;

  SparseMatrix columns_;
  Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t> rows_;
  Eigen::VectorXd targets_, margins_, derivative_;
  double l2_, curvature_bound_;
  mutable double objective_cache_ = 0;
  mutable bool objective_valid_ = false;
  mutable Eigen::VectorXd abs_row_sums_;
  // Scratch for update_block: the rows touched and their marks.
  std::vector<Index> touched_;
  std::vector<char> touched_mark_;
  std::vector<char> changed_mark_;  // per column, for last_changed()
};

/// 0.5 ||A x - b||^2 (+ r(x)). With nonnegative_sum: the paper's NNLS + L1 (x >= 0, + w sum(x));
/// with l1: the Lasso without the 1/n scaling (proximal updates).
class LeastSquares : public LinearModelProblem {
 public:
  LeastSquares(SparseMatrix a, Eigen::VectorXd b, Regularizer r = Regularizer::none,
               double weight = 0);
  std::string name() const override;

 protected:
  double loss(Index r, double z) const override;
  double loss_derivative(Index r, double z) const override;
  double loss_second_derivative(Index r, double z) const override;
};

/// sum_r log(1 + exp(-y_r a_r^T x)) + (l2/2)||x||^2 with labels y_r in {-1, +1}. The paper uses
/// l2 = 0, but its dataset B (1000 samples, 10000 features) is separable, so that f has no
/// minimiser; a small l2 > 0 makes f* attained (docs/bcd.md).
class Logistic : public LinearModelProblem {
 public:
  Logistic(SparseMatrix a, Eigen::VectorXd labels, double l2);
  std::string name() const override;

 protected:
  double loss(Index r, double z) const override;
  double loss_derivative(Index r, double z) const override;
  double loss_second_derivative(Index r, double z) const override;
};

}  // namespace deepsolve::bcd
