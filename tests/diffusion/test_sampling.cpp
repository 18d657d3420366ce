// Noise schedules, samplers (NFE counts, evaluation points, a Gaussian target's mean and
// covariance, reproducibility) and the coarse-to-fine ascent; plus the trajectories the Python
// reference (sampler_reference.py) recomputes, written when DEEPSOLVE_SAMPLER_REFERENCE_DIR is set.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "deepsolve/diffusion/coarse_to_fine.hpp"
#include "deepsolve/diffusion/noise_schedule.hpp"
#include "deepsolve/diffusion/sampler.hpp"

namespace dd = deepsolve::diffusion;
using deepsolve_test::expect_error;

namespace {

at::Tensor standard_normal(std::vector<std::int64_t> shape, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kDouble));
}

// The exact denoiser of a 2-D Gaussian N(mu, S): D(x; s) = mu + S (S + s^2 I)^{-1} (x - mu).
class GaussianTarget : public dd::ConditionalDenoiser {
 public:
  double mu[2] = {0.5, -0.3};
  double cov[2][2] = {{1.0, 0.6}, {0.6, 0.5}};

  at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor&) const override {
    const double s2 = sigma * sigma;
    const double a = cov[0][0] + s2, b = cov[0][1], c = cov[1][1] + s2, det = a * c - b * b;
    const double inv[2][2] = {{c / det, -b / det}, {-b / det, a / det}};
    double m[2][2];  // S (S + s^2 I)^{-1}
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) m[i][j] = cov[i][0] * inv[0][j] + cov[i][1] * inv[1][j];
    const at::Tensor mean = at::tensor({mu[0], mu[1]}, x.options());
    const at::Tensor mt =
        at::tensor({m[0][0], m[1][0], m[0][1], m[1][1]}, x.options()).view({2, 2});
    return mean + (x - mean).matmul(mt);
  }
  std::int64_t null_label() const override { return 0; }
};

// The exact posterior mean of a 2-component 2-D Gaussian mixture, a nonlinear denoiser; the same
// formula is in sampler_reference.py. Component k: weight w_k, mean m_k, covariance C_k; at noise
// s, x ~ N(m_k, C_k + s^2 I) and E[x0 | x, k] = m_k + C_k (C_k + s^2 I)^{-1} (x - m_k).
class MixtureTarget : public dd::ConditionalDenoiser {
 public:
  at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor&) const override {
    static const double w[2] = {0.3, 0.7};
    static const double m[2][2] = {{-1.0, 0.5}, {1.5, -0.5}};
    static const double cov[2][2][2] = {{{0.3, 0.1}, {0.1, 0.2}}, {{0.5, -0.2}, {-0.2, 0.4}}};
    const double s2 = sigma * sigma;
    std::vector<at::Tensor> log_p, mean;
    for (int k = 0; k < 2; ++k) {
      const double a = cov[k][0][0] + s2, b = cov[k][0][1], c = cov[k][1][1] + s2;
      const double det = a * c - b * b;
      const double inv[2][2] = {{c / det, -b / det}, {-b / det, a / det}};
      const at::Tensor d0 = x.select(1, 0) - m[k][0], d1 = x.select(1, 1) - m[k][1];
      const at::Tensor q = d0 * d0 * inv[0][0] + d0 * d1 * (2.0 * inv[0][1]) + d1 * d1 * inv[1][1];
      log_p.push_back(q * -0.5 + (std::log(w[k]) - 0.5 * std::log(det)));
      double g[2][2];  // C_k (C_k + s^2 I)^{-1}
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) g[i][j] = cov[k][i][0] * inv[0][j] + cov[k][i][1] * inv[1][j];
      mean.push_back(at::stack(
          {d0 * g[0][0] + d1 * g[0][1] + m[k][0], d0 * g[1][0] + d1 * g[1][1] + m[k][1]}, 1));
    }
    const at::Tensor r = at::softmax(at::stack(log_p, 1), 1);  // [B, 2]
    return mean[0] * r.select(1, 0).unsqueeze(1) + mean[1] * r.select(1, 1).unsqueeze(1);
  }
  std::int64_t null_label() const override { return 0; }
};

