// Block selection rules (Nutini, Laradji & Schmidt, JMLR 2022, Sections 2-4). Fixed blocks (FB)
// pick one block of a Partition; variable blocks (VB) pick any tau coordinates, by the top-tau
// scores of a separable rule. The rules, with g the gradient (the KKT residual of x >= 0 or L1
// problems for the score rules):
//   FB: cyclic, random, lipschitz (P(b) ~ L_b), gs (max ||g_b||), gsl (max ||g_b||^2 / L_b),
//       gsd (max sum g_i^2 / L_i), gsq (max g_b^T H_b^-1 g_b with cached inverses), gsq-nn
//       (max summed progress of the proximal/projected coordinate step).
//   VB: random (a uniform tau-subset), cyclic (a fresh random permutation each epoch), lipschitz
//       (sampling without replacement, P ~ L_i), gs (|g_i|), gsd (|g_i| / sqrt(L_i)), gsl
//       (|g_i| / sqrt(d_i) with the Gershgorin bound d_i = sum_j |H_ij|, plotted "GSL" for VB in
//       the paper), gsq (GS-q over tau-subsets approximated by <= 10 iterations of iterative hard
//       thresholding on g^T d + d^T H d / 2, B2 of the notes, scaled by the Gershgorin diagonal),
//       gsq-nn (per-coordinate progress of
//       the projected/proximal step).
// Cost per iteration: the VB score rules are O(n) (nth_element over the scores); the gradient is
// read from the problem, which keeps it current (problem.hpp). VB gsq costs 10 products with H,
// O(nnz(A)) each. FB gs/gsl/gsd/gsq-nn are O(n); FB gsq is O(n tau).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/partition.hpp"
#include "deepsolve/solvers/random.hpp"

namespace deepsolve::bcd {

enum class Blocks { fixed, variable };

struct SelectionContext {
  const Problem& problem;
  const Partition* partition;  // fixed blocks: the partition; variable blocks: null
  Index tau;                   // variable blocks: the block size
  solvers::SplitMix64& rng;
  std::int64_t iteration;  // 0 for the first selection
};

struct Selected {
  Block block;
  Index partition_block = -1;  // fixed blocks: the index of the block in the partition
};

class Selection {
 public:
  virtual ~Selection() = default;
  virtual Selected select(SelectionContext& context) = 0;
};

struct SelectionRule {
  std::string name;  // e.g. "gsq"
  Blocks blocks;
  std::string description;
  std::function<std::unique_ptr<Selection>()> make;
};

/// The registry of selection rules (the only place that maps a name to a rule).
const std::vector<SelectionRule>& selection_rules();
/// The named rule of the given kind; std::invalid_argument naming the valid ones otherwise.
std::unique_ptr<Selection> make_selection(const std::string& name, Blocks blocks);
/// "GSQ-VB", "cyclic-FB": the paper's label of a rule.
std::string selection_label(const std::string& name, Blocks blocks);

/// The tau largest of `scores` (ties by index), in decreasing order of score.
Block top_scores(const Eigen::VectorXd& scores, Index tau);
/// The progress -(g_i d + L_i d^2 / 2 + r(x_i + d) - r(x_i)) of the proximal coordinate step
/// d = prox(x_i - g_i / L_i) - x_i, >= 0: the separable GS-q of bound and L1 problems.
double proximal_progress(const Problem& problem, Index i);

}  // namespace deepsolve::bcd
