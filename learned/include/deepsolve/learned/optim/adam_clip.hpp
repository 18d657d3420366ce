// Adam with coordinate-wise clipping of the first moment (Pan & Li 2023, arXiv 2306.00204):
//   g = grad + weight_decay x;  m <- b1 m + (1 - b1) clip_c(g);  v <- b2 v + (1 - b2) g^2
//   (the second moment sees the UNclipped g);  u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps);
//   optionally (clip_update) u <- clip_c(u), the threshold taken over all updates;  x <- x - lr u.
// clip_c uses the global top-fraction threshold of coordinate_clip.hpp. The paper's Adam runs use
// c = 0.5. (Their own AdamClip clips only in its foreach code path; this one always clips.)
#pragma once

#include <tuple>
#include <utility>
#include <vector>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

struct AdamClipOptions : public torch::optim::OptimizerCloneableOptions<AdamClipOptions> {
  AdamClipOptions(double lr = 1e-3);  // NOLINT(google-explicit-constructor)
  TORCH_ARG(double, lr) = 1e-3;
  typedef std::tuple<double, double> betas_t;
  TORCH_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  TORCH_ARG(double, eps) = 1e-8;
  TORCH_ARG(double, weight_decay) = 0.0;
  /// The clipped fraction c, in [0, 1].
  TORCH_ARG(double, coordinate_clip) = 0.5;
  TORCH_ARG(double, threshold_scale) = 1.0;
  /// Also clip the final step u.
  TORCH_ARG(bool, clip_update) = false;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(AdamClipOptions);
};

struct AdamClipParamState : public torch::optim::OptimizerCloneableParamState<AdamClipParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(at::Tensor, exp_avg);
  TORCH_ARG(at::Tensor, exp_avg_sq);

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class AdamClip : public PatternOptimizer<AdamClipOptions, AdamClipParamState> {
 public:
  explicit AdamClip(std::vector<torch::optim::OptimizerParamGroup> groups,
                    AdamClipOptions defaults = {});
  explicit AdamClip(std::vector<at::Tensor> params, AdamClipOptions defaults = {})
      : AdamClip({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

  at::Tensor step(LossClosure closure = nullptr) override;

 private:
};

void validate(const AdamClipOptions& options);

}  // namespace deepsolve::learned
