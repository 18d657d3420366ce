// Softmax regression with incremental scores and gradient (softmax.hpp).
#include "deepsolve/solvers/bcd/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace deepsolve::bcd {

namespace softmax_detail {
// out = X^T m (features x K) by column dot products: serial (see linear_model.cpp).
template <class Dense>
Dense transpose_times(const SparseMatrix& x, const Dense& m) {
  Dense out = Dense::Zero(x.cols(), m.cols());
  for (Index f = 0; f < x.cols(); ++f)
    for (SparseMatrix::InnerIterator it(x, f); it; ++it) out.row(f) += it.value() * m.row(it.row());
  return out;
}
template <class Dense>
Dense times(const SparseMatrix& x, const Dense& w) {
  Dense out = Dense::Zero(x.rows(), w.cols());
  for (Index f = 0; f < x.cols(); ++f)
    for (SparseMatrix::InnerIterator it(x, f); it; ++it) out.row(it.row()) += it.value() * w.row(f);
  return out;
}
}  // namespace softmax_detail

Softmax::Softmax(SparseMatrix features, std::vector<int> labels, int classes, double l2)
    : x_features_(std::move(features)), labels_(std::move(labels)), classes_(classes), l2_(l2) {
  if (classes < 2)
    throw std::invalid_argument("softmax: at least 2 classes needed, got " +
                                std::to_string(classes));
  if (x_features_.rows() == 0 || x_features_.cols() == 0)
    throw std::invalid_argument("softmax: the feature matrix is empty");
  if (static_cast<Index>(labels_.size()) != x_features_.rows())
    throw std::invalid_argument("softmax: the matrix has " + std::to_string(x_features_.rows()) +
                                " rows but there are " + std::to_string(labels_.size()) +
                                " labels");
  for (std::size_t r = 0; r < labels_.size(); ++r)
    if (labels_[r] < 0 || labels_[r] >= classes)
      throw std::invalid_argument("softmax: label " + std::to_string(r) + " is " +
                                  std::to_string(labels_[r]) + ", expected 0.." +
                                  std::to_string(classes - 1));
  if (!std::isfinite(l2) || l2 < 0)
    throw std::invalid_argument("softmax: l2 must be finite and >= 0");
  x_features_.makeCompressed();
  for (Index j = 0; j < x_features_.cols(); ++j)
    for (SparseMatrix::InnerIterator it(x_features_, j); it; ++it)
      if (!std::isfinite(it.value()))
        throw std::invalid_argument("softmax: the matrix entry (" + std::to_string(it.row()) +
                                    ", " + std::to_string(j) + ") is not finite");
  rows_ = x_features_;
  const Index n = x_features_.cols() * classes_;
  lipschitz_.resize(n);
  const double c = 0.5 * (1.0 - 1.0 / double(classes_));
  for (Index f = 0; f < x_features_.cols(); ++f) {
    const double norm2 = x_features_.col(f).squaredNorm();
    for (Index k = 0; k < classes_; ++k) lipschitz_[f * classes_ + k] = c * norm2 + l2_;
  }
  touched_mark_.assign(static_cast<std::size_t>(x_features_.rows()), 0);
  set_x(Eigen::VectorXd::Zero(n));
}

double Softmax::row_loss(Index r, const double* s) const {
  double top = s[0];
  for (Index k = 1; k < classes_; ++k) top = std::max(top, s[k]);
  double sum = 0;
  for (Index k = 0; k < classes_; ++k) sum += std::exp(s[k] - top);
  return top + std::log(sum) - s[labels_[static_cast<std::size_t>(r)]];
}

void Softmax::row_probabilities(Index, const double* s, double* p) const {
  double top = s[0];
  for (Index k = 1; k < classes_; ++k) top = std::max(top, s[k]);
  double sum = 0;
  for (Index k = 0; k < classes_; ++k) sum += (p[k] = std::exp(s[k] - top));
  for (Index k = 0; k < classes_; ++k) p[k] /= sum;
}

void Softmax::recompute(RowMatrix& scores, RowMatrix& probabilities,
                        Eigen::VectorXd& gradient) const {
  const Eigen::Map<const RowMatrix> w(x_.data(), x_features_.cols(), classes_);
  scores = softmax_detail::times<RowMatrix>(x_features_, w);
  probabilities.resize(scores.rows(), classes_);
  for (Index r = 0; r < scores.rows(); ++r)
    row_probabilities(r, scores.row(r).data(), probabilities.row(r).data());
  RowMatrix residual = probabilities;
  for (Index r = 0; r < scores.rows(); ++r) residual(r, labels_[static_cast<std::size_t>(r)]) -= 1;
  RowMatrix g = softmax_detail::transpose_times<RowMatrix>(x_features_, residual);
  gradient = Eigen::Map<const Eigen::VectorXd>(g.data(), g.size()) + l2_ * x_;
}

