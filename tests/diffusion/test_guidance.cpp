// Guidance policies (guidance.hpp) and LinearAG (linear_ag.hpp), driven directly with
// EvaluationPoints on hand-built ConditionalDenoisers whose conditional and unconditional
// predictions are known in closed form: the fake denoisers read a sample's identity from its
// first coordinate, so a shrunk unconditional batch still gets each sample's own prediction, and
// they record the batch sizes they are called with.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/expect_error.hpp"
#include "deepsolve/diffusion/guidance.hpp"
#include "deepsolve/diffusion/linear_ag.hpp"
#include "deepsolve/learned/io/archive.hpp"

namespace {

namespace dd = deepsolve::diffusion;
using deepsolve_test::expect_error;

const auto kDouble = at::TensorOptions().dtype(at::kDouble);
constexpr std::int64_t kNull = 3;  // the fakes' null label (3 classes)

at::Generator gen(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// eps_c and eps_u given per row as functions of the row and sigma; D = x - sigma eps. Records the
// batch size of every call.
class FakeDenoiser : public dd::ConditionalDenoiser {
 public:
  using Eps = std::function<at::Tensor(const at::Tensor& x, double sigma)>;
  FakeDenoiser(Eps conditional, Eps unconditional)
      : conditional_(std::move(conditional)), unconditional_(std::move(unconditional)) {}
  at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor& labels) const override {
    calls.push_back(x.size(0));
    auto out = at::empty_like(x);
    for (std::int64_t i = 0; i < x.size(0); ++i) {
      const auto row = x.narrow(0, i, 1);
      const bool null = labels[i].item<std::int64_t>() == kNull;
      const auto eps = null ? unconditional_(row, sigma) : conditional_(row, sigma);
      out.narrow(0, i, 1).copy_(row - sigma * eps);
    }
    return out;
  }
  std::int64_t null_label() const override { return kNull; }
  mutable std::vector<std::int64_t> calls;

 private:
  Eps conditional_, unconditional_;
};

// A smooth generic pair: eps_c = tanh(x) + 0.1 sigma, eps_u = 0.5 x - sin(x) / (1 + sigma).
FakeDenoiser generic_denoiser() {
  return FakeDenoiser([](const at::Tensor& x, double s) { return at::tanh(x) + 0.1 * s; },
                      [](const at::Tensor& x, double s) { return 0.5 * x - at::sin(x) / (1 + s); });
}

at::Tensor labels_of(std::int64_t batch) {
  return at::arange(batch, at::TensorOptions().dtype(at::kLong)) % kNull;
}

// Runs one trajectory at fixed x through the given sigmas (step = evaluation index).
std::vector<at::Tensor> drive(dd::DenoisingFunction& f, const at::Tensor& x,
                              const std::vector<double>& sigmas) {
  f.begin(x.size(0));
  std::vector<at::Tensor> out;
  const auto steps = static_cast<std::int64_t>(sigmas.size());
  for (std::int64_t k = 0; k < steps; ++k)
    out.push_back(f.denoise(x, {sigmas[static_cast<std::size_t>(k)], k, steps}));
  return out;
}

std::vector<std::int64_t> as_vector(const at::Tensor& t) {
  const auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

const std::vector<double> kSigmas = {5, 3, 2, 1, 0.5, 0.2};

// --- Adaptive Guidance on a constructed case ---------------------------------------------------

// eps_c = (2, 0); eps_u = (cos theta, sin theta) with theta = offset_i + rate_i sigma for sample
// i = x[0], so gamma = cos(theta) crosses gamma_bar = cos(0.45) at a known sigma per sample.
TEST(Guidance, AdaptiveGuidanceSwitchesOffAtTheRightEvaluation) {
  const std::vector<double> offset = {0, 0, 0, 0.5}, rate = {0.1, 0.2, 0.3, 0.2};
  FakeDenoiser fake(
      [](const at::Tensor&, double) {
        return at::tensor({2.0, 0.0}, kDouble).reshape({1, 2});
      },
      [&](const at::Tensor& x, double s) {
        const auto i = static_cast<std::size_t>(std::lround(x[0][0].item<double>()));
        const double theta = offset[i] + rate[i] * s;
        return at::tensor({std::cos(theta), std::sin(theta)}, kDouble).reshape({1, 2});
      });
  const std::vector<double> sigmas = {10, 8, 6, 4, 3, 2, 1, 0.5};
  // theta per evaluation: sample 0: 1.0 .8 .6 [.4] -> off at 3; sample 1: ... .6 [.4] at 5;
  // sample 2: ... .6 [.3] at 6; sample 3: >= 0.6 always -> never.
  const auto x = at::tensor({0.0, 0.5, 1.0, 0.5, 2.0, 0.5, 3.0, 0.5}, kDouble).reshape({4, 2});
  const double w = 3.0;
  dd::GuidedDenoising ag(fake, labels_of(4),
                         dd::GuidanceOptions().policy("ag").scale(w).gamma_bar(std::cos(0.45)));
  const auto out = drive(ag, x, sigmas);

  EXPECT_EQ(as_vector(ag.switched_off_at()), (std::vector<std::int64_t>{3, 5, 6, -1}));
  EXPECT_EQ(as_vector(ag.nfe_per_sample()), (std::vector<std::int64_t>{12, 14, 15, 16}));
  EXPECT_EQ(ag.nfe(), 57);
  EXPECT_EQ(ag.unconditional_batch_sizes(), (std::vector<std::int64_t>{4, 4, 4, 4, 3, 3, 2, 1}));
  EXPECT_EQ(fake.calls, (std::vector<std::int64_t>{8, 8, 8, 8, 7, 7, 6, 5}));

  const auto gamma = ag.gamma_history();
  ASSERT_EQ(gamma.sizes(), (at::IntArrayRef{8, 4}));
  EXPECT_NEAR(gamma[0][0].item<double>(), std::cos(1.0), 1e-14);
  EXPECT_NEAR(gamma[3][0].item<double>(), std::cos(0.4), 1e-14);
  EXPECT_TRUE(std::isnan(gamma[4][0].item<double>()));
  EXPECT_NEAR(gamma[7][3].item<double>(), std::cos(0.6), 1e-14);
  EXPECT_TRUE(std::isnan(gamma[7][2].item<double>()));

  // At its switch-off evaluation a sample still gets the guided estimate, after it D_c.
  const auto eps_u0 = at::tensor({std::cos(0.4), std::sin(0.4)}, kDouble);
  const auto eps_c = at::tensor({2.0, 0.0}, kDouble);
  const auto guided = x[0] - 4.0 * (eps_u0 + w * (eps_c - eps_u0));
  EXPECT_TRUE(at::allclose(out[3][0], guided, 0, 1e-13));
  EXPECT_TRUE(at::allclose(out[4][0], x[0] - 3.0 * eps_c, 0, 1e-13));

  // Armed, then sticky (begin() resets both): a gamma above gamma_bar before the sample's gamma
  // was ever at or below it does not cut off; after a low gamma, the next high one does; a later
  // low gamma does not turn guidance back on.
  ag.begin(4);
  EXPECT_EQ(as_vector(ag.switched_off_at()), (std::vector<std::int64_t>{-1, -1, -1, -1}));
  ag.denoise(x, {0.5, 0, 4});  // theta 0.05..0.15 for samples 0-2: high, but not armed yet
  EXPECT_EQ(as_vector(ag.switched_off_at()), (std::vector<std::int64_t>{-1, -1, -1, -1}));
  ag.denoise(x, {10.0, 1, 4});  // theta >= 1: low, arms every sample
  ag.denoise(x, {0.5, 2, 4});   // high again: samples 0-2 off at 2 (sample 3: theta 0.6, low)
  ag.denoise(x, {10.0, 3, 4});  // low again: they stay off
  EXPECT_EQ(as_vector(ag.switched_off_at()), (std::vector<std::int64_t>{2, 2, 2, -1}));
  EXPECT_EQ(as_vector(ag.nfe_per_sample()), (std::vector<std::int64_t>{7, 7, 7, 8}));
  // The paper's rule as written (no arming): the first high gamma cuts off.
  dd::GuidedDenoising unarmed(
      fake, labels_of(4),
      dd::GuidanceOptions().policy("ag").scale(w).gamma_bar(std::cos(0.45)).ag_arming(false));
  unarmed.begin(4);
  unarmed.denoise(x, {0.5, 0, 2});
  unarmed.denoise(x, {10.0, 1, 2});
  EXPECT_EQ(as_vector(unarmed.switched_off_at()), (std::vector<std::int64_t>{0, 0, 0, -1}));
  EXPECT_EQ(as_vector(unarmed.nfe_per_sample()), (std::vector<std::int64_t>{3, 3, 3, 4}));

  // gamma_bar = 1 never cuts off.
  dd::GuidedDenoising never(fake, labels_of(4), dd::GuidanceOptions().policy("ag").gamma_bar(1.0));
  drive(never, x, sigmas);
  EXPECT_EQ(never.nfe(), 64);
}

// --- NFE counts and batches of every policy ----------------------------------------------------

TEST(Guidance, NfePerSampleIsExactForEveryPolicy) {
  const auto x = at::randn({5, 2}, gen(1), kDouble);
  const auto count = [&](const dd::GuidanceOptions& options, std::vector<std::int64_t>* sizes) {
    auto fake = generic_denoiser();
    dd::GuidedDenoising f(fake, labels_of(5), options);
    drive(f, x, kSigmas);
    const auto nfe = as_vector(f.nfe_per_sample());
    for (const auto n : nfe) EXPECT_EQ(n, nfe[0]);  // no per-sample cutoff in these policies
    EXPECT_EQ(f.nfe(), 5 * nfe[0]);
    if (sizes) *sizes = fake.calls;
    return nfe[0];
  };
  std::vector<std::int64_t> sizes;
  EXPECT_EQ(count(dd::GuidanceOptions().policy("none").scale(4), &sizes), 6);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>(6, 5)));
  EXPECT_EQ(count(dd::GuidanceOptions().policy("cfg").scale(3), &sizes), 12);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>(6, 10)));
  EXPECT_EQ(count(dd::GuidanceOptions().policy("cfg").scale(1), &sizes), 6);
  EXPECT_EQ(count(dd::GuidanceOptions().policy("cfg").scale(0), nullptr), 12);
  // Guided where 1 < sigma <= 3: the evaluations at 3 and 2.
  EXPECT_EQ(
      count(dd::GuidanceOptions().policy("interval").scale(3).sigma_lo(1).sigma_hi(3), &sizes), 8);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{5, 10, 10, 5, 5, 5}));
  // linear 3 -> 1 over 6 steps: only the last step has weight 1.
  dd::WeightSchedule linear;
  linear.start(3).end(1);
  EXPECT_EQ(count(dd::GuidanceOptions().policy("schedule").schedule(linear), nullptr), 11);
  EXPECT_EQ(count(dd::GuidanceOptions()
                      .policy("schedule")
                      .schedule(dd::WeightSchedule(linear).shape(dd::WeightShape::cosine)),
                  nullptr),
            11);
  // step at 0.5: t = 0, 0.2, 0.4 guided.
  EXPECT_EQ(count(dd::GuidanceOptions()
                      .policy("schedule")
                      .schedule(dd::WeightSchedule(linear).shape(dd::WeightShape::step)),
                  &sizes),
            9);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{10, 10, 10, 5, 5, 5}));
  // ag never cutting off (gamma_bar 1) is cfg.
  EXPECT_EQ(count(dd::GuidanceOptions().policy("ag").scale(3).gamma_bar(1), nullptr), 12);
}

