// SGD with momentum and coordinate-wise clipping (Pan & Li 2023, arXiv 2306.00204, the
// "clipped SGD" of their Adam-vs-SGD comparison):
//   d = g + weight_decay x;  d <- clip_c(d) (global top-fraction threshold, coordinate_clip.hpp);
//   m <- beta m + (1 - beta) d  (m starts at 0);  x <- x - lr m.
// With momentum 0 the step is x <- x - lr clip_c(d). The paper's SGD runs use c = 0.1.
#pragma once

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

struct SGDClipOptions : public torch::optim::OptimizerCloneableOptions<SGDClipOptions> {
  SGDClipOptions(double lr = 1e-2);  // NOLINT(google-explicit-constructor): LibTorch's pattern
  TORCH_ARG(double, lr) = 1e-2;
  /// beta of the momentum average m <- beta m + (1 - beta) clip(g); in [0, 1).
  TORCH_ARG(double, momentum) = 0.9;
  TORCH_ARG(double, weight_decay) = 0.0;
  /// The clipped fraction c of all coordinates, in [0, 1].
  TORCH_ARG(double, coordinate_clip) = 0.1;
  /// s: coordinates are clipped to s T.
  TORCH_ARG(double, threshold_scale) = 1.0;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(SGDClipOptions);
};

struct SGDClipParamState : public torch::optim::OptimizerCloneableParamState<SGDClipParamState> {
  TORCH_ARG(at::Tensor, momentum_buffer);

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class SGDClip : public PatternOptimizer<SGDClipOptions, SGDClipParamState> {
 public:
  explicit SGDClip(std::vector<torch::optim::OptimizerParamGroup> groups,
                   SGDClipOptions defaults = {});
  explicit SGDClip(std::vector<at::Tensor> params, SGDClipOptions defaults = {})
      : SGDClip({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

  at::Tensor step(LossClosure closure = nullptr) override;

  /// The threshold T of the last step for the first group (for logs and tests).
  double last_threshold() const { return last_threshold_; }

 private:
  double last_threshold_ = 0.0;
};

/// Throws std::invalid_argument naming the first bad option.
void validate(const SGDClipOptions& options);

}  // namespace deepsolve::learned
