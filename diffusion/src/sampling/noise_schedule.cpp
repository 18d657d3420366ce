#include "deepsolve/diffusion/noise_schedule.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace deepsolve::diffusion {
namespace schedule_detail {

// The shortest decimal text that reads back as v (so 1.2 prints "1.2", and two different values
// never print the same).
std::string number_text(double v) {
  for (int precision = 6; precision <= 17; ++precision) {
    std::ostringstream os;
    os.precision(precision);
    os << v;
    if (std::strtod(os.str().c_str(), nullptr) == v || !std::isfinite(v)) return os.str();
  }
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

std::vector<double> karras_from(const NoiseScheduleOptions& o) {
  return karras_sigmas(o.steps, o.sigma_min, o.sigma_max, o.rho);
}
std::vector<double> log_linear_from(const NoiseScheduleOptions& o) {
  return log_linear_sigmas(o.steps, o.sigma_min, o.sigma_max);
}
std::vector<double> ddpm_from(const NoiseScheduleOptions& o) {
  return ddpm_sigmas(o.steps);
}

void check_levels(const char* what, std::int64_t n, double sigma_min, double sigma_max) {
  NoiseScheduleOptions o;
  o.steps = n;
  o.sigma_min = sigma_min;
  o.sigma_max = sigma_max;
  try {
    check_noise_schedule_options(o);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(what) + ": " + e.what());
  }
}

}  // namespace schedule_detail

void check_noise_schedule_options(const NoiseScheduleOptions& o) {
  using schedule_detail::number_text;
  if (o.steps < 1)
    throw std::invalid_argument("noise schedule: steps must be >= 1, got " +
                                std::to_string(o.steps));
  if (!(o.sigma_min > 0.0) || !std::isfinite(o.sigma_min))
    throw std::invalid_argument("noise schedule: sigma_min must be finite and > 0, got " +
                                number_text(o.sigma_min));
  if (!(o.sigma_max > o.sigma_min) || !std::isfinite(o.sigma_max))
    throw std::invalid_argument("noise schedule: sigma_max must be finite and > sigma_min (" +
                                number_text(o.sigma_min) + "), got " + number_text(o.sigma_max));
  if (!(o.rho > 0.0) || !std::isfinite(o.rho))
    throw std::invalid_argument("noise schedule: rho must be finite and > 0, got " +
                                number_text(o.rho));
}

std::vector<double> karras_sigmas(std::int64_t n, double sigma_min, double sigma_max, double rho) {
  NoiseScheduleOptions o{n, sigma_min, sigma_max, rho};
  try {
    check_noise_schedule_options(o);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("karras_sigmas: ") + e.what());
  }
  const double hi = std::pow(sigma_max, 1.0 / rho), lo = std::pow(sigma_min, 1.0 / rho);
  std::vector<double> sigmas(static_cast<std::size_t>(n) + 1, 0.0);
  sigmas[0] = sigma_max;
  for (std::int64_t i = 1; i < n; ++i) {
    const double ramp = static_cast<double>(i) / static_cast<double>(n - 1);
    sigmas[static_cast<std::size_t>(i)] = std::pow(hi + ramp * (lo - hi), rho);
  }
  return sigmas;
}

std::vector<double> log_linear_sigmas(std::int64_t n, double sigma_min, double sigma_max) {
  schedule_detail::check_levels("log_linear_sigmas", n, sigma_min, sigma_max);
  const double hi = std::log(sigma_max), lo = std::log(sigma_min);
  std::vector<double> sigmas(static_cast<std::size_t>(n) + 1, 0.0);
  sigmas[0] = sigma_max;
  for (std::int64_t i = 1; i < n; ++i) {
    const double ramp = static_cast<double>(i) / static_cast<double>(n - 1);
    sigmas[static_cast<std::size_t>(i)] = std::exp(hi + ramp * (lo - hi));
  }
  return sigmas;
}