// Records every evaluation point on top of an unguided denoiser.
class Recording : public dd::DenoisingFunction {
 public:
  explicit Recording(const dd::ConditionalDenoiser& d) : inner_(d) {}
  void begin(std::int64_t batch) override { inner_.begin(batch); }
  at::Tensor denoise(const at::Tensor& x, const dd::EvaluationPoint& at) override {
    points.push_back(at);
    return inner_.denoise(x, at);
  }
  at::Tensor nfe_per_sample() const override { return inner_.nfe_per_sample(); }
  std::vector<dd::EvaluationPoint> points;

 private:
  dd::UnguidedDenoising inner_;
};

}  // namespace

TEST(NoiseSchedule, KarrasEndpointsAndShape) {
  const auto s = dd::karras_sigmas(10);
  ASSERT_EQ(s.size(), 11u);
  EXPECT_DOUBLE_EQ(s.front(), 80.0);
  EXPECT_NEAR(s[9], 0.002, 1e-15);
  EXPECT_EQ(s.back(), 0.0);
  dd::check_sigmas(s);
  // EDM eq. 5 at i = 5 of 10, rho = 7, written out.
  const double hi = std::pow(80.0, 1 / 7.0), lo = std::pow(0.002, 1 / 7.0);
  EXPECT_NEAR(s[5], std::pow(hi + 5.0 / 9.0 * (lo - hi), 7.0), 1e-12);
  // rho = 1 is linear in sigma.
  const auto lin = dd::karras_sigmas(5, 1.0, 5.0, 1.0);
  EXPECT_NEAR(lin[1], 4.0, 1e-12);
  EXPECT_NEAR(lin[3], 2.0, 1e-12);
  EXPECT_EQ(dd::karras_sigmas(1), (std::vector<double>{80.0, 0.0}));
  const auto ll = dd::log_linear_sigmas(3, 0.1, 10.0);
  EXPECT_NEAR(ll[1], 1.0, 1e-12);
  EXPECT_NEAR(ll[2], 0.1, 1e-12);
}

TEST(NoiseSchedule, DdpmLevelsAndTrailingSpacing) {
  const auto train = dd::ddpm_training_sigmas();
  ASSERT_EQ(train.size(), 1000u);
  EXPECT_NEAR(train[0], std::sqrt(1e-4 / (1 - 1e-4)), 1e-15);
  double alpha_bar = (1 - 1e-4) * (1 - (1e-4 + (0.02 - 1e-4) / 999));
  EXPECT_NEAR(train[1], std::sqrt((1 - alpha_bar) / alpha_bar), 1e-14);
  EXPECT_GT(train[999], 150.0);  // alpha_bar_T ~ 4e-5
  EXPECT_LT(train[999], 160.0);
  EXPECT_EQ(dd::ddpm_timesteps(4), (std::vector<std::int64_t>{999, 749, 499, 249}));
  EXPECT_EQ(dd::ddpm_timesteps(3), (std::vector<std::int64_t>{999, 666, 332}));
  const auto s = dd::ddpm_sigmas(4);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[1], train[749]);
  EXPECT_EQ(s[4], 0.0);
  dd::check_sigmas(dd::ddpm_sigmas(1000));
  expect_error<std::invalid_argument>([] { dd::ddpm_timesteps(1001); }, "[1, 1000]");
}

TEST(NoiseSchedule, RegistryAndErrors) {
  EXPECT_EQ(dd::noise_schedule_names(), (std::vector<std::string>{"karras", "log-linear", "ddpm"}));
  dd::NoiseScheduleOptions o;
  o.steps = 6;
  EXPECT_EQ(dd::make_sigmas("karras", o), dd::karras_sigmas(6));
  EXPECT_EQ(dd::make_sigmas("ddpm", o), dd::ddpm_sigmas(6));
  expect_error<std::invalid_argument>([&] { dd::make_sigmas("cosine", o); },
                                      {"unknown noise schedule 'cosine'", "karras, log-linear"});
  o.rho = 0;
  expect_error<std::invalid_argument>([&] { dd::make_sigmas("karras", o); }, "rho");
  o = {};
  o.sigma_max = 0.001;
  expect_error<std::invalid_argument>([&] { dd::make_sigmas("karras", o); }, "sigma_max");
  o = {};
  o.steps = 0;
  expect_error<std::invalid_argument>([&] { dd::karras_sigmas(0); }, "steps must be >= 1");

  expect_error<std::invalid_argument>(
      [] {
        dd::check_sigmas({5, 4, 3, 2, 1.2, 1.3, 0});
      },
      "sigma schedule is not decreasing at index 5: 1.2 then 1.3");
  expect_error<std::invalid_argument>([] { dd::check_sigmas({5, 4, 4, 0}); }, "index 2: 4 then 4");
  expect_error<std::invalid_argument>(
      [] {
        dd::check_sigmas({5, 0, 0});
      },
      {"non-positive value at index 1", "only the last"});
  expect_error<std::invalid_argument>([] { dd::check_sigmas({5, -1}); }, "index 1: -1");
  expect_error<std::invalid_argument>(
      [] {
        dd::check_sigmas({NAN, 1, 0});
      },
      "non-finite value at index 0");
  expect_error<std::invalid_argument>([] { dd::check_sigmas({1}); }, "at least 2");
  dd::check_sigmas({3, 2, 1});  // ending above 0 is allowed
}