void Softmax::set_x(const Eigen::VectorXd& x) {
  if (x.size() != x_features_.cols() * classes_)
    throw std::invalid_argument("softmax: x has " + std::to_string(x.size()) +
                                " entries, the problem " +
                                std::to_string(x_features_.cols() * classes_));
  if (!x.allFinite()) throw std::invalid_argument("softmax: x has a non-finite entry");
  x_ = x;
  recompute(scores_, probabilities_, gradient_);
  ++state_version_;
}

double Softmax::objective() const {
  double s = 0;
  for (Index r = 0; r < scores_.rows(); ++r) s += row_loss(r, scores_.row(r).data());
  return s + 0.5 * l2_ * x_.squaredNorm();
}

double Softmax::objective_after(const Block& b, const Eigen::VectorXd& delta) const {
  RowMatrix shift = RowMatrix::Zero(scores_.rows(), classes_);
  std::vector<char> mark(static_cast<std::size_t>(scores_.rows()), 0);
  std::vector<Index> rows;
  double change = 0;
  for (std::size_t q = 0; q < b.size(); ++q) {
    const Index f = b[q] / classes_, k = b[q] % classes_;
    const double d = delta[static_cast<Index>(q)];
    const double old_value = x_[b[q]];
    change += 0.5 * l2_ * ((old_value + d) * (old_value + d) - old_value * old_value);
    for (SparseMatrix::InnerIterator it(x_features_, f); it; ++it) {
      if (!mark[static_cast<std::size_t>(it.row())]) {
        mark[static_cast<std::size_t>(it.row())] = 1;
        rows.push_back(it.row());
      }
      shift(it.row(), k) += it.value() * d;
    }
  }
  std::vector<double> s(static_cast<std::size_t>(classes_));
  for (Index r : rows) {
    for (Index k = 0; k < classes_; ++k)
      s[static_cast<std::size_t>(k)] = scores_(r, k) + shift(r, k);
    change += row_loss(r, s.data()) - row_loss(r, scores_.row(r).data());
  }
  return objective() + change;
}

void Softmax::update_block(const Block& b, const Eigen::VectorXd& delta) {
  ++state_version_;  // the changed coordinates are not recorded (last_changed() is null)
  touched_.clear();
  for (std::size_t q = 0; q < b.size(); ++q) {
    const double d = delta[static_cast<Index>(q)];
    if (d == 0) continue;
    const Index f = b[q] / classes_, k = b[q] % classes_;
    x_[b[q]] += d;
    gradient_[b[q]] += l2_ * d;
    for (SparseMatrix::InnerIterator it(x_features_, f); it; ++it) {
      const Index r = it.row();
      if (!touched_mark_[static_cast<std::size_t>(r)]) {
        touched_mark_[static_cast<std::size_t>(r)] = 1;
        touched_.push_back(r);
      }
      scores_(r, k) += it.value() * d;
    }
  }
  std::vector<double> p(static_cast<std::size_t>(classes_));
  for (Index r : touched_) {
    touched_mark_[static_cast<std::size_t>(r)] = 0;
    row_probabilities(r, scores_.row(r).data(), p.data());
    for (Index k = 0; k < classes_; ++k) {
      const double step = p[static_cast<std::size_t>(k)] - probabilities_(r, k);
      probabilities_(r, k) = p[static_cast<std::size_t>(k)];
      p[static_cast<std::size_t>(k)] = step;
    }
    // gradient row f += X_rf * (change of the probabilities of row r)
    for (decltype(rows_)::InnerIterator it(rows_, r); it; ++it) {
      double* g = gradient_.data() + it.col() * classes_;
      for (Index k = 0; k < classes_; ++k) g[k] += it.value() * p[static_cast<std::size_t>(k)];
    }
  }
}

double Softmax::state_drift() const {
  RowMatrix scores, probabilities;
  Eigen::VectorXd gradient;
  recompute(scores, probabilities, gradient);
  return std::max((scores - scores_).lpNorm<Eigen::Infinity>(),
                  (gradient - gradient_).lpNorm<Eigen::Infinity>());
}

double Softmax::feature_gram(Index f1, Index f2) const {
  return x_features_.col(f1).dot(x_features_.col(f2));
}

Eigen::MatrixXd Softmax::hessian_bound_block(const Block& b) const {
  const Index t = static_cast<Index>(b.size());
  Eigen::MatrixXd h(t, t);
  for (Index i = 0; i < t; ++i)
    for (Index j = 0; j <= i; ++j) {
      const Index f1 = b[i] / classes_, k1 = b[i] % classes_;
      const Index f2 = b[j] / classes_, k2 = b[j] % classes_;
      const double s = 0.5 * ((k1 == k2 ? 1.0 : 0.0) - 1.0 / double(classes_));
      h(i, j) = h(j, i) = s * feature_gram(f1, f2);
    }
  h.diagonal().array() += l2_;
  return h;
}