TEST(Guidance, WeightScheduleShapes) {
  dd::WeightSchedule s;
  s.start(5).end(1);
  EXPECT_DOUBLE_EQ(s.weight(0, 5), 5.0);
  EXPECT_DOUBLE_EQ(s.weight(2, 5), 3.0);
  EXPECT_EQ(s.weight(4, 5), 1.0);
  s.shape(dd::WeightShape::cosine);
  EXPECT_EQ(s.weight(0, 5), 5.0);
  EXPECT_NEAR(s.weight(1, 5), 1 + 4 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-14);
  EXPECT_EQ(s.weight(4, 5), 1.0);
  s.shape(dd::WeightShape::step).cut(0.3);
  EXPECT_EQ(s.weight(1, 5), 5.0);  // t = 0.25
  EXPECT_EQ(s.weight(2, 5), 1.0);  // t = 0.5
  EXPECT_EQ(s.weight(0, 1), 5.0);
  EXPECT_EQ(dd::parse_weight_shape("cosine"), dd::WeightShape::cosine);
  expect_error<std::invalid_argument>([] { dd::parse_weight_shape("exp"); }, {"exp", "linear"});
  expect_error<std::invalid_argument>([&] { s.weight(5, 5); }, "out of range");
}

// --- the combination itself ---------------------------------------------------------------------

