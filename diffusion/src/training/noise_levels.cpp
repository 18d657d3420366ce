#include "deepsolve/diffusion/noise_levels.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "deepsolve/diffusion/noise_schedule.hpp"

namespace deepsolve::diffusion {
namespace {

struct NoiseLevelDistribution {
  const char* name;
  std::function<at::Tensor(const NoiseLevelOptions&, std::int64_t, at::Generator&)> draw;
};

const std::vector<NoiseLevelDistribution>& noise_level_table() {
  static const std::vector<NoiseLevelDistribution> table = {
      {"log-normal",
       [](const NoiseLevelOptions& o, std::int64_t n, at::Generator& g) {
         return at::exp(at::normal(o.mean(), o.std(), {n}, g, at::kDouble));
       }},
      {"log-uniform",
       [](const NoiseLevelOptions& o, std::int64_t n, at::Generator& g) {
         const double lo = std::log(o.sigma_min()), hi = std::log(o.sigma_max());
         return at::exp(lo + (hi - lo) * at::rand({n}, g, at::kDouble));
       }},
      {"ddpm",
       [](const NoiseLevelOptions&, std::int64_t n, at::Generator& g) {
         static const at::Tensor levels =
             at::tensor(ddpm_training_sigmas(), at::TensorOptions().dtype(at::kDouble));
         return levels.index_select(0, at::randint(levels.size(0), {n}, g, at::kLong));
       }},
      {"quadratic",
       [](const NoiseLevelOptions& o, std::int64_t n, at::Generator& g) {
         const at::Tensor u = at::rand({n}, g, at::kDouble);
         return at::clamp_min(o.sigma_max() * u * u, o.sigma_min());
       }},
  };
  return table;
}

}  // namespace

std::vector<std::string> noise_level_distributions() {
  std::vector<std::string> names;
  for (const auto& d : noise_level_table()) names.emplace_back(d.name);
  return names;
}

void check_noise_levels(const NoiseLevelOptions& o) {
  bool known = false;
  for (const auto& d : noise_level_table()) known = known || o.distribution() == d.name;
  if (!known) {
    std::string list;
    for (const auto& name : noise_level_distributions()) list += (list.empty() ? "" : ", ") + name;
    throw std::invalid_argument("unknown noise-level distribution '" + o.distribution() +
                                "' (known: " + list + ")");
  }
  if (!std::isfinite(o.mean())) throw std::invalid_argument("noise levels: mean must be finite");
  if (!(o.std() > 0.0) || !std::isfinite(o.std()))
    throw std::invalid_argument("noise levels: std must be > 0, got " + std::to_string(o.std()));
  if (!(o.sigma_min() > 0.0) || !std::isfinite(o.sigma_min()))
    throw std::invalid_argument("noise levels: sigma_min must be > 0, got " +
                                std::to_string(o.sigma_min()));
  if (!(o.sigma_max() > o.sigma_min()) || !std::isfinite(o.sigma_max()))
    throw std::invalid_argument("noise levels: sigma_max must be finite and > sigma_min (" +
                                std::to_string(o.sigma_min()) + "), got " +
                                std::to_string(o.sigma_max()));
}

at::Tensor draw_noise_levels(const NoiseLevelOptions& options, std::int64_t n,
                             at::Generator generator) {
  check_noise_levels(options);
  if (n < 0) throw std::invalid_argument("draw_noise_levels: n must be >= 0");
  for (const auto& d : noise_level_table())
    if (options.distribution() == d.name) return d.draw(options, n, generator).to(at::kFloat);
  throw std::logic_error("draw_noise_levels: unreachable");
}

}  // namespace deepsolve::diffusion
