// Least squares and logistic regression with incremental margins and gradient (linear_model.hpp).
#include "deepsolve/solvers/bcd/linear_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace deepsolve::bcd {

namespace linear_model_detail {

std::string number_text(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// The columns of b as a sparse matrix (m x |b|).
SparseMatrix block_columns(const SparseMatrix& a, const Block& b) {
  SparseMatrix sub(a.rows(), static_cast<Index>(b.size()));
  std::int64_t nnz = 0;
  for (Index j : b) nnz += a.outerIndexPtr()[j + 1] - a.outerIndexPtr()[j];
  sub.reserve(nnz);
  for (std::size_t k = 0; k < b.size(); ++k) {
    sub.startVec(static_cast<Index>(k));
    for (SparseMatrix::InnerIterator it(a, b[k]); it; ++it)
      sub.insertBack(it.row(), static_cast<Index>(k)) = it.value();
  }
  sub.finalize();
  return sub;
}

// out = A^T v by column dot products: serial (Eigen runs a transposed sparse product through
// OpenMP, whose thread start-up dominates products of this size).
void transpose_times(const SparseMatrix& a, const Eigen::VectorXd& v, Eigen::VectorXd& out) {
  out.resize(a.cols());
  for (Index j = 0; j < a.cols(); ++j) {
    double s = 0;
    for (SparseMatrix::InnerIterator it(a, j); it; ++it) s += it.value() * v[it.row()];
    out[j] = s;
  }
}

// out = A v, serial.
void times(const SparseMatrix& a, const Eigen::VectorXd& v, Eigen::VectorXd& out) {
  out.setZero(a.rows());
  for (Index j = 0; j < a.cols(); ++j) {
    const double vj = v[j];
    if (vj == 0) continue;
    for (SparseMatrix::InnerIterator it(a, j); it; ++it) out[it.row()] += it.value() * vj;
  }
}

}  // namespace linear_model_detail

using linear_model_detail::block_columns;
using linear_model_detail::number_text;
using linear_model_detail::times;
using linear_model_detail::transpose_times;

LinearModelProblem::LinearModelProblem(SparseMatrix a, Eigen::VectorXd y, double l2,
                                       double curvature_bound, const char* what)
    : columns_(std::move(a)), targets_(std::move(y)), l2_(l2), curvature_bound_(curvature_bound) {
  if (columns_.rows() == 0 || columns_.cols() == 0)
    throw std::invalid_argument(std::string(what) + ": the matrix is empty (" +
                                std::to_string(columns_.rows()) + " x " +
                                std::to_string(columns_.cols()) + ")");
  if (targets_.size() != columns_.rows())
    throw std::invalid_argument(std::string(what) + ": the matrix has " +
                                std::to_string(columns_.rows()) + " rows but the targets have " +
                                std::to_string(targets_.size()) + " entries");
  columns_.makeCompressed();
  for (Index j = 0; j < columns_.cols(); ++j)
    for (SparseMatrix::InnerIterator it(columns_, j); it; ++it)
      if (!std::isfinite(it.value()))
        throw std::invalid_argument(std::string(what) + ": the matrix entry (" +
                                    std::to_string(it.row()) + ", " + std::to_string(j) +
                                    ") is not finite");
  for (Index r = 0; r < targets_.size(); ++r)
    if (!std::isfinite(targets_[r]))
      throw std::invalid_argument(std::string(what) + ": target " + std::to_string(r) +
                                  " is not finite");
  if (!std::isfinite(l2_) || l2_ < 0)
    throw std::invalid_argument(std::string(what) + ": l2 must be finite and >= 0, got " +
                                number_text(l2_));
}

void LinearModelProblem::initialise() {
  rows_ = columns_;
  const Index n = columns_.cols();
  lipschitz_.resize(n);
  for (Index j = 0; j < n; ++j)
    lipschitz_[j] = curvature_bound_ * columns_.col(j).squaredNorm() + l2_;
  touched_mark_.assign(static_cast<std::size_t>(columns_.rows()), 0);
  changed_mark_.assign(static_cast<std::size_t>(n), 0);
  set_x(Eigen::VectorXd::Zero(n));
}

void LinearModelProblem::recompute_state(Eigen::VectorXd& margins, Eigen::VectorXd& derivative,
                                         Eigen::VectorXd& gradient) const {
  times(columns_, x_, margins);
  derivative.resize(margins.size());
  for (Index r = 0; r < margins.size(); ++r) derivative[r] = loss_derivative(r, margins[r]);
  transpose_times(columns_, derivative, gradient);
  gradient += l2_ * x_;
  if (regularizer_ == Regularizer::nonnegative_sum) gradient.array() += regularizer_weight_;
}

void LinearModelProblem::set_x(const Eigen::VectorXd& x) {
  if (x.size() != columns_.cols())
    throw std::invalid_argument(name() + ": x has " + std::to_string(x.size()) +
                                " entries, the problem " + std::to_string(columns_.cols()));
  if (!x.allFinite()) throw std::invalid_argument(name() + ": x has a non-finite entry");
  if (regularizer_ == Regularizer::nonnegative_sum && x.minCoeff() < 0)
    throw std::invalid_argument(name() + ": x must be >= 0");
  x_ = x;
  recompute_state(margins_, derivative_, gradient_);
  objective_valid_ = false;
  ++state_version_;
  changes_known_ = false;
}

double LinearModelProblem::smooth_loss_sum() const {
  double s = 0;
  for (Index r = 0; r < margins_.size(); ++r) s += loss(r, margins_[r]);
  return s;
}

double LinearModelProblem::objective() const {
  if (!objective_valid_) {
    objective_cache_ = smooth_loss_sum() + 0.5 * l2_ * x_.squaredNorm() +
                       regularizer_value(regularizer_, regularizer_weight_, x_);
    objective_valid_ = true;
  }
  return objective_cache_;
}

double LinearModelProblem::objective_after(const Block& b, const Eigen::VectorXd& delta) const {
  // Only the rows of b's columns change; their margin shifts are gathered in a dense m-vector
  // (O(m), which objective() costs anyway when its cache is cold).
  Eigen::VectorXd dz = Eigen::VectorXd::Zero(columns_.rows());
  std::vector<char> mark(static_cast<std::size_t>(columns_.rows()), 0);
  std::vector<Index> rows;
  for (std::size_t k = 0; k < b.size(); ++k)
    for (SparseMatrix::InnerIterator it(columns_, b[k]); it; ++it) {
      if (!mark[static_cast<std::size_t>(it.row())]) {
        mark[static_cast<std::size_t>(it.row())] = 1;
        rows.push_back(it.row());
      }
      dz[it.row()] += it.value() * delta[static_cast<Index>(k)];
    }
  double change = 0;
  for (Index r : rows) change += loss(r, margins_[r] + dz[r]) - loss(r, margins_[r]);
  for (std::size_t k = 0; k < b.size(); ++k) {
    const double old_value = x_[b[k]], new_value = old_value + delta[static_cast<Index>(k)];
    change += 0.5 * l2_ * (new_value * new_value - old_value * old_value);
    if (regularizer_ == Regularizer::nonnegative_sum)
      change += regularizer_weight_ * (new_value - old_value);
    else if (regularizer_ == Regularizer::l1)
      change += regularizer_weight_ * (std::abs(new_value) - std::abs(old_value));
  }
  return objective() + change;
}

void LinearModelProblem::update_block(const Block& b, const Eigen::VectorXd& delta) {
  // The objective is recomputed from the margins when asked (O(m + n)), not accumulated from
  // changes, so that f - f* stays accurate near 1e-10 relative after many updates.
  objective_valid_ = false;
  ++state_version_;
  // The changed coordinates are recorded while they are few (< n/8); beyond, a rule that keeps
  // scores rescans anyway, so the recording stops.
  for (Index j : changed_) changed_mark_[static_cast<std::size_t>(j)] = 0;
  changed_.clear();
  const std::size_t record_limit = static_cast<std::size_t>(columns_.cols() / 8);
  changes_known_ = true;
  const auto record = [&](Index j) {
    if (!changes_known_ || changed_mark_[static_cast<std::size_t>(j)]) return;
    if (changed_.size() >= record_limit) {
      changes_known_ = false;
      return;
    }
    changed_mark_[static_cast<std::size_t>(j)] = 1;
    changed_.push_back(j);
  };
  touched_.clear();
  for (std::size_t k = 0; k < b.size(); ++k) {
    const Index j = b[k];
    record(j);
    const double d = delta[static_cast<Index>(k)];
    if (d == 0) continue;
    x_[j] += d;
    gradient_[j] += l2_ * d;
    for (SparseMatrix::InnerIterator it(columns_, j); it; ++it) {
      const Index r = it.row();
      if (!touched_mark_[static_cast<std::size_t>(r)]) {
        touched_mark_[static_cast<std::size_t>(r)] = 1;
        touched_.push_back(r);
      }
      margins_[r] += it.value() * d;
    }
  }
  for (Index r : touched_) {
    touched_mark_[static_cast<std::size_t>(r)] = 0;
    const double new_derivative = loss_derivative(r, margins_[r]);
    const double step = new_derivative - derivative_[r];
    derivative_[r] = new_derivative;
    if (step == 0) continue;
    if (changes_known_) {
      for (decltype(rows_)::InnerIterator it(rows_, r); it; ++it) {
        gradient_[it.col()] += it.value() * step;
        record(it.col());
      }
    } else {
      for (decltype(rows_)::InnerIterator it(rows_, r); it; ++it)
        gradient_[it.col()] += it.value() * step;
    }
  }
}

double LinearModelProblem::state_drift() const {
  Eigen::VectorXd margins, derivative, gradient;
  recompute_state(margins, derivative, gradient);
  return std::max((margins - margins_).lpNorm<Eigen::Infinity>(),
                  (gradient - gradient_).lpNorm<Eigen::Infinity>());
}

Eigen::VectorXd LinearModelProblem::loss_second_derivatives() const {
  Eigen::VectorXd d(margins_.size());
  for (Index r = 0; r < d.size(); ++r) d[r] = loss_second_derivative(r, margins_[r]);
  return d;
}

Eigen::MatrixXd LinearModelProblem::hessian_block(const Block& b) const {
  const SparseMatrix sub = block_columns(columns_, b);
  Eigen::VectorXd weights(columns_.rows());
  for (Index r = 0; r < weights.size(); ++r) weights[r] = loss_second_derivative(r, margins_[r]);
  Eigen::MatrixXd h = Eigen::MatrixXd(sub.transpose() * weights.asDiagonal() * sub);
  h.diagonal().array() += l2_;
  return h;
}

Eigen::MatrixXd LinearModelProblem::hessian_bound_block(const Block& b) const {
  const SparseMatrix sub = block_columns(columns_, b);
  Eigen::MatrixXd h = curvature_bound_ * Eigen::MatrixXd(sub.transpose() * sub);
  h.diagonal().array() += l2_;
  return h;
}

void LinearModelProblem::hessian_bound_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const {
  Eigen::VectorXd av;
  times(columns_, v, av);
  transpose_times(columns_, av, out);
  out = curvature_bound_ * out + l2_ * v;
}

void LinearModelProblem::hessian_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const {
  Eigen::VectorXd av;
  times(columns_, v, av);
  for (Index r = 0; r < av.size(); ++r) av[r] *= loss_second_derivative(r, margins_[r]);
  transpose_times(columns_, av, out);
  out += l2_ * v;
}

Eigen::VectorXd LinearModelProblem::hessian_diagonal() const {
  Eigen::VectorXd d(columns_.cols());
  for (Index j = 0; j < columns_.cols(); ++j) {
    double s = l2_;
    for (SparseMatrix::InnerIterator it(columns_, j); it; ++it)
      s += loss_second_derivative(it.row(), margins_[it.row()]) * it.value() * it.value();
    d[j] = s;
  }
  return d;
}

const Eigen::VectorXd& LinearModelProblem::hessian_bound_abs_row_sums() const {
  if (abs_row_sums_.size() == columns_.cols()) return abs_row_sums_;
  // Row i of A^T A is A^T a_i: accumulate it over the rows of column i (row-major A), sum its
  // absolute values, clear the entries touched. O(sum_i sum_{r in col i} nnz(row r)) time and
  // O(n) memory, never the dense n x n matrix.
  const Index n = columns_.cols();
  abs_row_sums_.resize(n);
  Eigen::VectorXd row = Eigen::VectorXd::Zero(n);
  std::vector<Index> touched;
  std::vector<char> mark(static_cast<std::size_t>(n), 0);
  for (Index i = 0; i < n; ++i) {
    touched.clear();
    for (SparseMatrix::InnerIterator it(columns_, i); it; ++it)
      for (decltype(rows_)::InnerIterator jt(rows_, it.row()); jt; ++jt) {
        const Index j = jt.col();
        if (!mark[static_cast<std::size_t>(j)]) {
          mark[static_cast<std::size_t>(j)] = 1;
          touched.push_back(j);
        }
        row[j] += it.value() * jt.value();
      }
    double s = 0;
    for (Index j : touched) {
      s += std::abs(row[j]);
      row[j] = 0;
      mark[static_cast<std::size_t>(j)] = 0;
    }
    abs_row_sums_[i] = curvature_bound_ * s + l2_;
  }
  return abs_row_sums_;
}

// --- least squares ---

LeastSquares::LeastSquares(SparseMatrix a, Eigen::VectorXd b, Regularizer r, double weight)
    : LinearModelProblem(std::move(a), std::move(b), 0.0, 1.0, "least squares") {
  set_regularizer(r, weight);
  initialise();
}

std::string LeastSquares::name() const {
  switch (regularizer_) {
    case Regularizer::nonnegative_sum:
      return "non-negative least squares + L1";
    case Regularizer::l1:
      return "L1-regularised least squares";
    default:
      return "least squares";
  }
}

double LeastSquares::loss(Index r, double z) const {
  const double e = z - targets()[r];
  return 0.5 * e * e;
}
double LeastSquares::loss_derivative(Index r, double z) const {
  return z - targets()[r];
}
double LeastSquares::loss_second_derivative(Index, double) const {
  return 1.0;
}

// --- logistic ---

namespace linear_model_detail {
Eigen::VectorXd checked_labels(Eigen::VectorXd labels) {
  for (Index r = 0; r < labels.size(); ++r)
    if (labels[r] != 1.0 && labels[r] != -1.0)
      throw std::invalid_argument("logistic: label " + std::to_string(r) + " is " +
                                  number_text(labels[r]) + ", expected -1 or +1");
  return labels;
}
}  // namespace linear_model_detail

Logistic::Logistic(SparseMatrix a, Eigen::VectorXd labels, double l2)
    : LinearModelProblem(std::move(a), linear_model_detail::checked_labels(std::move(labels)), l2,
                         0.25, "logistic") {
  initialise();
}

std::string Logistic::name() const {
  return "logistic";
}

double Logistic::loss(Index r, double z) const {
  const double t = -targets()[r] * z;  // log(1 + e^t), stable for both signs
  return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
}
double Logistic::loss_derivative(Index r, double z) const {
  const double y = targets()[r], t = -y * z;
  const double sigma = t > 0 ? 1.0 / (1.0 + std::exp(-t)) : std::exp(t) / (1.0 + std::exp(t));
  return -y * sigma;
}
double Logistic::loss_second_derivative(Index, double z) const {
  const double s = 1.0 / (1.0 + std::exp(-std::abs(z)));
  return s * (1.0 - s);
}

}  // namespace deepsolve::bcd
