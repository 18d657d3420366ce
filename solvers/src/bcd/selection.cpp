// Block selection rules (selection.hpp).
#include "deepsolve/solvers/bcd/selection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace deepsolve::bcd {

Block top_scores(const Eigen::VectorXd& scores, Index tau) {
  std::vector<Index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Index{0});
  tau = std::min<Index>(tau, scores.size());
  const auto better = [&](Index a, Index b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  std::nth_element(order.begin(), order.begin() + tau - 1, order.end(), better);
  order.resize(static_cast<std::size_t>(tau));
  std::sort(order.begin(), order.end(), better);
  return order;
}

double proximal_progress(const Problem& problem, Index i) {
  const double g = problem.gradient()[i], x = problem.x()[i], l = problem.lipschitz()[i];
  if (!(l > 0)) return 0;
  const double d = problem.prox(x - g / l, 1.0 / l) - x;
  double progress = -(g * d + 0.5 * l * d * d);
  if (problem.regularizer() == Regularizer::l1)
    progress -= problem.regularizer_weight() * (std::abs(x + d) - std::abs(x));
  return std::max(progress, 0.0);
}

namespace selection_detail {

// |KKT residual| of coordinate i: the gradient for smooth problems.
double residual(const Problem& p, Index i) {
  return std::abs(p.optimality_residual(i));
}

const Partition& need_partition(const SelectionContext& c) {
  if (!c.partition) throw std::invalid_argument("a fixed-block rule needs a partition");
  return *c.partition;
}

Index need_tau(const SelectionContext& c) {
  const Index n = c.problem.size();
  if (c.tau < 1 || c.tau > n)
    throw std::invalid_argument("the block size " + std::to_string(c.tau) + " is not in [1, " +
                                std::to_string(n) + "]");
  return c.tau;
}

// --- fixed blocks ---

class CyclicFixed : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Partition& p = need_partition(c);
    const Index k = c.iteration % p.count();
    return {p.block(k), k};
  }
};

class RandomFixed : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Partition& p = need_partition(c);
    const Index k = static_cast<Index>(c.rng.below(static_cast<std::uint64_t>(p.count())));
    return {p.block(k), k};
  }
};

class LipschitzFixed : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Partition& p = need_partition(c);
    if (cumulative_.empty()) {
      double sum = 0;
      for (Index k = 0; k < p.count(); ++k)
        cumulative_.push_back(sum += p.curvature(c.problem, k).lipschitz);
    }
    const double u = c.rng.uniform() * cumulative_.back();
    Index k = std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
    k = std::min<Index>(k, p.count() - 1);
    return {p.block(k), k};
  }

 private:
  std::vector<double> cumulative_;
};

// The fixed block with the largest score(block k).
class GreedyFixed : public Selection {
 public:
  using Score = std::function<double(const SelectionContext&, const Partition&, Index)>;
  explicit GreedyFixed(Score score) : score_(std::move(score)) {}
  Selected select(SelectionContext& c) override {
    const Partition& p = need_partition(c);
    Index best = 0;
    double best_score = -1;
    for (Index k = 0; k < p.count(); ++k) {
      const double s = score_(c, p, k);
      if (s > best_score) best_score = s, best = k;
    }
    return {p.block(best), best};
  }

 private:
  Score score_;
};

double gs_fixed(const SelectionContext& c, const Partition& p, Index k) {
  double s = 0;
  for (Index i : p.block(k)) s += residual(c.problem, i) * residual(c.problem, i);
  return s;  // ||g_b||^2: the same argmax as ||g_b||
}
double gsl_fixed(const SelectionContext& c, const Partition& p, Index k) {
  return gs_fixed(c, p, k) / p.curvature(c.problem, k).lipschitz;
}
double gsd_fixed(const SelectionContext& c, const Partition& p, Index k) {
  double s = 0;
  for (Index i : p.block(k)) {
    const double r = residual(c.problem, i);
    s += r * r / c.problem.lipschitz()[i];
  }
  return s;
}
double gsq_fixed(const SelectionContext& c, const Partition& p, Index k) {
  const Block& b = p.block(k);
  Eigen::VectorXd g(static_cast<Index>(b.size()));
  for (std::size_t q = 0; q < b.size(); ++q) g[static_cast<Index>(q)] = c.problem.gradient()[b[q]];
  return g.dot(p.curvature(c.problem, k).bound_pseudo_inverse * g);
}
double gsq_nn_fixed(const SelectionContext& c, const Partition& p, Index k) {
  double s = 0;
  for (Index i : p.block(k)) s += proximal_progress(c.problem, i);
  return s;
}

// --- variable blocks ---