TEST(Guidance, CfgCombinesAndWeightOneIsTheConditionalModel) {
  const auto x = at::randn({4, 3}, gen(2), kDouble);
  const auto labels = labels_of(4);
  auto fake = generic_denoiser();
  const auto d_c = fake.denoise(x, 2.0, labels);
  const auto d_u = fake.denoise(x, 2.0, at::full({4}, kNull, at::kLong));

  dd::GuidedDenoising one(fake, labels, dd::GuidanceOptions().policy("cfg").scale(1));
  one.begin(4);
  EXPECT_TRUE(at::equal(one.denoise(x, {2.0, 0, 1}), d_c));
  dd::GuidedDenoising none(fake, labels, dd::GuidanceOptions().policy("none").scale(7));
  none.begin(4);
  EXPECT_TRUE(at::equal(none.denoise(x, {2.0, 0, 1}), d_c));

  dd::GuidedDenoising cfg(fake, labels, dd::GuidanceOptions().policy("cfg").scale(2.5));
  cfg.begin(4);
  const auto out = cfg.denoise(x, {2.0, 0, 1});
  EXPECT_TRUE(at::allclose(out, d_u + 2.5 * (d_c - d_u), 1e-13, 1e-13));
  EXPECT_FALSE(at::allclose(out, d_c, 1e-3, 1e-3));
  // The cosine is recorded for every evaluated unconditional branch.
  const auto e_c = (x - d_c) / 2.0, e_u = (x - d_u) / 2.0;
  const auto expected = (e_c * e_u).sum(1) / (e_c.norm(2, {1}) * e_u.norm(2, {1}));
  EXPECT_TRUE(at::allclose(cfg.gamma_history()[0], expected, 1e-13, 1e-13));
}

