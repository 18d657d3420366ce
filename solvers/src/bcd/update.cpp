// Block update rules (update.hpp).
#include "deepsolve/solvers/bcd/update.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "deepsolve/solvers/bcd/block_qp.hpp"

namespace deepsolve::bcd {

namespace update_detail {

Eigen::VectorXd gather(const Eigen::VectorXd& v, const Block& b) {
  Eigen::VectorXd out(static_cast<Index>(b.size()));
  for (std::size_t q = 0; q < b.size(); ++q) out[static_cast<Index>(q)] = v[b[q]];
  return out;
}

const BlockCurvature& curvature(const Problem& p, const Block& b, const BlockCurvature* cached,
                                std::optional<BlockCurvature>& storage) {
  if (cached) return *cached;
  storage = block_curvature(p, b);
  return *storage;
}

class GradientUpdate : public Update {
 public:
  void apply(Problem& p, const Block& b, const BlockCurvature* cached) override {
    std::optional<BlockCurvature> storage;
    const double l = curvature(p, b, cached, storage).lipschitz;
    if (!(l > 0)) return;
    Eigen::VectorXd delta(static_cast<Index>(b.size()));
    for (std::size_t q = 0; q < b.size(); ++q) {
      const double x = p.x()[b[q]];
      delta[static_cast<Index>(q)] = p.prox(x - p.gradient()[b[q]] / l, 1.0 / l) - x;
    }
    p.update_block(b, delta);
  }
};

class MatrixUpdate : public Update {
 public:
  void apply(Problem& p, const Block& b, const BlockCurvature* cached) override {
    std::optional<BlockCurvature> storage;
    const BlockCurvature& c = curvature(p, b, cached, storage);
    p.update_block(b, -(c.bound_pseudo_inverse * gather(p.gradient(), b)));
  }
};

// Newton direction -H^-1 g on the exact block Hessian (pseudo-inverse when singular).
Eigen::VectorXd newton_direction(const Eigen::MatrixXd& h, const Eigen::VectorXd& g) {
  Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::VectorXd d = ldlt.vectorD();
    if (d.minCoeff() > 1e-12 * std::max(d.maxCoeff(), 1e-300)) return -ldlt.solve(g);
  }
  Eigen::MatrixXd inverse;
  double largest = 0;
  symmetric_pseudo_inverse(h, inverse, largest);
  return -(inverse * g);
}

class NewtonUpdate : public Update {
 public:
  void apply(Problem& p, const Block& b, const BlockCurvature*) override {
    const Eigen::VectorXd g = gather(p.gradient(), b);
    const Eigen::VectorXd d = newton_direction(p.hessian_block(b), g);
    const double slope = g.dot(d);
    last_backtracks = 0;
    if (!(slope < 0)) return;  // g_b = 0 on this block: nothing to gain
    const double f0 = p.objective();
    double alpha = 1;
    // Armijo with c = 1e-4; each failed step is replaced by the minimiser of the quadratic
    // through f(0), f'(0) and f(alpha), kept in [alpha/10, alpha/2].
    for (int k = 0; k < 60; ++k) {
      const double f = p.objective_after(b, alpha * d);
      if (f <= f0 + 1e-4 * alpha * slope) {
        p.update_block(b, alpha * d);
        return;
      }
      ++last_backtracks;
      const double denominator = 2 * (f - f0 - alpha * slope);
      double next = denominator > 0 ? -slope * alpha * alpha / denominator : alpha / 2;
      if (!std::isfinite(next)) next = alpha / 2;
      alpha = std::clamp(next, alpha / 10, alpha / 2);
    }
  }
};

class TwoMetricUpdate : public Update {
 public:
  void apply(Problem& p, const Block& b, const BlockCurvature*) override {
    const Index t = static_cast<Index>(b.size());
    const Eigen::VectorXd g = gather(p.gradient(), b), x = gather(p.x(), b);
    const Eigen::MatrixXd h = p.hessian_block(b);
    // Coordinates at (or within 1e-4 of) the bound that the gradient pushes into it get a
    // diagonal step; the others a Newton step on their sub-block (the paper's TMP-NN).
    std::vector<Index> free_set, bound_set;
    for (Index q = 0; q < t; ++q)
      (x[q] < kActiveThreshold && g[q] > 0 ? bound_set : free_set).push_back(q);
    Eigen::VectorXd d = Eigen::VectorXd::Zero(t);
    for (Index q : bound_set) d[q] = -g[q] / h(q, q);
    if (!free_set.empty()) {
      const Index k = static_cast<Index>(free_set.size());
      Eigen::MatrixXd hf(k, k);
      Eigen::VectorXd gf(k);
      for (Index i = 0; i < k; ++i) {
        gf[i] = g[free_set[static_cast<std::size_t>(i)]];
        for (Index j = 0; j < k; ++j)
          hf(i, j) =
              h(free_set[static_cast<std::size_t>(i)], free_set[static_cast<std::size_t>(j)]);
      }
      const Eigen::VectorXd df = newton_direction(hf, gf);
      for (Index i = 0; i < k; ++i) d[free_set[static_cast<std::size_t>(i)]] = df[i];
    }
    // Projected backtracking line search: x(alpha) = max(x + alpha d, 0), Armijo on the actual
    // step taken.
    const double f0 = p.objective();
    double alpha = 1;
    last_backtracks = 0;
    for (int k = 0; k < 60; ++k) {
      const Eigen::VectorXd step = (x + alpha * d).cwiseMax(0.0) - x;
      const double decrease = g.dot(step);
      if (step.squaredNorm() == 0) return;
      const double f = p.objective_after(b, step);
      if (f <= f0 + 1e-4 * std::min(decrease, 0.0)) {
        if (f < f0 || decrease < 0) p.update_block(b, step);
        return;
      }
      ++last_backtracks;
      alpha /= 2;
    }
  }

