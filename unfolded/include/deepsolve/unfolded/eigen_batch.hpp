// The batch space of iterative.hpp for one problem in Eigen (a batch of one), over a dense
// Eigen::MatrixXd or a sparse Eigen::SparseMatrix<double> A. The data are held by reference and
// assumed checked (solve_iterative checks them).
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded {

template <class Matrix>
class EigenBatch {
 public:
  using vector = Eigen::VectorXd;

  /// `x_true` empty: no reference (nmse_db is NaN).
  EigenBatch(const Matrix& A, const Eigen::VectorXd& y, Penalty penalty, double lambda, double step,
             const Eigen::VectorXd& x_true)
      : A_(A),
        y_(y),
        x_true_(x_true),
        penalty_(penalty),
        lambda_(lambda),
        step_(step),
        threshold_(prox_threshold(penalty, lambda, step)) {}

  int batch_size() const { return 1; }
  vector zero() const { return vector::Zero(A_.cols()); }

  vector proximal_gradient(const vector& v) const {
    const vector r = y_ - A_ * v;
    const vector gradient_step = v + step_ * (A_.transpose() * r);
    return shrink(penalty_, gradient_step, threshold_);
  }

  vector extrapolate(const vector& x, const vector& x_prev, double beta) const {
    return x + beta * (x - x_prev);
  }

  void keep_stopped(vector& x_new, const vector& x, const std::vector<char>& active) const {
    if (!active[0]) x_new = x;
  }

  ChangeNorms change(const vector& x_new, const vector& x) const {
    return {{(x_new - x).norm()}, {x_new.norm()}};
  }

  // The objective is penalty.hpp's, composed here so that the gap reuses its residual.
  ProblemMeasures measure(const vector& x, bool with_gap) const {
    const vector r = y_ - A_ * x;
    const double half_residual = 0.5 * r.squaredNorm();
    const double objective = half_residual + lambda_ * penalty_value(penalty_, x);
    ProblemMeasures m{{objective}, {}};
    if (with_gap) {
      // nu = s r with s = min(1, lambda / ||A^T r||_inf) is dual feasible, and
      // D(nu) = 1/2||y||^2 - 1/2||y - nu||^2 = <nu, y> - 1/2 ||nu||^2.
      const double correlation = (A_.transpose() * r).cwiseAbs().maxCoeff();
      const double s = correlation > lambda_ ? lambda_ / correlation : 1.0;
      const double dual = s * r.dot(y_) - s * s * half_residual;
      m.duality_gap.push_back(objective - dual);
    }
    return m;
  }

  double support(const vector& x) const { return double((x.array() != 0.0).count()); }

  double nmse_db(const vector& x) const {
    return x_true_.size() == 0 ? std::numeric_limits<double>::quiet_NaN()
                               : unfolded::nmse_db(x, x_true_);
  }

 private:
  const Matrix& A_;
  const Eigen::VectorXd& y_;
  const Eigen::VectorXd& x_true_;
  Penalty penalty_;
  double lambda_, step_, threshold_;
};

}  // namespace deepsolve::unfolded