TEST(Guidance, RescaleZeroIsPlainCfgAndOneMatchesTheFormula) {
  const auto x = at::randn({3, 4}, gen(3), kDouble) * 2;
  const auto labels = labels_of(3);
  auto fake = generic_denoiser();
  const double sigma = 1.5, w = 4.0;
  dd::GuidedDenoising plain(fake, labels, dd::GuidanceOptions().scale(w));
  dd::GuidedDenoising zero(fake, labels, dd::GuidanceOptions().scale(w).rescale(0.0));
  dd::GuidedDenoising full(fake, labels, dd::GuidanceOptions().scale(w).rescale(1.0));
  dd::GuidedDenoising half(fake, labels, dd::GuidanceOptions().scale(w).rescale(0.5));
  for (auto* f : {&plain, &zero, &full, &half}) f->begin(3);
  const auto p = plain.denoise(x, {sigma, 0, 1});
  EXPECT_TRUE(at::equal(zero.denoise(x, {sigma, 0, 1}), p));
  const auto r1 = full.denoise(x, {sigma, 0, 1});
  const auto r05 = half.denoise(x, {sigma, 0, 1});

  const auto d_c = fake.denoise(x, sigma, labels);
  for (std::int64_t i = 0; i < 3; ++i) {
    // By hand: eps of both branches, cfg, unbiased standard deviations over the 4 elements.
    std::vector<double> ec(4), cfg(4);
    for (int j = 0; j < 4; ++j) {
      const double xv = x[i][j].item<double>();
      ec[j] = (xv - d_c[i][j].item<double>()) / sigma;
      cfg[j] = (xv - p[i][j].item<double>()) / sigma;
    }
    const auto sd = [](const std::vector<double>& v) {
      double m = 0, s = 0;
      for (const double a : v) m += a / v.size();
      for (const double a : v) s += (a - m) * (a - m);
      return std::sqrt(s / (v.size() - 1));
    };
    const double ratio = sd(ec) / sd(cfg);
    EXPECT_GT(std::abs(ratio - 1), 1e-3);  // the rescale does something here
    for (int j = 0; j < 4; ++j) {
      const double xv = x[i][j].item<double>();
      EXPECT_NEAR(r1[i][j].item<double>(), xv - sigma * cfg[j] * ratio, 1e-12);
      EXPECT_NEAR(r05[i][j].item<double>(), xv - sigma * (0.5 * cfg[j] * ratio + 0.5 * cfg[j]),
                  1e-12);
    }
  }
}