TEST(Sampler, RegistryAndErrors) {
  EXPECT_EQ(dd::sampler_names(), (std::vector<std::string>{"ddpm", "ddim", "euler", "heun",
                                                           "dpmpp-2m", "euler-ancestral"}));
  for (const auto& s : dd::sampler_types())
    EXPECT_NO_THROW(dd::find_noise_schedule(s.default_schedule));
  EXPECT_TRUE(dd::find_sampler("ddpm").stochastic);
  EXPECT_FALSE(dd::find_sampler("heun").stochastic);
  GaussianTarget target;
  dd::UnguidedDenoising model(target);
  const at::Tensor noise = standard_normal({4, 2}, 1);
  expect_error<std::invalid_argument>(
      [&] { dd::sample("lms", model, noise, dd::karras_sigmas(4), 0); },
      {"unknown sampler 'lms'", "ddpm, ddim, euler, heun, dpmpp-2m, euler-ancestral"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::sample("euler", model, noise, {3, 2, 2.5, 0}, 0);
      },
      "not decreasing at index 2");
  expect_error<std::invalid_argument>(
      [&] { dd::sample("euler", model, noise.to(at::kLong), dd::karras_sigmas(4), 0); },
      "floating dtype");
  expect_error<std::invalid_argument>(
      [&] { dd::sample("euler", model, at::Tensor(), dd::karras_sigmas(4), 0); }, "undefined");
  EXPECT_EQ(dd::default_sigmas("ddim", {}), dd::ddpm_sigmas(18));
  EXPECT_EQ(dd::default_sigmas("heun", {}), dd::karras_sigmas(18));
}

TEST(Sampler, ExactNfeCountsAndEvaluationPoints) {
  GaussianTarget target;
  const std::int64_t n = 7, batch = 3;
  const auto sigmas = dd::karras_sigmas(n);
  const at::Tensor noise = standard_normal({batch, 2}, 2);
  for (const std::string& name : dd::sampler_names()) {
    Recording model(target);
    const auto out = dd::sample(name, model, noise, sigmas, 5);
    const std::int64_t per = name == "heun" ? 2 * n - 1 : n;
    EXPECT_EQ(out.nfe, per * batch) << name;
    EXPECT_TRUE(at::equal(out.nfe_per_sample, at::full({batch}, per, at::kLong))) << name;
    EXPECT_EQ(out.sigmas, sigmas);
    ASSERT_EQ(static_cast<std::int64_t>(model.points.size()), per) << name;
    std::size_t k = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(model.points[k].step, i) << name;
      EXPECT_EQ(model.points[k].steps, n) << name;
      EXPECT_EQ(model.points[k].sigma, sigmas[i]) << name;
      ++k;
      if (name == "heun" && i + 1 < n) {  // the correction: same step, the next level
        EXPECT_EQ(model.points[k].step, i);
        EXPECT_EQ(model.points[k].sigma, sigmas[i + 1]);
        ++k;
      }
    }
    EXPECT_EQ(out.samples.scalar_type(), at::kDouble);
  }
  // A schedule ending above 0: Heun corrects every step.
  Recording heun(target);
  EXPECT_EQ(dd::sample("heun", heun, noise, {10, 5, 1, 0.5}, 0).nfe, 6 * batch);
  // float32 in, float32 out.
  dd::UnguidedDenoising model(target);
  EXPECT_EQ(dd::sample("dpmpp-2m", model, noise.to(at::kFloat), sigmas, 0).samples.scalar_type(),
            at::kFloat);
}

