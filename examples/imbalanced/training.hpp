// The training loop both parts share: seeded mini-batches, one optimizer step per batch, and the
// loss on the training and test sets after every epoch.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

#include "deepsolve/learned/losses/registry.hpp"
#include "model.hpp"
#include "problems.hpp"

namespace torch::optim {
class Optimizer;
}

namespace imbalanced {

struct Curve {
  /// Index 0: before training; e: after epoch e. Each value is evaluated_loss() of the set.
  std::vector<double> train_loss;
  std::vector<double> test_loss;
  /// A batch loss became NaN or infinite: training stopped before that step, and the curves end
  /// at the last finished epoch.
  bool diverged = false;
  std::int64_t steps = 0;
  double seconds = 0;
};

struct TrainSpec {
  std::int64_t epochs = 30;
  std::int64_t batch = 128;
  std::uint64_t seed = 1;  ///< the order of epoch e is seeded_permutation(N, seed, e)
};

/// The loss of a whole set in eval mode, without gradients: the set is cut into consecutive
/// batches of `batch` samples in its stored order, and the batch losses are averaged weighted by
/// their sizes. For per-sample losses (cross-entropy, GCE) this is the mean over the set; for the
/// batch-level ones (AnyLoss, Mann-Whitney) it is the quantity the training steps see, and it
/// stays affordable (the registry's multi-class mw is quadratic in the batch size).
double evaluated_loss(Mlp& net, const deepsolve::learned::ClassificationLoss& loss,
                      const Dataset& data, std::int64_t batch);

/// Trains `net` with `optimizer` on p.train and records the curves. The batches are those of
/// learned::fit (seeded_permutation per epoch), but the loop is its own: AnyLoss and Mann-Whitney
/// are losses of a whole batch, not the sums of per-sample losses that fit() splits between ranks.
/// The optimizer steps through a closure, so every registry optimizer works, SAM included.
Curve train(Mlp& net, torch::optim::Optimizer& optimizer,
            const deepsolve::learned::ClassificationLoss& loss, const Problem& p,
            const TrainSpec& spec);

/// The model's logits on a whole set (eval mode, no gradients).
at::Tensor predict(Mlp& net, const Dataset& data);

}  // namespace imbalanced