// --- LinearAG ------------------------------------------------------------------------------------

// Trajectories whose eps_u follows eps_u^k = a_k c^k + b_k1 u^(k-1) + c_k1 c^(k-1) + b_k2 u^(k-2)
// + c_k2 c^(k-2) exactly for k >= 2, with random eps_c, eps_u^0 and eps_u^1. (An exact rule at
// k = 1 as well would make the history-2 fit at k = 2 rank-deficient: u^1 would be a combination
// of the other regressors.)
std::vector<dd::GuidanceTrajectory> synthetic_trajectories(
    const std::vector<std::vector<double>>& coef, std::uint64_t seed) {
  const std::size_t k_count = coef.size();
  std::vector<dd::GuidanceTrajectory> out;
  for (std::uint64_t t = 0; t < 2; ++t) {
    auto g = gen(seed + t);
    dd::GuidanceTrajectory tr;
    for (std::size_t k = 0; k < k_count; ++k) {
      tr.sigma.push_back(10.0 / (1.0 + static_cast<double>(k)));
      tr.conditional.push_back(at::randn({5, 3}, g, kDouble));
      if (k <= 1) {
        tr.unconditional.push_back(at::randn({5, 3}, g, kDouble));
        continue;
      }
      const auto& a = coef[k];
      auto u =
          a[0] * tr.conditional[k] + a[1] * tr.unconditional[k - 1] + a[2] * tr.conditional[k - 1];
      if (k >= 2) u = u + a[3] * tr.unconditional[k - 2] + a[4] * tr.conditional[k - 2];
      tr.unconditional.push_back(u);
    }
    out.push_back(tr);
  }
  return out;
}

const std::vector<std::vector<double>> kCoefficients = {{},
                                                        {},
                                                        {0.5, 0.3, 0.1, -0.2, 0.05},
                                                        {1.1, -0.4, 0.25, 0.3, 0.0},
                                                        {0.9, 0.1, 0.1, 0.1, -0.3},
                                                        {0.2, 0.6, -0.5, 0.15, 0.4}};