std::vector<double> ddpm_training_sigmas(const DdpmTraining& t) {
  if (t.timesteps < 1)
    throw std::invalid_argument("ddpm schedule: timesteps must be >= 1, got " +
                                std::to_string(t.timesteps));
  if (!(t.beta_start > 0.0) || !(t.beta_end >= t.beta_start) || !(t.beta_end < 1.0))
    throw std::invalid_argument("ddpm schedule: need 0 < beta_start <= beta_end < 1, got " +
                                schedule_detail::number_text(t.beta_start) + " and " +
                                schedule_detail::number_text(t.beta_end));
  std::vector<double> sigmas(static_cast<std::size_t>(t.timesteps));
  double alpha_bar = 1.0;
  for (std::int64_t i = 0; i < t.timesteps; ++i) {
    const double ramp =
        t.timesteps == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(t.timesteps - 1);
    alpha_bar *= 1.0 - (t.beta_start + ramp * (t.beta_end - t.beta_start));
    sigmas[static_cast<std::size_t>(i)] = std::sqrt((1.0 - alpha_bar) / alpha_bar);
  }
  return sigmas;
}

std::vector<std::int64_t> ddpm_timesteps(std::int64_t n, std::int64_t timesteps) {
  if (n < 1 || n > timesteps)
    throw std::invalid_argument("ddpm schedule: steps must be in [1, " + std::to_string(timesteps) +
                                "] (the training timesteps), got " + std::to_string(n));
  const double spacing = static_cast<double>(timesteps) / static_cast<double>(n);
  std::vector<std::int64_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    t[static_cast<std::size_t>(i)] =
        static_cast<std::int64_t>(std::nearbyint(static_cast<double>(timesteps) - i * spacing)) - 1;
  return t;
}

std::vector<double> ddpm_sigmas(std::int64_t n, const DdpmTraining& training) {
  const std::vector<double> train = ddpm_training_sigmas(training);
  std::vector<double> sigmas;
  for (std::int64_t t : ddpm_timesteps(n, training.timesteps))
    sigmas.push_back(train[static_cast<std::size_t>(t)]);
  sigmas.push_back(0.0);
  return sigmas;
}

// The table of schedules: a new schedule is one more row.
const std::vector<NoiseSchedule>& noise_schedules() {
  static const std::vector<NoiseSchedule> table = {
      {"karras", "EDM (Karras et al. 2022) eq. 5: rho-warped from sigma_max to sigma_min, then 0",
       &schedule_detail::karras_from},
      {"log-linear", "evenly spaced in log sigma from sigma_max to sigma_min, then 0",
       &schedule_detail::log_linear_from},
      {"ddpm",
       "DDPM's discrete training levels (beta 1e-4..0.02 linear, T = 1000), trailing spacing, "
       "then 0; sigma_min/sigma_max/rho do not apply",
       &schedule_detail::ddpm_from},
  };
  return table;
}

std::vector<std::string> noise_schedule_names() {
  std::vector<std::string> names;
  for (const auto& s : noise_schedules()) names.emplace_back(s.name);
  return names;
}

const NoiseSchedule& find_noise_schedule(const std::string& name) {
  for (const auto& s : noise_schedules())
    if (name == s.name) return s;
  std::string known;
  for (const auto& s : noise_schedules())
    known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw std::invalid_argument("unknown noise schedule '" + name + "' (known: " + known + ")");
}

std::vector<double> make_sigmas(const std::string& name, const NoiseScheduleOptions& options) {
  const NoiseSchedule& schedule = find_noise_schedule(name);
  check_noise_schedule_options(options);
  std::vector<double> sigmas = schedule.make(options);
  check_sigmas(sigmas);
  return sigmas;
}

void check_sigmas(const std::vector<double>& sigmas) {
  using schedule_detail::number_text;
  if (sigmas.size() < 2)
    throw std::invalid_argument("sigma schedule needs at least 2 noise levels (one step), got " +
                                std::to_string(sigmas.size()));
  const std::size_t last = sigmas.size() - 1;
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    const double s = sigmas[i];
    if (!std::isfinite(s))
      throw std::invalid_argument("sigma schedule has a non-finite value at index " +
                                  std::to_string(i) + ": " + number_text(s));
    if (s < 0.0 || (s == 0.0 && i != last))
      throw std::invalid_argument("sigma schedule has a non-positive value at index " +
                                  std::to_string(i) + ": " + number_text(s) +
                                  " (only the last level may be 0)");
    if (i > 0 && !(s < sigmas[i - 1]))
      throw std::invalid_argument("sigma schedule is not decreasing at index " + std::to_string(i) +
                                  ": " + number_text(sigmas[i - 1]) + " then " + number_text(s));
  }
}

}  // namespace deepsolve::diffusion
