#include "deepsolve/diffusion/generalization.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "deepsolve/diffusion/network.hpp"

namespace deepsolve::diffusion {
namespace generalization_detail {

// [N, n] rows with their mean removed and unit norm (zero rows stay zero).
at::Tensor normalised_rows(const at::Tensor& x, const char* what) {
  if (!x.defined() || x.dim() < 1 || x.size(0) == 0 || x.numel() == 0)
    throw std::invalid_argument(std::string(what) + ": need a non-empty set [N, ...], got " +
                                (x.defined() ? shape_text(x.sizes().vec()) : std::string("none")));
  at::Tensor r = x.detach().to(at::kCPU, at::kDouble).reshape({x.size(0), -1});
  r = r - r.mean(1, /*keepdim=*/true);
  const at::Tensor norm = r.norm(2, 1, /*keepdim=*/true);
  return at::where(norm > 0.0, r / norm.clamp_min(1e-300), at::zeros_like(r));
}

void check_same_size(const at::Tensor& a, const at::Tensor& b, const char* what) {
  if (a.size(1) != b.size(1))
    throw std::invalid_argument(std::string(what) + ": samples of " + std::to_string(a.size(1)) +
                                " and " + std::to_string(b.size(1)) + " values cannot be compared");
}

}  // namespace generalization_detail

at::Tensor sample_cosine(const at::Tensor& a, const at::Tensor& b) {
  if (a.defined() && b.defined() && !a.sizes().equals(b.sizes()))
    throw std::invalid_argument("sample_cosine: the sets have shapes " +
                                shape_text(a.sizes().vec()) + " and " +
                                shape_text(b.sizes().vec()) + "; they must be equal");
  const at::Tensor ra = generalization_detail::normalised_rows(a, "sample_cosine");
  const at::Tensor rb = generalization_detail::normalised_rows(b, "sample_cosine");
  return (ra * rb).sum(1);
}

at::Tensor cosine_matrix(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ra = generalization_detail::normalised_rows(a, "cosine_matrix");
  const at::Tensor rb = generalization_detail::normalised_rows(b, "cosine_matrix");
  generalization_detail::check_same_size(ra, rb, "cosine_matrix");
  return at::matmul(ra, rb.t());
}

NearestCosine nearest_cosine(const at::Tensor& samples, const at::Tensor& training_set) {
  const at::Tensor rs = generalization_detail::normalised_rows(samples, "nearest_cosine samples");
  const at::Tensor rt =
      generalization_detail::normalised_rows(training_set, "nearest_cosine training set");
  generalization_detail::check_same_size(rs, rt, "nearest_cosine");
  constexpr std::int64_t kBlock = 4096;
  NearestCosine best;
  for (std::int64_t i = 0; i < rt.size(0); i += kBlock) {
    const std::int64_t end = std::min(rt.size(0), i + kBlock);
    const at::Tensor block = at::matmul(rs, rt.slice(0, i, end).t());
    const auto [value, index] = block.max(1);
    if (!best.cosine.defined()) {
      best.cosine = value;
      best.index = index + i;
    } else {
      const at::Tensor better = value > best.cosine;
      best.cosine = at::where(better, value, best.cosine);
      best.index = at::where(better, index + i, best.index);
    }
  }
  return best;
}

}  // namespace deepsolve::diffusion