TEST(Guidance, LinearAGFitRecoversKnownCoefficients) {
  auto trajectories = synthetic_trajectories(kCoefficients, 10);
  // A sample without its unconditional estimate at evaluation 3 is left out of the fits of 3..5.
  trajectories[1].unconditional[3][2].fill_(std::numeric_limits<double>::quiet_NaN());
  const auto model = dd::LinearAG::fit(trajectories, dd::LinearAGOptions().history(2));
  ASSERT_EQ(model.evaluations(), 6);
  EXPECT_EQ(model.history(), 2);
  EXPECT_EQ(model.step(0).history, 0);
  EXPECT_TRUE(model.step(0).coefficients.empty());
  EXPECT_EQ(model.step(1).history, 1);
  EXPECT_GT(model.step(1).relative_residual, 0.2);  // random eps_u^1: not explained
  for (std::int64_t k = 2; k < 6; ++k) {
    const auto& s = model.step(k);
    ASSERT_EQ(s.history, 2);
    ASSERT_EQ(s.coefficients.size(), kCoefficients[static_cast<std::size_t>(k)].size());
    for (std::size_t j = 0; j < s.coefficients.size(); ++j)
      EXPECT_NEAR(s.coefficients[j], kCoefficients[static_cast<std::size_t>(k)][j], 1e-12)
          << "k " << k << " coefficient " << j;
    EXPECT_LT(s.relative_residual, 1e-13);
    EXPECT_DOUBLE_EQ(s.sigma, 10.0 / (1.0 + k));
  }
  const auto flags = [](const dd::LinearAG& m) {
    std::vector<bool> f;
    for (std::int64_t k = 0; k < m.evaluations(); ++k) f.push_back(m.predicted(k));
    return f;
  };
  // Predicted: k < 0.5 * 6 with a residual <= 0.2 -> 2 only.
  EXPECT_EQ(flags(model), (std::vector<bool>{false, false, true, false, false, false}));
  EXPECT_EQ(model.predicted_count(), 1);
  // Over the whole trajectory: alternating, or at most two in a row.
  const auto all = dd::LinearAGOptions().history(2).first_fraction(1.0);
  EXPECT_EQ(flags(dd::LinearAG::fit(trajectories, all)),
            (std::vector<bool>{false, false, true, false, true, false}));
  EXPECT_EQ(flags(dd::LinearAG::fit(trajectories, dd::LinearAGOptions(all).max_consecutive(2))),
            (std::vector<bool>{false, false, true, true, false, true}));
  // With history 1 the data are not explained: residuals everywhere, nothing predicted.
  const auto short_fit = dd::LinearAG::fit(
      trajectories, dd::LinearAGOptions().history(1).max_residual(1e-6).first_fraction(1.0));
  for (std::int64_t k = 1; k < 6; ++k) EXPECT_GT(short_fit.step(k).relative_residual, 1e-3) << k;
  EXPECT_EQ(short_fit.predicted_count(), 0);

  // predict() applies the coefficients.
  const auto& tr = trajectories[0];
  const auto predicted = model.predict(4, tr.conditional[4], {tr.conditional[3], tr.conditional[2]},
                                       {tr.unconditional[3], tr.unconditional[2]});
  EXPECT_TRUE(at::allclose(predicted, tr.unconditional[4], 1e-12, 1e-12));

  expect_error<std::invalid_argument>([] { dd::LinearAG::fit({}); }, "no trajectories");
  expect_error<std::invalid_argument>(
      [&] { dd::LinearAG::fit(trajectories, dd::LinearAGOptions().history(0)); }, "history");
  auto bad = trajectories;
  bad[1].sigma[2] = 7.0;
  expect_error<std::invalid_argument>([&] { dd::LinearAG::fit(bad); }, {"trajectory 1", "sigma"});
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("deepsolve_test_guidance_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Guidance, LinearAGFileRoundTripAndCorruptFiles) {
  auto model = dd::LinearAG::fit(synthetic_trajectories(kCoefficients, 20),
                                 dd::LinearAGOptions().history(2));
  model.set_predicted({false, true, true, false, true, false});
  const auto path = temp_path("model.lag");
  model.save(path);
  const auto loaded = dd::LinearAG::load(path);
  ASSERT_EQ(loaded.evaluations(), model.evaluations());
  for (std::int64_t k = 0; k < model.evaluations(); ++k) {
    const auto &a = model.step(k), &b = loaded.step(k);
    EXPECT_EQ(a.sigma, b.sigma);
    EXPECT_EQ(a.history, b.history);
    EXPECT_EQ(a.coefficients, b.coefficients);  // bit for bit
    EXPECT_EQ(a.predicted, b.predicted);
    EXPECT_TRUE(a.relative_residual == b.relative_residual ||
                (std::isnan(a.relative_residual) && std::isnan(b.relative_residual)));
  }

  // A flipped byte of the payload fails the checksum.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto write = [&](const std::string& contents) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
  };
  auto flipped = bytes;
  flipped[bytes.size() - 10] ^= 0x04;
  write(flipped);
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, {path, "CRC"});
  write(bytes.substr(0, bytes.size() - 7));
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, path);
  // A well-formed archive whose text is not a model.
  deepsolve::learned::write_archive(
      path, "linear-ag", {"deepsolve-linear-ag 1\nevaluations 2 history 1\n0 1 0 0 nan\n"});
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, {path, "step 1"});
  deepsolve::learned::write_archive(path, "linear-ag",
                                    {"deepsolve-linear-ag 1\nevaluations 2 history 1\n0 1 0 0 nan\n"
                                     "1 0.5 1 0 0 0.5 zero 1\n"});
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, {path, "malformed"});
  deepsolve::learned::write_archive(path, "model", {"x"});
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, path);
  std::filesystem::remove(path);
  expect_error<std::runtime_error>([&] { dd::LinearAG::load(path); }, path);

  expect_error<std::invalid_argument>(
      [&] {
        model.set_predicted({true, false, false, false, false, false});
      },
      "evaluation 0");
}

