// Sample-set distances (sample_metrics.hpp): sliced Wasserstein with exact 1-D transport, the
// unbiased RBF MMD^2 and the energy distance, pairwise terms summed block by block.
#include "deepsolve/diffusion/sample_metrics.hpp"

#include "deepsolve/diffusion/network.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "deepsolve/learned/random.hpp"
#include "seeded_draws.hpp"

namespace deepsolve::diffusion {

namespace metrics_detail {

constexpr std::int64_t kBlock = 1024;

/// Checks one set and flattens it to a float64 [n, d] CPU matrix.
at::Tensor flat_set(const at::Tensor& t, const char* what, const char* which,
                    std::int64_t min_count) {
  if (!t.defined())
    throw std::invalid_argument(std::string(what) + ": set " + which + " is undefined");
  if (t.dim() < 2)
    throw std::invalid_argument(std::string(what) + ": set " + which +
                                " must have shape [n, d] (or [n, ...]), got " +
                                shape_text(t.sizes().vec()));
  if (!at::isFloatingType(t.scalar_type()))
    throw std::invalid_argument(std::string(what) + ": set " + which +
                                " must be a floating tensor, got " +
                                c10::toString(t.scalar_type()));
  if (t.size(0) < min_count || t.numel() == 0)
    throw std::invalid_argument(std::string(what) + ": set " + which + " needs at least " +
                                std::to_string(min_count) + " non-empty samples, got shape " +
                                shape_text(t.sizes().vec()));
  return t.to(at::kCPU, at::kDouble).reshape({t.size(0), -1}).contiguous();
}

/// Both sets, checked to have the same per-sample shape.
std::pair<at::Tensor, at::Tensor> flat_pair(const at::Tensor& a, const at::Tensor& b,
                                            const char* what, std::int64_t min_count) {
  at::Tensor fa = flat_set(a, what, "a", min_count);
  at::Tensor fb = flat_set(b, what, "b", min_count);
  if (a.sizes().slice(1) != b.sizes().slice(1))
    throw std::invalid_argument(std::string(what) +
                                ": the sets' samples differ in shape (dimension): a " +
                                shape_text(a.sizes().vec()) + ", b " + shape_text(b.sizes().vec()));
  return {fa, fb};
}

/// sum over pairs (i, j) of kernel(|x_i - y_j|^2), in blocks; with `same` (x is y), the pairs
/// i == j are left out. `kernel` maps a block of squared distances to kernel values in place:
/// one buffer serves every block (allocating a fresh block each time costs more than the
/// arithmetic, through page faults).
template <class Kernel>
double pair_sum(const at::Tensor& x, const at::Tensor& y, bool same, Kernel kernel) {
  const at::Tensor xn = (x * x).sum(1);
  const at::Tensor yn = (y * y).sum(1);
  const at::Tensor buffer =
      at::empty({std::min(kBlock, x.size(0)) * std::min(kBlock, y.size(0))}, at::kDouble);
  double total = 0.0;
  for (std::int64_t i0 = 0; i0 < x.size(0); i0 += kBlock) {
    const std::int64_t bi = std::min(kBlock, x.size(0) - i0);
    const at::Tensor xi = x.narrow(0, i0, bi);
    for (std::int64_t j0 = 0; j0 < y.size(0); j0 += kBlock) {
      const std::int64_t bj = std::min(kBlock, y.size(0) - j0);
      at::Tensor block = buffer.narrow(0, 0, bi * bj).view({bi, bj});
      // |x|^2 + |y|^2 - 2 x.y, clamped at 0 against rounding.
      at::addmm_out(block, xn.narrow(0, i0, bi).unsqueeze(1).expand({bi, bj}), xi,
                    y.narrow(0, j0, bj).t(), 1.0, -2.0);
      block.add_(yn.narrow(0, j0, bj).unsqueeze(0)).clamp_min_(0.0);
      kernel(block);
      if (same && i0 == j0) block.fill_diagonal_(0.0);
      total += block.sum().item<double>();
    }
  }
  return total;
}

/// Exact W_p^p between the empirical measures of sorted x (n) and sorted y (m): the integral of
/// |F_x^-1 - F_y^-1|^p over the merged quantile breakpoints i/n and j/m.
double sorted_wasserstein_pp(const double* x, std::int64_t n, const double* y, std::int64_t m,
                             double p) {
  double total = 0.0, t = 0.0;
  std::int64_t i = 0, j = 0;
  while (i < n && j < m) {
    // Compare (i + 1)/n and (j + 1)/m exactly in integers.
    const std::int64_t lhs = (i + 1) * m, rhs = (j + 1) * n;
    const double next = lhs <= rhs ? static_cast<double>(i + 1) / static_cast<double>(n)
                                   : static_cast<double>(j + 1) / static_cast<double>(m);
    const double gap = std::abs(x[i] - y[j]);
    total += (next - t) * (p == 2.0 ? gap * gap : std::pow(gap, p));
    t = next;
    if (lhs <= rhs) ++i;
    if (rhs <= lhs) ++j;
  }
  return total;
}

}  // namespace metrics_detail

double sliced_wasserstein(const at::Tensor& a, const at::Tensor& b, std::int64_t projections,
                          std::uint64_t seed, double p) {
  using namespace metrics_detail;
  const char* what = "sliced_wasserstein";
  if (projections < 1)
    throw std::invalid_argument("sliced_wasserstein: projections must be >= 1, got " +
                                std::to_string(projections));
  if (!(p >= 1.0) || !std::isfinite(p))
    throw std::invalid_argument("sliced_wasserstein: p must be finite and >= 1, got " +
                                number_text(p));
  const auto [x, y] = flat_pair(a, b, what, 1);
  const std::int64_t d = x.size(1);
  // Directions: normalised Gaussian vectors, one column each.
  at::Tensor directions = at::empty({d, projections}, at::kDouble);
  double* pd = directions.data_ptr<double>();
  const std::uint64_t key = data_detail::set_key(seed, "sliced-wasserstein");
  for (std::int64_t k = 0; k < d * projections; ++k)
    pd[k] = learned::hashed_normal(key, static_cast<std::uint64_t>(k));
  directions = directions / directions.norm(2, {0}, /*keepdim=*/true);
  // Projections [L, n] and [L, m], sorted along the (contiguous) sample dimension.
  const at::Tensor px = std::get<0>(at::mm(directions.t(), x.t()).sort(1)).contiguous();
  const at::Tensor py = std::get<0>(at::mm(directions.t(), y.t()).sort(1)).contiguous();
  const std::int64_t n = px.size(1), m = py.size(1);
  double total = 0.0;
  for (std::int64_t l = 0; l < projections; ++l)
    total += sorted_wasserstein_pp(px.data_ptr<double>() + l * n, n, py.data_ptr<double>() + l * m,
                                   m, p);
  return std::pow(total / static_cast<double>(projections), 1.0 / p);
}

double mmd_rbf(const at::Tensor& a, const at::Tensor& b, double bandwidth) {
  using namespace metrics_detail;
  if (!(bandwidth >= 0.0) || !std::isfinite(bandwidth))
    throw std::invalid_argument(
        "mmd_rbf: bandwidth must be finite and > 0 (or 0: the median "
        "heuristic), got " +
        number_text(bandwidth));
  const auto [x, y] = flat_pair(a, b, "mmd_rbf", 2);
  double h = bandwidth;
  if (h == 0.0) {
    const at::Tensor pooled = at::cat({x, y}, 0);
    const std::int64_t total = pooled.size(0);
    const std::int64_t count = std::min<std::int64_t>(total, 1000);
    const at::Tensor index =
        at::floor(at::arange(count, at::kDouble) * (static_cast<double>(total) / count))
            .to(at::kLong);
    const at::Tensor subset = pooled.index_select(0, index);
    const at::Tensor distances = at::cdist(subset, subset);
    const at::Tensor upper =
        distances.masked_select(at::ones_like(distances).triu(1).to(at::kBool));
    h = upper.median().item<double>();
    if (!(h > 0.0))
      throw std::invalid_argument(
          "mmd_rbf: the median heuristic found a median pairwise distance of 0 (most samples "
          "coincide); give a bandwidth > 0");
  }
  const double scale = -1.0 / (2.0 * h * h);
  auto kernel = [scale](at::Tensor& sq) { sq.mul_(scale).exp_(); };
  const double n = static_cast<double>(x.size(0)), m = static_cast<double>(y.size(0));
  return pair_sum(x, x, true, kernel) / (n * (n - 1.0)) +
         pair_sum(y, y, true, kernel) / (m * (m - 1.0)) -
         2.0 * pair_sum(x, y, false, kernel) / (n * m);
}

double energy_distance(const at::Tensor& a, const at::Tensor& b) {
  using namespace metrics_detail;
  const auto [x, y] = flat_pair(a, b, "energy_distance", 1);
  auto distance = [](at::Tensor& sq) { sq.sqrt_(); };
  const double n = static_cast<double>(x.size(0)), m = static_cast<double>(y.size(0));
  const double result = 2.0 * pair_sum(x, y, false, distance) / (n * m) -
                        pair_sum(x, x, true, distance) / (n * n) -
                        pair_sum(y, y, true, distance) / (m * m);
  return std::max(result, 0.0);
}

}  // namespace deepsolve::diffusion