class RandomVariable : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Index n = c.problem.size(), tau = need_tau(c);
    if (static_cast<Index>(pool_.size()) != n) {
      pool_.resize(static_cast<std::size_t>(n));
      std::iota(pool_.begin(), pool_.end(), Index{0});
    }
    // A partial Fisher-Yates shuffle: the first tau entries become a uniform tau-subset, O(tau).
    for (Index k = 0; k < tau; ++k) {
      const Index j = k + static_cast<Index>(c.rng.below(static_cast<std::uint64_t>(n - k)));
      std::swap(pool_[static_cast<std::size_t>(k)], pool_[static_cast<std::size_t>(j)]);
    }
    return {Block(pool_.begin(), pool_.begin() + tau)};
  }

 private:
  std::vector<Index> pool_;
};

class CyclicVariable : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Index n = c.problem.size(), tau = need_tau(c);
    Block b;
    while (static_cast<Index>(b.size()) < tau) {
      if (position_ >= static_cast<Index>(permutation_.size())) reshuffle(c, n);
      const Index i = permutation_[static_cast<std::size_t>(position_++)];
      if (std::find(b.begin(), b.end(), i) == b.end()) b.push_back(i);
    }
    return {b};
  }

 private:
  void reshuffle(SelectionContext& c, Index n) {
    permutation_.resize(static_cast<std::size_t>(n));
    std::iota(permutation_.begin(), permutation_.end(), Index{0});
    for (Index k = n - 1; k > 0; --k)
      std::swap(
          permutation_[static_cast<std::size_t>(k)],
          permutation_[static_cast<std::size_t>(c.rng.below(static_cast<std::uint64_t>(k + 1)))]);
    position_ = 0;
  }
  std::vector<Index> permutation_;
  Index position_ = 0;
};

class LipschitzVariable : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    // Sampling without replacement with P ~ L_i (Efraimidis & Spirakis 2006): the tau largest
    // keys log(u_i) / L_i.
    const Index n = c.problem.size(), tau = need_tau(c);
    Eigen::VectorXd keys(n);
    for (Index i = 0; i < n; ++i) {
      const double u = 1.0 - c.rng.uniform();  // (0, 1]
      const double l = c.problem.lipschitz()[i];
      keys[i] = l > 0 ? std::log(u) / l : -std::numeric_limits<double>::infinity();
    }
    return {top_scores(keys, tau)};
  }
};

// An indexed binary max-heap of scores (ties: the smaller index first, as top_scores): O(n)
// build, O(log n) per changed score, the tau largest in O(tau log tau) by a best-first walk
// down the heap (no pops).
class ScoreHeap {
 public:
  void build(const Eigen::VectorXd& scores) {
    const Index n = scores.size();
    key_ = scores;
    heap_.resize(static_cast<std::size_t>(n));
    position_.resize(static_cast<std::size_t>(n));
    std::iota(heap_.begin(), heap_.end(), Index{0});
    for (Index p = n / 2 - 1; p >= 0; --p) sift_down(p);
    for (Index p = 0; p < n; ++p)
      position_[static_cast<std::size_t>(heap_[static_cast<std::size_t>(p)])] = p;
  }
  void update(Index i, double score) {
    const double old = key_[i];
    key_[i] = score;
    const Index p = position_[static_cast<std::size_t>(i)];
    if (score < old)
      sift_down(p);
    else
      sift_up(p);
  }
  Block top(Index tau) const {
    Block out;
    std::vector<Index> frontier = {0};  // heap positions, a max-heap by their entries
    const auto worse = [&](Index a, Index b) { return before(at(b), at(a)); };
    while (static_cast<Index>(out.size()) < tau && !frontier.empty()) {
      std::pop_heap(frontier.begin(), frontier.end(), worse);
      const Index p = frontier.back();
      frontier.pop_back();
      out.push_back(at(p));
      for (Index c : {2 * p + 1, 2 * p + 2})
        if (c < static_cast<Index>(heap_.size())) {
          frontier.push_back(c);
          std::push_heap(frontier.begin(), frontier.end(), worse);
        }
    }
    return out;
  }

 private:
  Index at(Index p) const { return heap_[static_cast<std::size_t>(p)]; }
  // Whether coordinate a comes before b (larger score, then smaller index).
  bool before(Index a, Index b) const { return key_[a] > key_[b] || (key_[a] == key_[b] && a < b); }
  void place(Index p, Index i) {
    heap_[static_cast<std::size_t>(p)] = i;
    if (!position_.empty()) position_[static_cast<std::size_t>(i)] = p;
  }
  void sift_up(Index p) {
    const Index i = at(p);
    while (p > 0) {
      const Index parent = (p - 1) / 2;
      if (!before(i, at(parent))) break;
      place(p, at(parent));
      p = parent;
    }
    place(p, i);
  }
  void sift_down(Index p) {
    const Index n = static_cast<Index>(heap_.size()), i = at(p);
    for (;;) {
      Index c = 2 * p + 1;
      if (c >= n) break;
      if (c + 1 < n && before(at(c + 1), at(c))) ++c;
      if (!before(at(c), i)) break;
      place(p, at(c));
      p = c;
    }
    place(p, i);
  }

