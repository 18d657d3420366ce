// Differentiable odd-even sorting network (Petersen et al., ICML 2021 and ICLR 2022); see
// diff_sort.hpp.
#include "deepsolve/learned/losses/diff_sort.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "checks.hpp"

namespace deepsolve::learned {

std::string relaxation_name(SortRelaxation relaxation) {
  switch (relaxation) {
    case SortRelaxation::logistic:
      return "logistic";
    case SortRelaxation::logistic_phi:
      return "logistic_phi";
    case SortRelaxation::cauchy:
      return "cauchy";
  }
  return "?";
}

SortRelaxation relaxation_from_name(const std::string& name) {
  for (SortRelaxation r :
       {SortRelaxation::logistic, SortRelaxation::logistic_phi, SortRelaxation::cauchy}) {
    std::string dashed = relaxation_name(r);
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    if (name == relaxation_name(r) || name == dashed) return r;
  }
  detail::fail("unknown sort relaxation '" + name + "' (valid: logistic, logistic_phi, cauchy)");
}

SoftSortResult odd_even_soft_sort(const at::Tensor& x, double steepness, SortRelaxation relaxation,
                                  double art_lambda) {
  constexpr const char* kName = "odd_even_soft_sort";
  detail::require_positive(kName, "steepness", steepness);
  detail::require_nonnegative(kName, "art_lambda", art_lambda);
  detail::require_floating(kName, "x", x);
  detail::require(x.dim() == 1 || x.dim() == 2,
                  std::string(kName) + ": x must be [n] or [B, n], got " + detail::describe(x));
  const bool single = x.dim() == 1;
  at::Tensor v = single ? x.unsqueeze(0) : x;
  const std::int64_t batch = v.size(0);
  const std::int64_t n = v.size(1);
  at::Tensor p = torch::eye(n, v.options()).repeat({batch, 1, 1});
  const auto long_options = v.options().dtype(at::kLong);
  for (std::int64_t layer = 0; layer < n; ++layer) {
    const std::int64_t first = layer % 2;
    if (first + 1 >= n) continue;
    const at::Tensor lo = torch::arange(first, n - 1, 2, long_options);
    const at::Tensor hi = lo + 1;
    const at::Tensor a = v.index_select(1, lo);
    const at::Tensor b = v.index_select(1, hi);
    const at::Tensor diff = b - a;
    at::Tensor alpha;
    switch (relaxation) {
      case SortRelaxation::logistic:
        alpha = torch::sigmoid(steepness * diff);
        break;
      case SortRelaxation::logistic_phi:
        alpha = torch::sigmoid(steepness * diff / (diff.abs() + 1e-10).pow(art_lambda));
        break;
      case SortRelaxation::cauchy:
        alpha = torch::atan(steepness * diff) / M_PI + 0.5;
        break;
    }
    const at::Tensor beta = 1 - alpha;
    v = v.index_copy(1, lo, alpha * a + beta * b).index_copy(1, hi, beta * a + alpha * b);
    const at::Tensor pa = p.index_select(2, lo);
    const at::Tensor pb = p.index_select(2, hi);
    const at::Tensor al = alpha.unsqueeze(1);
    const at::Tensor be = beta.unsqueeze(1);
    p = p.index_copy(2, lo, al * pa + be * pb).index_copy(2, hi, be * pa + al * pb);
  }
  if (single) return {v.squeeze(0), p.squeeze(0)};
  return {v, p};
}

}  // namespace deepsolve::learned