// eps_c = p(sigma) x + q(sigma) sin(x), eps_u = r(sigma) x + t(sigma) sin(x): at a fixed x every
// eps_u^k lies in the span of eps_c^k and eps_c^(k-1), so the fitted prediction is exact and
// linear-ag reproduces full CFG with fewer NFEs.
TEST(Guidance, LinearAGPolicyPredictsAtMarkedEvaluations) {
  FakeDenoiser fake(
      [](const at::Tensor& x, double s) { return (1 + 0.1 * s) * x + 0.3 * s * at::sin(x); },
      [](const at::Tensor& x, double s) { return (0.5 - 0.05 * s) * x - 0.2 * at::sin(x); });
  const auto x = at::randn({6, 3}, gen(4), kDouble);
  const auto labels = labels_of(6);
  const std::vector<double> sigmas = {8, 6, 4, 3, 2, 1, 0.5, 0.25};
  const double w = 2.5;

  dd::GuidedDenoising recorder(fake, labels, dd::GuidanceOptions().scale(w).record(true));
  const auto reference = drive(recorder, x, sigmas);
  ASSERT_EQ(recorder.trajectory().conditional.size(), 8u);
  auto model = std::make_shared<dd::LinearAG>(dd::LinearAG::fit({recorder.trajectory()}));
  // first half, alternating: 1 and 3.
  EXPECT_EQ(model->predicted_count(), 2);
  EXPECT_TRUE(model->predicted(1) && model->predicted(3));

  fake.calls.clear();
  dd::GuidedDenoising lag(
      fake, labels,
      dd::GuidanceOptions().policy("linear-ag").scale(w).gamma_bar(1).linear_ag(model));
  const auto out = drive(lag, x, sigmas);
  for (std::size_t k = 0; k < sigmas.size(); ++k)
    EXPECT_TRUE(at::allclose(out[k], reference[k], 1e-10, 1e-10)) << "evaluation " << k;
  EXPECT_EQ(as_vector(lag.nfe_per_sample()), std::vector<std::int64_t>(6, 14));
  EXPECT_EQ(as_vector(lag.predicted_per_sample()), std::vector<std::int64_t>(6, 2));
  EXPECT_EQ(lag.unconditional_batch_sizes(), (std::vector<std::int64_t>{6, 0, 6, 0, 6, 6, 6, 6}));
  EXPECT_EQ(fake.calls, (std::vector<std::int64_t>{12, 6, 12, 6, 12, 12, 12, 12}));
  EXPECT_TRUE(std::isnan(lag.gamma_history()[1][0].item<double>()));

  // With the AG cutoff as well: the cosine is measured at evaluated branches only.
  dd::GuidedDenoising lag_ag(
      fake, labels,
      dd::GuidanceOptions().policy("linear-ag").scale(w).gamma_bar(0.5).linear_ag(model));
  drive(lag_ag, x, sigmas);
  const auto off = as_vector(lag_ag.switched_off_at());
  for (const auto k : off) EXPECT_TRUE(k == -1 || k == 0 || k == 2 || k >= 4) << k;

  // Another schedule is refused at the first predicted evaluation.
  dd::GuidedDenoising wrong(fake, labels,
                            dd::GuidanceOptions().policy("linear-ag").linear_ag(model));
  expect_error<std::invalid_argument>(
      [&] {
        drive(wrong, x, {8, 5, 4, 3});
      },
      {"LinearAG", "sigma"});
}