TEST(Sampler, StochasticRunsAreSeededAndDdpmIsEulerAncestral) {
  GaussianTarget target;
  dd::UnguidedDenoising model(target);
  const at::Tensor noise = standard_normal({16, 2}, 3);
  const auto sigmas = dd::karras_sigmas(10);
  const at::Tensor a = dd::sample("euler-ancestral", model, noise, sigmas, 11).samples;
  const at::Tensor b = dd::sample("euler-ancestral", model, noise, sigmas, 11).samples;
  const at::Tensor c = dd::sample("euler-ancestral", model, noise, sigmas, 12).samples;
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_GT((a - c).abs().max().item<double>(), 1e-3);
  // The VE posterior step and the eta = 1 ancestral step are the same map (sampler.hpp).
  const at::Tensor d = dd::sample("ddpm", model, noise, sigmas, 11).samples;
  EXPECT_LT((a - d).abs().max().item<double>(), 1e-12);
  // DDIM (eta = 0) is the Euler step in VE form.
  const at::Tensor e = dd::sample("ddim", model, noise, sigmas, 0).samples;
  const at::Tensor f = dd::sample("euler", model, noise, sigmas, 0).samples;
  EXPECT_LT((e - f).abs().max().item<double>(), 1e-12);
}

// Every sampler draws from N(mu, S) to sampling error: mean and covariance within 4.5 standard
// errors, with enough steps that the discretization bias is below one (first-order samplers need
// many more steps than the 2nd-order ones).
TEST(Sampler, ReproducesGaussianMeanAndCovariance) {
  GaussianTarget target;
  const std::int64_t count = 4000;
  const at::Tensor noise = standard_normal({count, 2}, 4);
  struct Case {
    const char* sampler;
    std::vector<double> sigmas;
  };
  const std::vector<Case> cases = {
      {"ddpm", dd::ddpm_sigmas(1000)},     {"ddim", dd::ddpm_sigmas(1000)},
      {"euler", dd::karras_sigmas(512)},   {"heun", dd::karras_sigmas(64)},
      {"dpmpp-2m", dd::karras_sigmas(64)}, {"euler-ancestral", dd::karras_sigmas(512)}};
  const double n = static_cast<double>(count);
  for (const auto& c : cases) {
    dd::UnguidedDenoising model(target);
    const at::Tensor x = dd::sample(c.sampler, model, noise, c.sigmas, 21).samples;
    const at::Tensor mean = x.mean(0);
    const at::Tensor centred = x - mean;
    const at::Tensor cov = centred.t().matmul(centred) / (n - 1);
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(mean[i].item<double>(), target.mu[i], 4.5 * std::sqrt(target.cov[i][i] / n))
          << c.sampler << " mean " << i;
      for (int j = 0; j < 2; ++j) {
        const double se = std::sqrt(
            (target.cov[i][i] * target.cov[j][j] + target.cov[i][j] * target.cov[i][j]) / n);
        EXPECT_NEAR(cov[i][j].item<double>(), target.cov[i][j], 4.5 * se)
            << c.sampler << " covariance " << i << j;
      }
    }
  }
}

namespace {

// A blind denoiser for data x0 = (u, 0, ..., 0) in R^N with u ~ N(0, C) in the first two
// coordinates: the noise level is read off the other N - 2 coordinates, s^2 = |y_rest|^2 / (N - 2),
// and D(y) = (C (C + s^2 I)^{-1} u, 0, ..., 0). The sigma argument is ignored.
class SubspaceGaussian : public dd::ConditionalDenoiser {
 public:
  double cov[2][2] = {{0.5, 0.25}, {0.25, 0.25}};
  at::Tensor denoise(const at::Tensor& y, double, const at::Tensor&) const override {
    const std::int64_t dims = y.size(1);
    const at::Tensor s2 = y.slice(1, 2).pow(2).sum(1) / static_cast<double>(dims - 2);
    const at::Tensor a = s2 + cov[0][0], c = s2 + cov[1][1];
    const double b = cov[0][1];
    const at::Tensor det = a * c - b * b;
    const at::Tensor u0 = y.select(1, 0), u1 = y.select(1, 1);
    // (C + s^2 I)^{-1} u, then C times it.
    const at::Tensor v0 = (c * u0 - u1 * b) / det, v1 = (a * u1 - u0 * b) / det;
    at::Tensor out = at::zeros_like(y);
    out.select(1, 0).copy_(v0 * cov[0][0] + v1 * cov[0][1]);
    out.select(1, 1).copy_(v0 * cov[1][0] + v1 * cov[1][1]);
    ++calls;
    evaluated += y.size(0);
    return out;
  }
  std::int64_t null_label() const override { return 0; }
  mutable std::int64_t calls = 0, evaluated = 0;
};

}  // namespace

