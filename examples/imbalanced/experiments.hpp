// The two comparisons: part 1 trains one model per loss on a problem, part 2 one model per
// optimizer; every model starts from the same initial weights.
#pragma once

#include <string>
#include <vector>

#include "deepsolve/learned/optim/registry.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "problems.hpp"
#include "training.hpp"

namespace imbalanced {

struct LossRun {
  std::string loss;
  Metrics metrics;  ///< on the test set, after training
  Curve curve;      ///< of this loss
};

struct OptimizerRun {
  std::string optimizer;
  deepsolve::learned::OptimizerSettings settings;  ///< as given to make_optimizer
  Metrics metrics;
  Curve curve;  ///< cross-entropy
};

/// Part 1: one training per --losses name with --optimizer, --lr, --epochs, --batch.
std::vector<LossRun> compare_losses(const Problem& p, const Options& o);

/// Part 2: one training per --optimizers name with cross-entropy, --curve-epochs, --batch.
std::vector<OptimizerRun> compare_optimizers(const Problem& p, const Options& o);

/// The settings part 2 gives `name`: --sgd-lr or --adam-lr, --momentum (and dampening for sgd),
/// --clip, where the optimizer takes them.
deepsolve::learned::OptimizerSettings curve_settings(const std::string& name, const Options& o);

/// The loss the part 2 curves are of.
inline const char* curve_loss() {
  return "cross-entropy";
}

}  // namespace imbalanced