// --- errors -------------------------------------------------------------------------------------

TEST(Guidance, OptionErrorsNameTheOptionAndValue) {
  auto fake = generic_denoiser();
  const auto labels = labels_of(2);
  const auto make = [&](const dd::GuidanceOptions& o) { dd::GuidedDenoising f(fake, labels, o); };
  expect_error<std::invalid_argument>([&] { make(dd::GuidanceOptions().policy("pag")); },
                                      {"pag", "none, cfg, interval, schedule, ag, linear-ag"});
  expect_error<std::invalid_argument>([&] { make(dd::GuidanceOptions().scale(-0.5)); },
                                      {"scale", "-0.5"});
  expect_error<std::invalid_argument>(
      [&] { make(dd::GuidanceOptions().policy("ag").gamma_bar(0)); }, {"gamma_bar", "0"});
  expect_error<std::invalid_argument>(
      [&] { make(dd::GuidanceOptions().policy("ag").gamma_bar(1.5)); }, {"gamma_bar", "1.5"});
  expect_error<std::invalid_argument>(
      [&] { make(dd::GuidanceOptions().policy("interval").sigma_lo(2).sigma_hi(1)); },
      {"sigma_lo", "2", "sigma_hi", "1"});
  expect_error<std::invalid_argument>([&] { make(dd::GuidanceOptions().rescale(1.25)); },
                                      {"rescale", "1.25"});
  expect_error<std::invalid_argument>(
      [&] {
        make(dd::GuidanceOptions().policy("schedule").schedule(dd::WeightSchedule().end(-1)));
      },
      {"schedule.end", "-1"});
  expect_error<std::invalid_argument>([&] { make(dd::GuidanceOptions().policy("linear-ag")); },
                                      "LinearAG");
  EXPECT_EQ(dd::guidance_policy_names(), "none, cfg, interval, schedule, ag, linear-ag");

  dd::GuidedDenoising f(fake, labels, dd::GuidanceOptions());
  expect_error<std::invalid_argument>([&] { f.begin(3); }, {"2 labels", "batch of 3"});
  f.begin(2);
  expect_error<std::invalid_argument>(
      [&] {
        f.denoise(at::zeros({2, 2}, kDouble), {0.0, 0, 1});
      },
      "sigma");
  expect_error<std::invalid_argument>(
      [&] { dd::GuidedDenoising g(fake, labels.to(at::kInt), dd::GuidanceOptions()); }, "int64");
}

}  // namespace
