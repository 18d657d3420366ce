// Multi-class softmax (multinomial logistic) regression, the paper's dataset C:
//   f(W) = sum_r [log sum_k exp(s_rk) - s_r,y_r] + (l2/2)||W||^2,  S = X W,
// with W of size features x classes flattened as x[f * K + k]. The scores S, the probabilities
// and the gradient X^T (P - Y) + l2 W are kept current: an update of coordinate (f, k) changes
// column k of S on the rows of feature f, and the gradient over those rows only. The Hessian
// bound is Bohning's, H <= (1/2)(I_K - 11^T/K) (x) X^T X + l2 I.
#pragma once

#include <Eigen/SparseCore>

#include "deepsolve/solvers/bcd/linear_model.hpp"

namespace deepsolve::bcd {

class Softmax : public Problem {
 public:
  /// labels[r] in {0, ..., classes - 1}.
  Softmax(SparseMatrix features, std::vector<int> labels, int classes, double l2);
  std::string name() const override { return "softmax"; }
  Index classes() const { return classes_; }
  Index features() const { return x_features_.cols(); }

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

 private:
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  double row_loss(Index r, const double* scores) const;
  void row_probabilities(Index r, const double* scores, double* p) const;
  void recompute(RowMatrix& scores, RowMatrix& probabilities, Eigen::VectorXd& gradient) const;
  double feature_gram(Index f1, Index f2) const;  // column dot product of X

  SparseMatrix x_features_;
  Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t> rows_;
  std::vector<int> labels_;
  Index classes_;
  double l2_;
  RowMatrix scores_, probabilities_;
  mutable Eigen::VectorXd abs_row_sums_;
  std::vector<Index> touched_;
  std::vector<char> touched_mark_;
};

}  // namespace deepsolve::bcd