Eigen::MatrixXd Softmax::hessian_block(const Block& b) const {
  // d^2 f / dW_f1k1 dW_f2k2 = sum_r X_rf1 X_rf2 p_rk1 (delta_k1k2 - p_rk2).
  const Index t = static_cast<Index>(b.size()), m = x_features_.rows();
  Eigen::MatrixXd dense(m, t);
  for (Index i = 0; i < t; ++i) dense.col(i) = Eigen::VectorXd(x_features_.col(b[i] / classes_));
  Eigen::MatrixXd h(t, t);
  for (Index i = 0; i < t; ++i)
    for (Index j = 0; j <= i; ++j) {
      const Index k1 = b[i] % classes_, k2 = b[j] % classes_;
      double s = 0;
      for (Index r = 0; r < m; ++r) {
        const double a = dense(r, i) * dense(r, j);
        if (a == 0) continue;
        s += a * probabilities_(r, k1) * ((k1 == k2 ? 1.0 : 0.0) - probabilities_(r, k2));
      }
      h(i, j) = h(j, i) = s;
    }
  h.diagonal().array() += l2_;
  return h;
}

void Softmax::hessian_bound_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const {
  const Eigen::Map<const RowMatrix> w(v.data(), x_features_.cols(), classes_);
  RowMatrix centred = w;
  centred.colwise() -= w.rowwise().mean();  // V (I - 11^T/K)
  const RowMatrix xv = softmax_detail::times<RowMatrix>(x_features_, centred);
  const RowMatrix g = 0.5 * softmax_detail::transpose_times<RowMatrix>(x_features_, xv);
  out = Eigen::Map<const Eigen::VectorXd>(g.data(), g.size()) + l2_ * v;
}

void Softmax::hessian_apply(const Eigen::VectorXd& v, Eigen::VectorXd& out) const {
  const Eigen::Map<const RowMatrix> w(v.data(), x_features_.cols(), classes_);
  RowMatrix u = softmax_detail::times<RowMatrix>(x_features_, RowMatrix(w));
  for (Index r = 0; r < u.rows(); ++r) {
    const double mean = probabilities_.row(r).dot(u.row(r));
    for (Index k = 0; k < classes_; ++k) u(r, k) = probabilities_(r, k) * (u(r, k) - mean);
  }
  const RowMatrix g = softmax_detail::transpose_times<RowMatrix>(x_features_, u);
  out = Eigen::Map<const Eigen::VectorXd>(g.data(), g.size()) + l2_ * v;
}

Eigen::VectorXd Softmax::hessian_diagonal() const {
  Eigen::VectorXd d(x_.size());
  for (Index f = 0; f < x_features_.cols(); ++f)
    for (Index k = 0; k < classes_; ++k) {
      double s = l2_;
      for (SparseMatrix::InnerIterator it(x_features_, f); it; ++it) {
        const double p = probabilities_(it.row(), k);
        s += it.value() * it.value() * p * (1 - p);
      }
      d[f * classes_ + k] = s;
    }
  return d;
}

const Eigen::VectorXd& Softmax::hessian_bound_abs_row_sums() const {
  if (abs_row_sums_.size() == x_.size()) return abs_row_sums_;
  // sum over (f2, k2) of (1/2)|delta_kk2 - 1/K| |G_ff2| = (1 - 1/K) sum_f2 |G_ff2|.
  const Index nf = x_features_.cols();
  abs_row_sums_.resize(x_.size());
  Eigen::VectorXd row = Eigen::VectorXd::Zero(nf);
  std::vector<Index> touched;
  std::vector<char> mark(static_cast<std::size_t>(nf), 0);
  for (Index f = 0; f < nf; ++f) {
    touched.clear();
    for (SparseMatrix::InnerIterator it(x_features_, f); it; ++it)
      for (decltype(rows_)::InnerIterator jt(rows_, it.row()); jt; ++jt) {
        if (!mark[static_cast<std::size_t>(jt.col())]) {
          mark[static_cast<std::size_t>(jt.col())] = 1;
          touched.push_back(jt.col());
        }
        row[jt.col()] += it.value() * jt.value();
      }
    double s = 0;
    for (Index j : touched) {
      s += std::abs(row[j]);
      row[j] = 0;
      mark[static_cast<std::size_t>(j)] = 0;
    }
    for (Index k = 0; k < classes_; ++k)
      abs_row_sums_[f * classes_ + k] = (1.0 - 1.0 / double(classes_)) * s + l2_;
  }
  return abs_row_sums_;
}

}  // namespace deepsolve::bcd