  Eigen::VectorXd key_;
  std::vector<Index> heap_, position_;
};

// Top-tau of a separable score of (g_i, x_i). The scores are kept in a heap between iterations:
// when the problem reports the coordinates its last update changed (sparse data: the block and
// the columns sharing a row with it), only those are rescored, O(k log n); otherwise (dense data,
// a reset, a missed update) all n are rescored and the heap rebuilt, O(n).
class ScoreVariable : public Selection {
 public:
  using Score = std::function<double(const Problem&, Index)>;
  explicit ScoreVariable(Score score) : score_(std::move(score)) {}
  Selected select(SelectionContext& c) override {
    const Problem& p = c.problem;
    const Index n = p.size(), tau = need_tau(c);
    const std::vector<Index>* changed = p.last_changed();
    if (&p == problem_ && changed && p.state_version() == version_ + 1) {
      for (Index i : *changed) heap_.update(i, score_(p, i));
      ++incremental_;
    } else {
      scores_.resize(n);
      for (Index i = 0; i < n; ++i) scores_[i] = score_(p, i);
      heap_.build(scores_);
      problem_ = &p;
    }
    version_ = p.state_version();
    return {heap_.top(tau)};
  }
  /// Selections that rescored only the changed coordinates (for tests and reports).
  std::int64_t incremental_selections() const { return incremental_; }

 private:
  Score score_;
  Eigen::VectorXd scores_;
  ScoreHeap heap_;
  const Problem* problem_ = nullptr;
  std::uint64_t version_ = 0;
  std::int64_t incremental_ = 0;
};

// g_S^T H_S^-1 g_S: the GS-q value of a coordinate set S (Cholesky; the pseudo-inverse when H_S
// is singular).
double gsq_value(const Problem& p, const Block& s) {
  const Eigen::MatrixXd h = p.hessian_bound_block(s);
  Eigen::VectorXd g(static_cast<Index>(s.size()));
  for (std::size_t q = 0; q < s.size(); ++q) g[static_cast<Index>(q)] = p.gradient()[s[q]];
  Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() == Eigen::Success) {
    const Eigen::VectorXd diagonal = llt.matrixLLT().diagonal();
    if (diagonal.minCoeff() > 1e-7 * diagonal.maxCoeff()) return g.dot(llt.solve(g));
  }
  Eigen::MatrixXd inverse;
  double largest = 0;
  symmetric_pseudo_inverse(h, inverse, largest);
  return g.dot(inverse * g);
}

// GS-q over all tau-subsets is max_S g_S^T H_S^-1 g_S = -2 min_{||d||_0 <= tau} q(d), with
// q(d) = g^T d + d^T H d / 2. Iterative hard thresholding approximates the minimiser (B2 of the
// notes: at most 10 iterations). The step is scaled by the Gershgorin diagonal D >= H (d_i =
// sum_j |H_ij|) instead of the paper code's 1 / lambda_max(H): q(d) <= q(d_k) + (g + H d_k)^T
// (d - d_k) + (d - d_k)^T D (d - d_k) / 2, whose tau-sparse minimiser keeps the tau largest
// D_i v_i^2 of v = d_k - D^-1 (g + H d_k); so each iteration decreases q (majorise-minimise),
// which the unscaled step on this badly scaled A hardly does. Started from the GSD-VB choice (as
// the paper's code, d ~ g / sqrt(L)); of the GSL, GSD and IHT supports the one with the largest
// GS-q value is returned.
class GsqVariable : public Selection {
 public:
  Selected select(SelectionContext& c) override {
    const Problem& p = c.problem;
    const Index n = p.size(), tau = need_tau(c);
    const Eigen::VectorXd& g = p.gradient();
    const Eigen::VectorXd& diagonal = p.hessian_bound_abs_row_sums();
    Eigen::VectorXd scores(n);
    for (Index i = 0; i < n; ++i) scores[i] = g[i] * g[i] / diagonal[i];
    const Block gsl = top_scores(scores, tau);
    if (tau == n) return {gsl};
    for (Index i = 0; i < n; ++i) scores[i] = g[i] * g[i] / p.lipschitz()[i];
    const Block gsd = top_scores(scores, tau);
    d_.setZero(n);
    for (Index i : gsd) d_[i] = -g[i] / diagonal[i];
    Block support = gsd;
    for (int k = 0; k < kIterations; ++k) {
      p.hessian_bound_apply(d_, hd_);
      v_ = d_ - (g + hd_).cwiseQuotient(diagonal);
      for (Index i = 0; i < n; ++i) scores[i] = diagonal[i] * v_[i] * v_[i];
      Block next = top_scores(scores, tau);
      d_.setZero();
      for (Index i : next) d_[i] = v_[i];
      std::sort(next.begin(), next.end());
      const bool settled = next == support;
      support = std::move(next);
      if (settled && k > 0) break;  // the same support twice: only the support is used
    }
    Block best = gsl;
    double best_value = gsq_value(p, gsl);
    for (const Block* candidate : {&gsd, static_cast<const Block*>(&support)}) {
      const double value = gsq_value(p, *candidate);
      if (value > best_value) best_value = value, best = *candidate;
    }
    return {best};
  }