TEST(CoarseToFine, ReachesSigmaLAndTheTargetCovariance) {
  SubspaceGaussian target;
  const std::int64_t count = 800;
  const at::Tensor noise = standard_normal({count, 16}, 6);
  dd::CoarseToFineOptions options;  // h0 = beta = 0.01, sigma0 = 1, sigma_L = 0.01
  options.seed = 3;
  const auto out = dd::coarse_to_fine(target, noise, options);
  ASSERT_EQ(out.samples.sizes(), noise.sizes());
  EXPECT_TRUE(out.converged.all().item<bool>());
  EXPECT_TRUE(at::equal(out.nfe_per_sample, out.iterations + 1));
  EXPECT_EQ(out.nfe, out.nfe_per_sample.sum().item<std::int64_t>());
  EXPECT_EQ(out.nfe, target.evaluated);  // stopped samples are not evaluated again
  EXPECT_EQ(target.calls, out.iterations.max().item<std::int64_t>() + 1);
  EXPECT_LT(out.iterations.min().item<std::int64_t>(), out.iterations.max().item<std::int64_t>());
  for (std::int64_t b = 0; b < count; ++b) {
    const auto& trace = out.sigma_trace[static_cast<std::size_t>(b)];
    ASSERT_EQ(static_cast<std::int64_t>(trace.size()), out.iterations[b].item<std::int64_t>() + 1);
    EXPECT_LE(trace.back(), options.sigma_L);
    if (trace.size() > 1) {
      EXPECT_GT(trace[trace.size() - 2], options.sigma_L);
    }
  }
  // The samples lie in the data subspace with the target covariance. The ascent is not an exact
  // sampler: with these options its variances come out 5-20% low (a deterministic ascent, beta =
  // 1, gives ~45% low), so the check allows 30%.
  EXPECT_LT(out.samples.slice(1, 2).abs().max().item<double>(), 1e-12);
  const at::Tensor u = out.samples.slice(1, 0, 2);
  const at::Tensor centred = u - u.mean(0);
  const at::Tensor cov = centred.t().matmul(centred) / static_cast<double>(count - 1);
  const double v0 = cov[0][0].item<double>(), v1 = cov[1][1].item<double>();
  EXPECT_GT(v0 / target.cov[0][0], 0.7);
  EXPECT_LT(v0 / target.cov[0][0], 1.15);
  EXPECT_GT(v1 / target.cov[1][1], 0.7);
  EXPECT_LT(v1 / target.cov[1][1], 1.15);
  EXPECT_NEAR(cov[0][1].item<double>() / std::sqrt(v0 * v1), 0.25 / std::sqrt(0.5 * 0.25), 0.1);
  EXPECT_LT(u.mean(0).abs().max().item<double>(), 4.5 * std::sqrt(0.5 / count));

  // Seeded; a cap on the iterations stops every sample unconverged.
  SubspaceGaussian again;
  EXPECT_TRUE(at::equal(dd::coarse_to_fine(again, noise, options).samples, out.samples));
  options.max_iterations = 3;
  const auto capped = dd::coarse_to_fine(again, noise, options);
  EXPECT_FALSE(capped.converged.any().item<bool>());
  EXPECT_TRUE(at::equal(capped.iterations, at::full({count}, 3, at::kLong)));
}

