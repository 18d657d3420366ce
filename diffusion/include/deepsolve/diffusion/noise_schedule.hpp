// Noise schedules: the decreasing noise levels sigma_0 > sigma_1 > ... > sigma_{n-1} > 0 = sigma_n
// a sampler walks through, in the variance-exploding convention x = x0 + sigma n.
//
//   karras      EDM, Karras et al. 2022, eq. 5: sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) -
//               smax^(1/rho)))^rho, i = 0..n-1, then 0 (rho = 7 spends the steps near smin).
//   log-linear  sigma_i evenly spaced in log sigma from smax to smin, then 0 (k-diffusion's
//               "exponential" schedule).
//   ddpm        the discrete noise levels of DDPM training (Ho et al. 2020: beta_t linear from 1e-4
//               to 0.02 over T = 1000 steps, alpha_bar_t = prod_{s<=t} (1 - beta_s), sigma_t =
//               sqrt((1 - alpha_bar_t) / alpha_bar_t)), n of them picked with the "trailing"
//               spacing of diffusers (t_i = round(T - i T/n) - 1, so the first step is t = T-1),
//               then 0. Its range is fixed by the training schedule (about 0.01 .. 157): the
//               options' sigma_min, sigma_max and rho do not apply.
// Every schedule is one row of the table behind noise_schedules(); nothing else switches on a name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::diffusion {

struct NoiseScheduleOptions {
  std::int64_t steps = 18;  ///< noise levels > 0 (the schedule has steps + 1 entries, the last 0)
  double sigma_min = 0.002;
  double sigma_max = 80.0;
  double rho = 7.0;  ///< karras only
};

/// Throws std::invalid_argument naming the option: steps < 1, sigma_min <= 0, sigma_max <=
/// sigma_min, rho <= 0, or a value that is not finite.
void check_noise_schedule_options(const NoiseScheduleOptions& options);

/// EDM eq. 5: n levels from sigma_max down to sigma_min, then 0 (n = 1: sigma_max, 0).
std::vector<double> karras_sigmas(std::int64_t n, double sigma_min = 0.002, double sigma_max = 80.0,
                                  double rho = 7.0);
/// n levels evenly spaced in log sigma from sigma_max down to sigma_min, then 0.
std::vector<double> log_linear_sigmas(std::int64_t n, double sigma_min = 0.002,
                                      double sigma_max = 80.0);

/// DDPM's training noise: beta_t linear from beta_start to beta_end over `timesteps` steps.
struct DdpmTraining {
  std::int64_t timesteps = 1000;
  double beta_start = 1e-4;
  double beta_end = 0.02;
};
/// sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t) for t = 0 .. timesteps-1 (increasing).
std::vector<double> ddpm_training_sigmas(const DdpmTraining& training = {});
/// The n training timesteps a sampler visits, "trailing" spacing (diffusers' name): t_i =
/// round(T - i T / n) - 1, i = 0..n-1, decreasing from T - 1. Throws unless 1 <= n <= T.
std::vector<std::int64_t> ddpm_timesteps(std::int64_t n, std::int64_t timesteps = 1000);
/// sigma at ddpm_timesteps(n), then 0.
std::vector<double> ddpm_sigmas(std::int64_t n, const DdpmTraining& training = {});

/// One row of the schedule table.
struct NoiseSchedule {
  const char* name;
  const char* description;
  std::vector<double> (*make)(const NoiseScheduleOptions& options);  ///< options already checked
};
/// Every schedule: "karras", "log-linear", "ddpm".
const std::vector<NoiseSchedule>& noise_schedules();
std::vector<std::string> noise_schedule_names();
/// Throws std::invalid_argument "unknown noise schedule 'x' (known: karras, log-linear, ddpm)".
const NoiseSchedule& find_noise_schedule(const std::string& name);
/// The schedule `name` with `options` (checked), then check_sigmas.
std::vector<double> make_sigmas(const std::string& name, const NoiseScheduleOptions& options = {});

/// A schedule a sampler can walk: at least 2 entries, every one finite, strictly decreasing, all
/// positive except that the last may be 0. Throws std::invalid_argument naming the index and the
/// values, e.g. "sigma schedule is not decreasing at index 4: 1.2 then 1.3".
void check_sigmas(const std::vector<double>& sigmas);

}  // namespace deepsolve::diffusion
