#include "deepsolve/learned/optim/coordinate_clip.hpp"

#include <torch/torch.h>

#include <cmath>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

double coordinate_clip_threshold(const std::vector<at::Tensor>& tensors, double fraction) {
  require_unit_interval("coordinate_clip_threshold", "clip fraction", fraction);
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors)
    if (t.defined() && t.numel() > 0) flat.push_back(t.detach().reshape({-1}).abs());
  if (flat.empty()) return 0.0;
  const at::Tensor all = torch::cat(flat);
  const std::int64_t n = all.numel();
  const auto k = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * fraction));
  if (k >= n) return 0.0;
  // The k-th largest (0-based) is the (n - k)-th smallest (1-based).
  return std::get<0>(torch::kthvalue(all, n - k)).item<double>();
}

double clip_coordinates_(std::vector<at::Tensor>& tensors, double fraction,
                         double threshold_scale) {
  require_nonnegative("clip_coordinates_", "threshold_scale", threshold_scale);
  const double threshold = coordinate_clip_threshold(tensors, fraction);
  if (fraction == 0.0) return threshold;
  const double bound = threshold * threshold_scale;
  torch::NoGradGuard no_grad;
  for (auto& t : tensors)
    if (t.defined()) t.clamp_(-bound, bound);
  return threshold;
}

at::Tensor clip_coordinates(const at::Tensor& tensor, double fraction, double threshold_scale) {
  std::vector<at::Tensor> one{tensor.detach().clone()};
  clip_coordinates_(one, fraction, threshold_scale);
  return one.front();
}

}  // namespace deepsolve::learned