 private:
  static constexpr double kActiveThreshold = 1e-4;
};

class QpUpdate : public Update {
 public:
  void apply(Problem& p, const Block& b, const BlockCurvature*) override {
    const Eigen::VectorXd g = gather(p.gradient(), b), x = gather(p.x(), b);
    const Eigen::MatrixXd h = p.hessian_block(b);
    if (p.regularizer() == Regularizer::none) {
      p.update_block(b, newton_direction(h, g));
      return;
    }
    // min over y >= 0 of (y - x)^T H (y - x) / 2 + g^T (y - x) = y^T H y / 2 + (g - H x)^T y +
    // const
    const NonnegativeQpResult qp = solve_nonnegative_qp(h, g - h * x, x);
    p.update_block(b, qp.y - x);
  }
};

}  // namespace update_detail

const std::vector<UpdateRule>& update_rules() {
  using namespace update_detail;
  using R = Regularizer;
  static const std::vector<UpdateRule> rules = {
      {"gradient",
       "Lb",
       "x_b <- prox(x_b - g_b / L_b) (PG for x >= 0)",
       {R::none, R::nonnegative_sum, R::l1},
       [] { return std::make_unique<GradientUpdate>(); }},
      {"matrix",
       "Hb",
       "x_b <- x_b - H_b^+ g_b with the Hessian bound",
       {R::none},
       [] { return std::make_unique<MatrixUpdate>(); }},
      {"newton",
       "LS",
       "Newton on the exact block Hessian with a backtracking line search",
       {R::none},
       [] { return std::make_unique<NewtonUpdate>(); }},
      {"tmp",
       "TMP",
       "two-metric projection (x >= 0)",
       {R::nonnegative_sum},
       [] { return std::make_unique<TwoMetricUpdate>(); }},
      {"qp",
       "PN",
       "the exact block QP with x_b >= 0 (active set)",
       {R::none, R::nonnegative_sum},
       [] { return std::make_unique<QpUpdate>(); }},
  };
  return rules;
}

std::unique_ptr<Update> make_update(const std::string& name, const Problem& problem) {
  std::string valid;
  for (const UpdateRule& rule : update_rules()) {
    if (rule.name == name) {
      if (std::find(rule.supports.begin(), rule.supports.end(), problem.regularizer()) ==
          rule.supports.end())
        throw std::invalid_argument("the update rule '" + name + "' does not handle " +
                                    problem.name());
      return rule.make();
    }
    valid += (valid.empty() ? "" : ", ") + rule.name;
  }
  throw std::invalid_argument("unknown update rule '" + name + "' (valid: " + valid + ")");
}

}  // namespace deepsolve::bcd
