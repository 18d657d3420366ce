#include "deepsolve/solvers/bcd/lasso.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace deepsolve::bcd {
namespace lasso_detail {

using Eigen::Index;
using Eigen::VectorXd;
using Sparse = Eigen::SparseMatrix<double>;

// What the algorithm needs from a column: the only places where dense and sparse storage differ.
inline double column_dot(const Eigen::MatrixXd& X, Index j, const VectorXd& v) {
  return X.col(j).dot(v);
}
inline double column_dot(const Sparse& X, Index j, const VectorXd& v) {
  double sum = 0.0;
  for (Sparse::InnerIterator it(X, j); it; ++it) sum += it.value() * v[it.index()];
  return sum;
}
// v += a x_j
inline void column_axpy(const Eigen::MatrixXd& X, Index j, double a, VectorXd& v) {
  v.noalias() += a * X.col(j);
}
inline void column_axpy(const Sparse& X, Index j, double a, VectorXd& v) {
  for (Sparse::InnerIterator it(X, j); it; ++it) v[it.index()] += a * it.value();
}
inline bool all_finite(const Eigen::MatrixXd& X) {
  return X.allFinite();
}
inline bool all_finite(const Sparse& X) {
  for (Index j = 0; j < X.outerSize(); ++j)
    for (Sparse::InnerIterator it(X, j); it; ++it)
      if (!std::isfinite(it.value())) return false;
  return true;
}
// ||x_j||^2 and x_j^T y of every column in one pass over X: a dense X larger than the caches
// costs a memory-bound pass each time it is read, as much as the rest of a small solve.
inline void column_statistics(const Eigen::MatrixXd& X, const VectorXd& y, VectorXd& col_sq,
                              VectorXd& xty) {
  for (Index j = 0; j < X.cols(); ++j) {
    const auto column = X.col(j);
    col_sq[j] = column.squaredNorm();
    xty[j] = column.dot(y);
  }
}
inline void column_statistics(const Sparse& X, const VectorXd& y, VectorXd& col_sq, VectorXd& xty) {
  for (Index j = 0; j < X.cols(); ++j) {
    double sq = 0.0, dot = 0.0;
    for (Sparse::InnerIterator it(X, j); it; ++it) {
      sq += it.value() * it.value();
      dot += it.value() * y[it.index()];
    }
    col_sq[j] = sq;
    xty[j] = dot;
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class Matrix>
void check_shapes(const Matrix& X, const VectorXd& y) {
  if (X.rows() == 0 || X.cols() == 0)
    throw std::invalid_argument("lasso: X is empty (" + std::to_string(X.rows()) + " x " +
                                std::to_string(X.cols()) + ")");
  if (X.rows() != y.size())
    throw std::invalid_argument("lasso: X has " + std::to_string(X.rows()) +
                                " rows (samples) but y has " + std::to_string(y.size()));
  if (!y.allFinite()) throw std::invalid_argument("lasso: y has a non-finite entry");
}

template <class Matrix>
void check_data(const Matrix& X, const VectorXd& y) {
  check_shapes(X, y);
  if (!all_finite(X)) throw std::invalid_argument("lasso: X has a non-finite entry");
}

void check_parameters(double alpha, double l1_ratio) {
  if (!(alpha > 0.0) || !std::isfinite(alpha))
    throw std::invalid_argument("lasso: alpha must be positive and finite, got " +
                                std::to_string(alpha));
  if (!(l1_ratio > 0.0 && l1_ratio <= 1.0))
    throw std::invalid_argument("lasso: l1_ratio must be in (0, 1], got " +
                                std::to_string(l1_ratio));
}

// The data and what is computed once per X (shared by the alphas of a path).
template <class Matrix>
struct Data {
  const Matrix& X;
  const VectorXd& y;
  VectorXd col_sq;  // ||x_j||^2
  VectorXd xty;     // X^T y: the correlations at w = 0
  double y_sq = 0;  // ||y||^2
  double n = 0;
};

// The state of one solve: the penalty in the solver's scale (everything multiplied by n, as
// sklearn's _cd_fast does: 1/2 ||r||^2 + nlam ||w||_1 + nbeta/2 ||w||^2).
struct Penalty {
  double nlam = 0;   // n alpha rho
  double nbeta = 0;  // n alpha (1 - rho)
};

// n times the duality gap for the dual point theta = r~ / max(nlam, dual_norm) (the residual of
// the augmented Lasso, rescaled into the dual feasible set), from the quantities it depends on.
struct GapTerms {
  double r_sq = 0;       // ||r||^2
  double w_sq = 0;       // ||w||^2
  double l1 = 0;         // ||w||_1
  double r_dot_y = 0;    // r^T y
  double dual_norm = 0;  // max_j |x_j^T r - nbeta w_j|
};
struct Gap {
  double primal = 0;  // P(w), in the user's scale (divided by n)
  double gap = 0;     // P(w) - D(theta), user's scale
  double scale = 0;   // max(nlam, dual_norm): theta = r~ / scale
};
Gap duality_gap(const GapTerms& t, const Penalty& pen, double n) {
  const double augmented_sq = t.r_sq + pen.nbeta * t.w_sq;
  Gap g;
  g.scale = std::max(pen.nlam, t.dual_norm);
  const double c = pen.nlam / g.scale;
  g.primal = (0.5 * augmented_sq + pen.nlam * t.l1) / n;
  g.gap = (0.5 * augmented_sq * (1.0 + c * c) + pen.nlam * t.l1 - c * t.r_dot_y) / n;
  return g;
}

inline double soft_threshold(double z, double threshold) {
  if (z > threshold) return z - threshold;
  if (z < -threshold) return z + threshold;
  return 0.0;
}

// P(w) times n for w supported on `ws` with residual r.
double scaled_primal(const Penalty& pen, const std::vector<Index>& ws, const VectorXd& w,
                     const VectorXd& r) {
  double l1 = 0, sq = 0;
  for (const Index j : ws) {
    l1 += std::abs(w[j]);
    sq += w[j] * w[j];
  }
  return 0.5 * r.squaredNorm() + pen.nlam * l1 + 0.5 * pen.nbeta * sq;
}

// Anderson acceleration of the CD iterates (Anderson 1965; for coordinate descent on the Lasso,
// Bertrand & Massias, "Anderson acceleration of coordinate descent", AISTATS 2021, as skglm
// does): from the last K + 1 epochs' iterates w_0..w_K, the affine combination sum c_k w_k
// (sum c_k = 1) that minimises ||sum c_k (w_k - w_{k-1})||, accepted only when it lowers the
// objective (the residual is recomputed for it, about one epoch's cost). On ill-conditioned
// designs (correlated columns, supports near n) this cuts the epochs several-fold.
template <class Matrix>
void anderson_step(const Data<Matrix>& d, const Penalty& pen, const std::vector<Index>& ws,
                   const Eigen::MatrixXd& history, VectorXd& w, VectorXd& r) {
  const Index K = history.cols() - 1;
  const Eigen::MatrixXd U = history.rightCols(K) - history.leftCols(K);
  Eigen::MatrixXd gram = U.transpose() * U;
  const double scale = gram.diagonal().maxCoeff();
  if (!(scale > 0.0)) return;
  gram.diagonal().array() += 1e-10 * scale;  // keeps the solve defined when steps align
  const VectorXd z = gram.ldlt().solve(VectorXd::Ones(K));
  const double total = z.sum();
  if (!std::isfinite(total) || total == 0.0) return;
  const VectorXd extrapolated = history.rightCols(K) * (z / total);
  VectorXd r_new = d.y;
  VectorXd w_new = w;
  for (std::size_t t = 0; t < ws.size(); ++t) {
    const Index j = ws[t];
    w_new[j] = extrapolated[static_cast<Index>(t)];
    if (w_new[j] != 0.0) column_axpy(d.X, j, -w_new[j], r_new);
  }
  if (scaled_primal(pen, ws, w_new, r_new) < scaled_primal(pen, ws, w, r)) {
    w.swap(w_new);
    r.swap(r_new);
  }
}

// One pass of cyclic coordinate descent over `coordinates`: the exact minimisation along each,
// soft thresholding of z = x_j^T r + ||x_j||^2 w_j, and the residual updated in O(nnz(x_j)).
template <class Matrix>
void cd_pass(const Data<Matrix>& d, const Penalty& pen, const std::vector<Index>& coordinates,
             VectorXd& w, VectorXd& r) {
  for (const Index j : coordinates) {
    const double sq = d.col_sq[j];
    if (sq == 0.0) continue;
    const double old = w[j];
    const double z = column_dot(d.X, j, r) + sq * old;
    const double updated = soft_threshold(z, pen.nlam) / (sq + pen.nbeta);
    if (updated != old) {
      column_axpy(d.X, j, old - updated, r);
      w[j] = updated;
    }
  }
}

// Coordinate descent on the working set `ws` (the rest of w stays 0) until the restricted
// problem's duality gap is below `inner_tol` or `epoch_budget` passes are spent; returns the
// passes done. It runs in cycles of kCycle passes: one over the whole working set, then passes
// over its nonzero coordinates only (glmnet's active-set cycling: the zeros of the working set
// rarely move, and skipping them halves a pass when the support is half of it), then an Anderson
// step on the cycle's iterates and the gap check (which reads every column of the working set).
template <class Matrix>
std::int64_t solve_restricted(const Data<Matrix>& d, const Penalty& pen,
                              const std::vector<Index>& ws, double inner_tol,
                              std::int64_t epoch_budget, VectorXd& w, VectorXd& r) {
  constexpr int kCycle = 5;
  const Index m = static_cast<Index>(ws.size());
  Eigen::MatrixXd history(m, kCycle + 1);
  std::vector<Index> active;
  std::int64_t epochs = 0;
  while (epochs < epoch_budget) {
    for (Index t = 0; t < m; ++t) history(t, 0) = w[ws[static_cast<std::size_t>(t)]];
    int done = 0;
    while (done < kCycle && epochs < epoch_budget) {
      if (done == 0) {
        cd_pass(d, pen, ws, w, r);
        active.clear();
        for (const Index j : ws)
          if (w[j] != 0.0) active.push_back(j);
      } else {
        cd_pass(d, pen, active, w, r);
      }
      ++epochs;
      ++done;
      for (Index t = 0; t < m; ++t) history(t, done) = w[ws[static_cast<std::size_t>(t)]];
    }
    if (done == kCycle) anderson_step(d, pen, ws, history, w, r);
    GapTerms t;
    for (const Index j : ws) {
      const double wj = w[j];
      t.dual_norm = std::max(t.dual_norm, std::abs(column_dot(d.X, j, r) - pen.nbeta * wj));
      t.w_sq += wj * wj;
      t.l1 += std::abs(wj);
    }
    t.r_sq = r.squaredNorm();
    t.r_dot_y = r.dot(d.y);
    if (duality_gap(t, pen, d.n).gap <= inner_tol) break;
  }
  return epochs;
}

// What one alpha of a path hands to the next: the residual and the correlations X^T r of the
// solution it ended with. They are what the next alpha's first gap check needs at the same w, so
// a path pays one X^T r per alpha less (on a sparse design, where a round is little more than
// its X^T r, that is about a third of the path's time).
struct PathCarry {
  bool valid = false;
  VectorXd r;    // y - Xw
  VectorXd xtr;  // X^T r (without the ridge term, which depends on alpha)
};

template <class Matrix>
LassoResult solve_one(const Data<Matrix>& d, double alpha, const LassoOptions& o, VectorXd w,
                      std::chrono::steady_clock::time_point t0, PathCarry* carry = nullptr) {
  check_parameters(alpha, o.l1_ratio);
  const Index p = d.X.cols();
  const Penalty pen{d.n * alpha * o.l1_ratio, d.n * alpha * (1.0 - o.l1_ratio)};
  LassoResult res;
  res.gap_tolerance = o.tol * d.y_sq / (2.0 * d.n);
  res.trace.label = "working-set CD";

  const bool carried = carry != nullptr && carry->valid;
  VectorXd r = carried ? carry->r : d.y;
  if (!carried)
    for (Index j = 0; j < p; ++j)
      if (w[j] != 0.0) column_axpy(d.X, j, -w[j], r);

  // A feature with a zero column (and no ridge term) never enters: its weight is 0 at the optimum.
  std::vector<char> screened(static_cast<std::size_t>(p), 0);
  VectorXd aug_norm = (d.col_sq.array() + pen.nbeta).sqrt();
  for (Index j = 0; j < p; ++j)
    if (d.col_sq[j] == 0.0) screened[static_cast<std::size_t>(j)] = 1;

  VectorXd c(p);
  std::vector<double> priority(static_cast<std::size_t>(p));
  std::vector<Index> order, ws;
  const Index initial_ws = std::max<Index>(1, o.initial_working_set);
  Index previous_ws = 0;
  double previous_gap = std::numeric_limits<double>::infinity();
  for (;;) {
    // 1. The full problem's correlations, dual point and gap (at w = 0 they are X^T y).
    if (res.outer_iterations == 0 && carried) {
      c = carry->xtr - pen.nbeta * w;
    } else if (res.outer_iterations == 0 && w.isZero(0.0)) {
      c = d.xty;
    } else {
      c.noalias() = d.X.transpose() * r;
      c -= pen.nbeta * w;
    }
    GapTerms t;
    t.dual_norm = c.lpNorm<Eigen::Infinity>();
    t.r_sq = r.squaredNorm();
    t.w_sq = w.squaredNorm();
    t.l1 = w.lpNorm<1>();
    t.r_dot_y = r.dot(d.y);
    const Gap g = duality_gap(t, pen, d.n);
    res.objective = g.primal;
    res.duality_gap = g.gap;
    ++res.outer_iterations;
    if (o.record_trace) res.trace.points.push_back({res.iterations, seconds_since(t0), g.primal});
    if (g.gap <= res.gap_tolerance) {
      res.reason = LassoStop::converged;
      break;
    }
    if (res.iterations >= o.max_iterations) break;

    // 2. Gap-safe screening: theta* lies within `radius` of theta = r~ / scale.
    Index nnz = 0, violating = 0;
    if (o.screening) {
      const double radius = std::sqrt(2.0 * std::max(g.gap, 0.0) * d.n) / pen.nlam;
      for (Index j = 0; j < p; ++j) {
        auto& s = screened[static_cast<std::size_t>(j)];
        if (s) continue;
        if (std::abs(c[j]) / g.scale + aug_norm[j] * radius < 1.0) {
          s = 1;
          if (w[j] != 0.0) {
            column_axpy(d.X, j, w[j], r);
            w[j] = 0.0;
          }
        }
      }
    }
    // 3. The working set: the support first, then the features closest to violating
    // |x_j^T theta| <= 1 (per unit of column norm).
    order.clear();
    for (Index j = 0; j < p; ++j) {
      if (screened[static_cast<std::size_t>(j)]) continue;
      order.push_back(j);
      if (w[j] != 0.0) {
        ++nnz;
        priority[static_cast<std::size_t>(j)] = -1.0;
      } else {
        violating += std::abs(c[j]) > pen.nlam;
        priority[static_cast<std::size_t>(j)] = (1.0 - std::abs(c[j]) / g.scale) / aug_norm[j];
      }
    }
    const Index available = static_cast<Index>(order.size());
    // celer's size, twice the support, but up to twice the last round's while features outside
    // the support violate the optimality conditions (|x_j^T r~| > n alpha rho): a round's
    // solution often uses only part of its working set, and growing by the support alone would
    // then take many rounds (each costing X^T r). And doubled when it would not grow and the last
    // round did not halve the gap, so that a stalled working set keeps growing.
    Index ws_size = std::max(initial_ws, 2 * nnz);
    ws_size = std::max(ws_size, std::min(nnz + violating, 2 * previous_ws));
    if (ws_size <= previous_ws && g.gap > 0.5 * previous_gap) ws_size = 2 * previous_ws;
    ws_size = std::min(available, ws_size);
    previous_ws = ws_size;
    previous_gap = g.gap;
    const auto by_priority = [&](Index a, Index b) {
      return priority[static_cast<std::size_t>(a)] < priority[static_cast<std::size_t>(b)];
    };
    if (ws_size < available)
      std::nth_element(order.begin(), order.begin() + ws_size, order.end(), by_priority);
    ws.assign(order.begin(), order.begin() + ws_size);
    std::sort(ws.begin(), ws.end());  // memory order: columns are visited front to back

    // 4. The restricted problem, to a fraction of the current gap.
    res.iterations +=
        solve_restricted(d, pen, ws, 0.3 * g.gap, o.max_iterations - res.iterations, w, r);
  }
  res.screened = std::count(screened.begin(), screened.end(), char(1));
  res.nnz = static_cast<Index>((w.array() != 0.0).count());
  if (carry != nullptr) {  // the loop ends right after step 1: c belongs to this w and r
    carry->xtr = c + pen.nbeta * w;
    carry->r = std::move(r);
    carry->valid = true;
  }
  res.coef = std::move(w);
  res.time_s = seconds_since(t0);
  return res;
}

template <class Matrix>
Data<Matrix> make_data(const Matrix& X, const VectorXd& y) {
  check_shapes(X, y);
  Data<Matrix> d{
      X, y, VectorXd(X.cols()), VectorXd(X.cols()), y.squaredNorm(), static_cast<double>(X.rows())};
  column_statistics(X, y, d.col_sq, d.xty);
  // A non-finite entry makes its column's squared norm non-finite (so does an entry whose square
  // overflows, which the solver could not use either): X is checked without another pass.
  for (Index j = 0; j < X.cols(); ++j)
    if (!std::isfinite(d.col_sq[j]))
      throw std::invalid_argument(
          "lasso: X has a non-finite entry in column " + std::to_string(j) +
          (all_finite(X) ? " (its squared norm overflows: entries beyond 1e154)" : ""));
  return d;
}

void check_options(const LassoOptions& o) {
  if (!(o.tol > 0.0) || !std::isfinite(o.tol))
    throw std::invalid_argument("lasso: tol must be positive and finite, got " +
                                std::to_string(o.tol));
  if (o.max_iterations < 0)
    throw std::invalid_argument("lasso: max_iterations must be >= 0, got " +
                                std::to_string(o.max_iterations));
}

}  // namespace lasso_detail

const char* to_string(LassoStop reason) {
  return reason == LassoStop::converged ? "converged" : "max_iterations";
}

template <class Matrix>
double lasso_alpha_max(const Matrix& X, const Eigen::VectorXd& y, double l1_ratio) {
  lasso_detail::check_data(X, y);
  lasso_detail::check_parameters(1.0, l1_ratio);
  const Eigen::VectorXd c = X.transpose() * y;
  return c.lpNorm<Eigen::Infinity>() / (static_cast<double>(X.rows()) * l1_ratio);
}

std::vector<double> lasso_alpha_grid(double alpha_max, int count, double ratio_min) {
  if (count < 1) throw std::invalid_argument("lasso: the path needs at least 1 alpha");
  if (!(ratio_min > 0.0 && ratio_min <= 1.0))
    throw std::invalid_argument("lasso: the path's smallest ratio must be in (0, 1]");
  std::vector<double> alphas(static_cast<std::size_t>(count), alpha_max);
  for (int k = 1; k < count; ++k)
    alphas[static_cast<std::size_t>(k)] =
        alpha_max * std::pow(ratio_min, static_cast<double>(k) / (count - 1));
  return alphas;
}

template <class Matrix>
LassoResult solve_lasso(const Matrix& X, const Eigen::VectorXd& y, const LassoOptions& options,
                        const Eigen::VectorXd& warm_start) {
  const auto t0 = std::chrono::steady_clock::now();
  lasso_detail::check_options(options);
  const auto d = lasso_detail::make_data(X, y);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(X.cols());
  if (warm_start.size() != 0) {
    if (warm_start.size() != X.cols())
      throw std::invalid_argument("lasso: the warm start has " + std::to_string(warm_start.size()) +
                                  " entries, X has " + std::to_string(X.cols()) + " columns");
    if (!warm_start.allFinite())
      throw std::invalid_argument("lasso: the warm start has a non-finite entry");
    w = warm_start;
  }
  return lasso_detail::solve_one(d, options.alpha, options, std::move(w), t0);
}

template <class Matrix>
std::vector<LassoResult> solve_lasso_path(const Matrix& X, const Eigen::VectorXd& y,
                                          const std::vector<double>& alphas,
                                          const LassoOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  lasso_detail::check_options(options);
  for (const double a : alphas) lasso_detail::check_parameters(a, options.l1_ratio);
  const auto d = lasso_detail::make_data(X, y);
  std::vector<LassoResult> results;
  Eigen::VectorXd w = Eigen::VectorXd::Zero(X.cols());
  lasso_detail::PathCarry carry;
  for (const double a : alphas) {
    results.push_back(lasso_detail::solve_one(d, a, options, w, t0, &carry));
    w = results.back().coef;
    t0 = std::chrono::steady_clock::now();
  }
  return results;
}

template <class Matrix>
LassoCertificate lasso_certificate(const Matrix& X, const Eigen::VectorXd& y, double alpha,
                                   double l1_ratio, const Eigen::VectorXd& w) {
  lasso_detail::check_data(X, y);
  lasso_detail::check_parameters(alpha, l1_ratio);
  if (w.size() != X.cols())
    throw std::invalid_argument("lasso: w has " + std::to_string(w.size()) + " entries, X has " +
                                std::to_string(X.cols()) + " columns");
  const double n = static_cast<double>(X.rows());
  const lasso_detail::Penalty pen{n * alpha * l1_ratio, n * alpha * (1.0 - l1_ratio)};
  const Eigen::VectorXd r = y - X * w;
  const Eigen::VectorXd c = X.transpose() * r - pen.nbeta * w;
  lasso_detail::GapTerms t;
  t.dual_norm = c.lpNorm<Eigen::Infinity>();
  t.r_sq = r.squaredNorm();
  t.w_sq = w.squaredNorm();
  t.l1 = w.lpNorm<1>();
  t.r_dot_y = r.dot(y);
  const auto g = lasso_detail::duality_gap(t, pen, n);
  return {g.primal, g.gap};
}

#define DEEPSOLVE_BCD_LASSO_INSTANTIATE(Matrix)                                                \
  template double lasso_alpha_max<Matrix>(const Matrix&, const Eigen::VectorXd&, double);      \
  template LassoResult solve_lasso<Matrix>(const Matrix&, const Eigen::VectorXd&,              \
                                           const LassoOptions&, const Eigen::VectorXd&);       \
  template std::vector<LassoResult> solve_lasso_path<Matrix>(                                  \
      const Matrix&, const Eigen::VectorXd&, const std::vector<double>&, const LassoOptions&); \
  template LassoCertificate lasso_certificate<Matrix>(const Matrix&, const Eigen::VectorXd&,   \
                                                      double, double, const Eigen::VectorXd&);
DEEPSOLVE_BCD_LASSO_INSTANTIATE(Eigen::MatrixXd)
DEEPSOLVE_BCD_LASSO_INSTANTIATE(Eigen::SparseMatrix<double>)
#undef DEEPSOLVE_BCD_LASSO_INSTANTIATE

}  // namespace deepsolve::bcd
