// SGD with momentum and coordinate-wise clipping (Pan & Li 2023, arXiv 2306.00204, the
// "clipped SGD" of their Adam-vs-SGD comparison):
//   d = g + weight_decay x;  d <- clip_c(d) (global top-fraction threshold, coordinate_clip.hpp);
//   m <- beta m + (1 - beta) d  (m starts at 0);  x <- x - lr m.
// With momentum 0 the step is x <- x - lr clip_c(d). The paper's SGD runs use c = 0.1.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>

#include <utility>
#include <vector>

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

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
  friend bool operator==(const SGDClipOptions& a, const SGDClipOptions& b);
};

struct SGDClipParamState : public torch::optim::OptimizerCloneableParamState<SGDClipParamState> {
  TORCH_ARG(at::Tensor, momentum_buffer);

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class SGDClip : public torch::optim::Optimizer {
 public:
  explicit SGDClip(std::vector<torch::optim::OptimizerParamGroup> groups,
                   SGDClipOptions defaults = {});
  explicit SGDClip(std::vector<at::Tensor> params, SGDClipOptions defaults = {})
      : SGDClip({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

  at::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  /// The threshold T of the last step for the first group (for logs and tests).
  double last_threshold() const { return last_threshold_; }

 private:
  double last_threshold_ = 0.0;
  template <typename Self, typename Archive>
  static void serialize(Self& self, Archive& archive) {
    _TORCH_OPTIM_SERIALIZE_WITH_TEMPLATE_ARG(SGDClip);
  }
};

/// Throws std::invalid_argument naming the first bad option.
void validate(const SGDClipOptions& options);

}  // namespace deepsolve::learned