// The update rule itself, by hand, for the linear denoiser D(y) = 0.5 y (no sample stops): sigma_t,
// h_t, gamma_t and y_{t+1} as in coarse_to_fine.hpp, with z_t drawn from the seeded generator in
// step order for the whole (active) batch.
TEST(CoarseToFine, FollowsTheUpdateRule) {
  struct Half : dd::ConditionalDenoiser {
    at::Tensor denoise(const at::Tensor& y, double, const at::Tensor&) const override {
      return y * 0.5;
    }
    std::int64_t null_label() const override { return 0; }
  } half;
  const at::Tensor noise = standard_normal({3, 5}, 9);
  dd::CoarseToFineOptions o;
  o.h0 = 0.2;
  o.beta = 0.3;
  o.sigma0 = 2.0;
  o.mean = 0.1;
  o.max_iterations = 2;
  o.seed = 17;
  const auto out = dd::coarse_to_fine(half, noise, o);

  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  at::Tensor y = noise * o.sigma0 + o.mean;
  std::vector<at::Tensor> sigmas;
  for (int t = 1; t <= 3; ++t) {
    const at::Tensor f = y * 0.5;
    const at::Tensor sigma = f.norm(2, {1}) / std::sqrt(5.0);
    sigmas.push_back(sigma);
    if (t == 3) break;
    const double h = o.h0 * t / (1 + o.h0 * (t - 1));
    const double g = std::sqrt(std::pow(1 - o.beta * h, 2) - std::pow(1 - h, 2));
    const at::Tensor z = at::randn({3, 5}, gen, at::TensorOptions().dtype(at::kDouble));
    y = y - f * h + z * (sigma * g).unsqueeze(1);
  }
  EXPECT_LT((out.samples - y * 0.5).abs().max().item<double>(), 1e-13);
  EXPECT_FALSE(out.converged.any().item<bool>());
  EXPECT_TRUE(at::equal(out.nfe_per_sample, at::full({3}, 3, at::kLong)));
  for (std::int64_t b = 0; b < 3; ++b) {
    const auto& trace = out.sigma_trace[static_cast<std::size_t>(b)];
    ASSERT_EQ(trace.size(), 3u);
    for (int t = 0; t < 3; ++t) EXPECT_NEAR(trace[t], sigmas[t][b].item<double>(), 1e-13);
  }
}

TEST(CoarseToFine, OptionErrors) {
  SubspaceGaussian target;
  const at::Tensor noise = standard_normal({2, 16}, 7);
  auto with = [](auto change) {
    dd::CoarseToFineOptions o;
    change(o);
    return o;
  };
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, with([](auto& o) { o.h0 = 0; })); },
      {"h0", "(0, 1]", "got 0"});
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, with([](auto& o) { o.beta = 1.5; })); },
      {"beta", "1.5"});
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, with([](auto& o) { o.sigma_L = 2; })); }, "sigma_L");
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, with([](auto& o) { o.sigma0 = -1; })); }, "sigma0");
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, with([](auto& o) { o.max_iterations = 0; })); },
      "max_iterations");
  expect_error<std::invalid_argument>(
      [&] { dd::coarse_to_fine(target, noise, {}, at::zeros({3}, at::kLong)); }, "labels");
}

namespace {

void write_csv(const std::string& path, const at::Tensor& x) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  const at::Tensor c = x.to(at::kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  for (std::int64_t i = 0; i < c.size(0); ++i)
    std::fprintf(f, "%.17g,%.17g\n", p[2 * i], p[2 * i + 1]);
  std::fclose(f);
}

}  // namespace

// Writes the trajectories sampler_reference.py recomputes (run by the ctest
// test_diffusion_sampler_reference through run_sampler_reference.cmake): 32 starting points and the
// euler, heun, dpmpp-2m and ddim samples on the default Karras schedule (12 steps) of the mixture
// denoiser, and the NFE counts. Disabled in the plain run of the program: only that ctest runs it
// (--gtest_also_run_disabled_tests), with the folder to write to.
TEST(SamplerReference, DISABLED_WritesTrajectories) {
  const char* dir = std::getenv("DEEPSOLVE_SAMPLER_REFERENCE_DIR");
  ASSERT_NE(dir, nullptr) << "set DEEPSOLVE_SAMPLER_REFERENCE_DIR to the folder to write to";
  const std::string out = dir;
  MixtureTarget target;
  const at::Tensor noise = standard_normal({32, 2}, 8);
  const auto sigmas = dd::karras_sigmas(12, 0.002, 80.0, 7.0);
  write_csv(out + "/noise.csv", noise);
  std::FILE* nfe = std::fopen((out + "/nfe.csv").c_str(), "w");
  ASSERT_NE(nfe, nullptr);
  for (const char* name : {"euler", "heun", "dpmpp-2m", "ddim"}) {
    dd::UnguidedDenoising model(target);
    const auto result = dd::sample(name, model, noise, sigmas, 0);
    write_csv(out + "/" + name + ".csv", result.samples);
    std::fprintf(nfe, "%s,%lld\n", name, static_cast<long long>(result.nfe));
  }
  std::fclose(nfe);
}