 private:
  static constexpr int kIterations = 10;
  Eigen::VectorXd d_, hd_, v_;
};

}  // namespace selection_detail

const std::vector<SelectionRule>& selection_rules() {
  using namespace selection_detail;
  using F = Blocks;
  static const std::vector<SelectionRule> rules = {
      {"cyclic", F::fixed, "the blocks in turn", [] { return std::make_unique<CyclicFixed>(); }},
      {"random", F::fixed, "a uniform block", [] { return std::make_unique<RandomFixed>(); }},
      {"lipschitz", F::fixed, "a block with probability ~ L_b",
       [] { return std::make_unique<LipschitzFixed>(); }},
      {"gs", F::fixed, "max ||g_b||", [] { return std::make_unique<GreedyFixed>(gs_fixed); }},
      {"gsl", F::fixed, "max ||g_b||^2 / L_b",
       [] { return std::make_unique<GreedyFixed>(gsl_fixed); }},
      {"gsd", F::fixed, "max sum g_i^2 / L_i",
       [] { return std::make_unique<GreedyFixed>(gsd_fixed); }},
      {"gsq", F::fixed, "max g_b^T H_b^-1 g_b (cached inverses)",
       [] { return std::make_unique<GreedyFixed>(gsq_fixed); }},
      {"gsq-nn", F::fixed, "max progress of the projected/proximal step",
       [] { return std::make_unique<GreedyFixed>(gsq_nn_fixed); }},
      {"random", F::variable, "a uniform tau-subset",
       [] { return std::make_unique<RandomVariable>(); }},
      {"cyclic", F::variable, "a fresh random permutation each epoch, tau at a time",
       [] { return std::make_unique<CyclicVariable>(); }},
      {"lipschitz", F::variable, "tau coordinates without replacement, P ~ L_i",
       [] { return std::make_unique<LipschitzVariable>(); }},
      {"gs", F::variable, "top tau |g_i|",
       [] { return std::make_unique<ScoreVariable>(residual); }},
      {"gsd", F::variable, "top tau |g_i| / sqrt(L_i)",
       [] {
         return std::make_unique<ScoreVariable>([](const Problem& p, Index i) {
           return residual(p, i) / std::sqrt(p.lipschitz()[i]);
         });
       }},
      {"gsl", F::variable, "top tau |g_i| / sqrt(d_i), d_i = sum_j |H_ij| (Gershgorin)",
       [] {
         return std::make_unique<ScoreVariable>([](const Problem& p, Index i) {
           return residual(p, i) / std::sqrt(p.hessian_bound_abs_row_sums()[i]);
         });
       }},
      {"gsq", F::variable, "GS-q over tau-subsets by <= 10 IHT iterations",
       [] { return std::make_unique<GsqVariable>(); }},
      {"gsq-nn", F::variable, "top tau progress of the projected/proximal coordinate step",
       [] { return std::make_unique<ScoreVariable>(proximal_progress); }},
  };
  return rules;
}

std::unique_ptr<Selection> make_selection(const std::string& name, Blocks blocks) {
  std::string valid;
  for (const SelectionRule& rule : selection_rules()) {
    if (rule.blocks != blocks) continue;
    if (rule.name == name) return rule.make();
    valid += (valid.empty() ? "" : ", ") + rule.name;
  }
  throw std::invalid_argument("unknown " +
                              std::string(blocks == Blocks::fixed ? "fixed" : "variable") +
                              "-block selection rule '" + name + "' (valid: " + valid + ")");
}

std::string selection_label(const std::string& name, Blocks blocks) {
  std::string upper = name;
  if (name.rfind("gs", 0) == 0)
    for (char& ch : upper)
      if (ch != '-') ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return upper + (blocks == Blocks::fixed ? "-FB" : "-VB");
}

}  // namespace deepsolve::bcd
