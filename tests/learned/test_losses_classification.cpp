// Classification losses of deepsolve::learned: AnyLoss, the comp-sum family and its smooth
// adversarial variant, Z-loss, and the name registry. Golden values from the reference notes
// (docs/learned.md, "Losses"); gradients against central differences in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "deepsolve/learned/losses/adversarial_comp_sum.hpp"
#include "deepsolve/learned/losses/any_loss.hpp"
#include "deepsolve/learned/losses/comp_sum.hpp"
#include "deepsolve/learned/losses/registry.hpp"
#include "deepsolve/learned/losses/z_loss.hpp"
#include "loss_test_util.hpp"

namespace {

// The notes' AnyLoss example: y = [1, 0, 1, 0], p = [.9, .2, .6, .4].
const at::Tensor kY = f64({1, 0, 1, 0});
const at::Tensor kP = f64({0.9, 0.2, 0.6, 0.4});

double any_loss_value(dl::AnyLossMetric metric, double L, double eps = 0.0) {
  return F::any_loss(kP, kY, dl::AnyLossOptions(metric).amplifier(L).eps(eps).from_logits(false))
      .item<double>();
}

// 1 - metric of hard predictions p > 1/2.
double hard_loss(dl::AnyLossMetric metric, const at::Tensor& p, const at::Tensor& y) {
  const at::Tensor yhat = (p > 0.5).to(torch::kDouble);
  const double n = static_cast<double>(p.numel());
  const double tp = (y * yhat).sum().item<double>();
  const double y1 = y.sum().item<double>();
  const double y0 = n - y1;
  const double fn = y1 - tp;
  const double fp = yhat.sum().item<double>() - tp;
  const double tn = n - y1 - fp;
  switch (metric) {
    case dl::AnyLossMetric::accuracy:
      return 1 - (tp + tn) / n;
    case dl::AnyLossMetric::f_beta:
      return 1 - 2 * tp / (y1 + tp + fp);
    case dl::AnyLossMetric::geometric_mean:
      return 1 - std::sqrt(tp * tn / (y1 * y0));
    case dl::AnyLossMetric::balanced_accuracy:
      return 1 - (y0 * tp + y1 * tn) / (2 * y1 * y0);
    case dl::AnyLossMetric::mcc:
      return 1 - (tp * tn - fp * fn) / std::sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  }
  return NAN;
}

const dl::AnyLossMetric kMetrics[] = {dl::AnyLossMetric::accuracy, dl::AnyLossMetric::f_beta,
                                      dl::AnyLossMetric::geometric_mean,
                                      dl::AnyLossMetric::balanced_accuracy, dl::AnyLossMetric::mcc};

}  // namespace

// ---------------------------------------------------------------------------------------- AnyLoss

TEST(AnyLoss, AmplifierGoldenValues) {
  const at::Tensor a = F::anyloss_amplifier(kP, 10.0);
  const double expected[] = {0.982014, 0.047426, 0.731059, 0.268941};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i].item<double>(), expected[i], 5e-7);
}

TEST(AnyLoss, GoldenValuesL10) {
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::accuracy, 10), 0.150824, 5e-7);
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::f_beta, 10), 0.149722, 5e-7);
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::geometric_mean, 10), 0.150856, 5e-7);
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::balanced_accuracy, 10), 0.150824, 5e-7);
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::mcc, 10), 0.301572, 5e-7);
  // Without the square root: 1 - TP TN / (y1 y0), TP = 1.713072, TN = 1.683633.
  const double no_sqrt = F::any_loss(kP, kY,
                                     dl::AnyLossOptions(dl::AnyLossMetric::geometric_mean)
                                         .amplifier(10)
                                         .eps(0)
                                         .gmean_sqrt(false)
                                         .from_logits(false))
                             .item<double>();
  EXPECT_NEAR(no_sqrt, 1 - 1.713072 * 1.683633 / 4, 2e-6);
  // The default eps = 1e-5 moves the values by about 1e-5 at most.
  for (auto m : kMetrics)
    EXPECT_NEAR(any_loss_value(m, 10, 1e-5), any_loss_value(m, 10), 1e-5) << dl::metric_name(m);
}

TEST(AnyLoss, GoldenValueL73AndDefaults) {
  EXPECT_NEAR(any_loss_value(dl::AnyLossMetric::accuracy, 73), 3.3754e-4, 5e-9);
  const dl::AnyLossOptions defaults;
  EXPECT_EQ(defaults.amplifier(), 73.0);
  EXPECT_EQ(defaults.eps(), 1e-5);
  EXPECT_EQ(defaults.metric(), dl::AnyLossMetric::f_beta);
  EXPECT_EQ(defaults.beta(), 1.0);
}

TEST(AnyLoss, FBetaWeighsRecall) {
  // F-beta = (1 + b²) TP / (b² y1 + sum Ŷ), checked against the formula for b = 2.
  const at::Tensor a = F::anyloss_amplifier(kP, 10.0);
  const double tp = (kY * a).sum().item<double>();
  const double expected = 1 - 5 * tp / (4 * 2 + a.sum().item<double>());
  const double got =
      F::any_loss(kP, kY, dl::AnyLossOptions().beta(2).amplifier(10).eps(0).from_logits(false))
          .item<double>();
  EXPECT_NEAR(got, expected, 1e-12);
}

TEST(AnyLoss, TendsToTheHardMetricAsLGrows) {
  torch::manual_seed(3);
  const std::int64_t n = 60;
  at::Tensor p = torch::rand({n}, torch::kDouble);
  // Keep every p at least 1e-3 away from 1/2, so L = 1e5 saturates the amplifier completely.
  p = torch::where((p - 0.5).abs() < 1e-3, p + 0.01, p);
  const at::Tensor y = (torch::rand({n}, torch::kDouble) < 0.3).to(torch::kDouble);
  for (auto m : kMetrics) {
    const double hard = hard_loss(m, p, y);
    // Far from the hard metric for a small L, equal to it once A saturates.
    const auto gap = [&](double L) {
      return std::abs(
          F::any_loss(p, y, dl::AnyLossOptions(m).amplifier(L).eps(0).from_logits(false))
              .item<double>() -
          hard);
    };
    EXPECT_GT(gap(2), 1e-3) << dl::metric_name(m);
    EXPECT_LT(gap(1000), gap(2)) << dl::metric_name(m);
    EXPECT_LT(gap(1e5), 1e-9) << dl::metric_name(m);
    EXPECT_GT(hard, 0.05) << "the data should not be perfectly separated";
  }
}

TEST(AnyLoss, GradientsMatchFiniteDifferences) {
  torch::manual_seed(4);
  const at::Tensor logits = torch::randn({12}, torch::kDouble);
  const at::Tensor y = f64({1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0});
  for (auto m : kMetrics) {
    SCOPED_TRACE(dl::metric_name(m));
    const auto options = dl::AnyLossOptions(m).amplifier(5);
    expect_gradient_matches([&](const at::Tensor& z) { return F::any_loss(z, y, options); },
                            logits);
  }
  // One-vs-rest over 3 classes (softmax probabilities), macro mean.
  const at::Tensor multi = torch::randn({10, 3}, torch::kDouble);
  const at::Tensor classes = torch::tensor({0, 1, 2, 0, 0, 1, 2, 2, 0, 1});
  expect_gradient_matches(
      [&](const at::Tensor& z) {
        return F::any_loss(z, classes, dl::AnyLossOptions(dl::AnyLossMetric::mcc).amplifier(5));
      },
      multi);
}

TEST(AnyLoss, Float32ConfidentSamplesKeepTheirGradient) {
  // Logit 30: σ(30) and A(σ(30)) are exactly 1 in float32; a plain float32 computation loses the
  // gradient of that sample entirely.
  const at::Tensor z = torch::tensor({30.0f, -30.0f, 2.0f, -1.0f}).requires_grad_(true);
  const at::Tensor y = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f});
  {
    const at::Tensor a = torch::sigmoid(73.0f * (torch::sigmoid(z) - 0.5f));
    const at::Tensor g = torch::autograd::grad({(y * a).sum()}, {z})[0];
    EXPECT_EQ(g[0].item<float>(), 0.0f) << "the naive float32 form was expected to lose it";
  }
  const at::Tensor loss = F::any_loss(z, y, dl::AnyLossOptions(dl::AnyLossMetric::f_beta));
  EXPECT_EQ(loss.scalar_type(), torch::kFloat);
  const at::Tensor g = torch::autograd::grad({loss}, {z})[0];
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isfinite(g[i].item<float>()));
    EXPECT_NE(g[i].item<float>(), 0.0f) << "sample " << i;
  }
  EXPECT_LT(g[0].item<float>(), 0.0f) << "raising a true positive's logit lowers 1 - F1";

  // Probabilities exactly 1 in float32, L = 73 and L = 200 (A(1) = 1 even in float64).
  for (double L : {73.0, 200.0}) {
    const at::Tensor p = torch::tensor({1.0f, 0.0f, 0.7f, 0.2f}).requires_grad_(true);
    const at::Tensor l = F::any_loss(p, y, dl::AnyLossOptions().amplifier(L).from_logits(false));
    const at::Tensor gp = torch::autograd::grad({l}, {p})[0];
    EXPECT_NE(gp[0].item<float>(), 0.0f) << "L = " << L;
    EXPECT_NE(gp[1].item<float>(), 0.0f) << "L = " << L;
  }
}

TEST(AnyLoss, ReductionOverColumns) {
  torch::manual_seed(5);
  const at::Tensor logits = torch::randn({20, 3}, torch::kDouble);
  const at::Tensor y = (torch::rand({20, 3}) < 0.4).to(torch::kDouble);
  const auto base = dl::AnyLossOptions(dl::AnyLossMetric::balanced_accuracy);
  const at::Tensor none = F::any_loss(logits, y, dl::AnyLossOptions(base).reduction(torch::kNone));
  ASSERT_EQ(none.sizes(), (std::vector<std::int64_t>{3}));
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(none[c].item<double>(),
                F::any_loss(logits.select(1, c), y.select(1, c), base).item<double>(), 1e-14);
  EXPECT_NEAR(F::any_loss(logits, y, base).item<double>(), none.mean().item<double>(), 1e-14);
  EXPECT_NEAR(
      F::any_loss(logits, y, dl::AnyLossOptions(base).reduction(torch::kSum)).item<double>(),
      none.sum().item<double>(), 1e-14);
  // A binary input gives one 0-dim value under every reduction.
  const at::Tensor b =
      F::any_loss(kP, kY, dl::AnyLossOptions().from_logits(false).reduction(torch::kNone));
  EXPECT_EQ(b.dim(), 0);
}

TEST(AnyLoss, ModuleMatchesFunctional) {
  dl::AnyLoss loss(dl::AnyLossOptions(dl::AnyLossMetric::mcc).amplifier(10).from_logits(false));
  EXPECT_DOUBLE_EQ(loss(kP, kY).item<double>(), any_loss_value(dl::AnyLossMetric::mcc, 10, 1e-5));
  std::ostringstream s;
  s << *loss;
  EXPECT_NE(s.str().find("AnyLoss(metric=mcc, amplifier=10"), std::string::npos) << s.str();
  auto copy = std::dynamic_pointer_cast<dl::AnyLossImpl>(loss->clone());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->options.metric(), dl::AnyLossMetric::mcc);
}

TEST(AnyLoss, BadInput) {
  const auto opts = dl::AnyLossOptions().from_logits(false);
  expect_error<std::invalid_argument>(
      [&] { F::any_loss(kP, kY, dl::AnyLossOptions().amplifier(0)); }, {"amplifier", "0"});
  expect_error<std::invalid_argument>([&] { F::any_loss(kP, kY, dl::AnyLossOptions().beta(-1)); },
                                      {"beta", "-1"});
  expect_error<std::invalid_argument>([&] { F::any_loss(kP, kY, dl::AnyLossOptions().eps(-1e-3)); },
                                      {"eps", "-0.001"});
  expect_error<std::invalid_argument>(
      [&] {
        F::any_loss(kP, f64({1, 0, 2, 0}), opts);
      },
      {"0 or 1", "2"});
  expect_error<std::invalid_argument>(
      [&] {
        F::any_loss(kP, f64({1, 0, 1}), opts);
      },
      {"[3]", "[4]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::any_loss(f64({1.5, 0.2, 0.1, 0.3}), kY, opts);
      },
      {"[0, 1]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::any_loss(torch::zeros({3, 2}, torch::kDouble), torch::tensor({0, 2, 1}));
      },
      {"class index 2", "[0, 2)"});
  expect_error<std::invalid_argument>(
      [&] { F::any_loss(torch::zeros({0}, torch::kDouble), torch::zeros({0})); }, {"empty"});
  expect_error<std::invalid_argument>([&] { dl::AnyLoss(dl::AnyLossOptions().amplifier(-73)); },
                                      {"amplifier", "-73"});
}

// ----------------------------------------------------------------------------------- comp-sum

TEST(CompSum, GoldenValues) {
  const at::Tensor h = torch::tensor({{2.0, 1.0, 0.0}}, torch::kDouble);
  const at::Tensor y = torch::tensor({0});
  const std::pair<double, double> expected[] = {
      {0.0, 0.503215}, {0.5, 0.452113}, {1.0, 0.407606}, {1.5, 0.368754}, {2.0, 0.334759}};
  for (auto [tau, value] : expected)
    EXPECT_NEAR(F::comp_sum_loss(h, y, tau).item<double>(), value, 5e-7) << "tau " << tau;
}

TEST(CompSum, SpecialCases) {
  torch::manual_seed(6);
  const at::Tensor h = 3 * torch::randn({16, 5}, torch::kDouble);
  const at::Tensor y = torch::randint(0, 5, {16});
  const at::Tensor py = torch::softmax(h, 1).gather(1, y.unsqueeze(1)).squeeze(1);
  const auto none = [&](double tau) {
    return F::comp_sum_loss(h, y, dl::CompSumOptions(tau).reduction(torch::kNone));
  };
  EXPECT_TRUE(torch::allclose(
      none(1),
      torch::nn::functional::cross_entropy(
          h, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone)),
      1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(none(0), 1 / py - 1, 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(none(1.5), (1 - py.sqrt()) / 0.5, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(none(1.25), (1 - py.pow(0.25)) / 0.25, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(none(2), 1 - py, 1e-12, 1e-12));
  // Reductions.
  EXPECT_NEAR(F::comp_sum_loss(h, y, 1.5).item<double>(), none(1.5).mean().item<double>(), 1e-14);
  EXPECT_NEAR(F::comp_sum_loss(h, y, dl::CompSumOptions(1.5).reduction(torch::kSum)).item<double>(),
              none(1.5).sum().item<double>(), 1e-12);
}

TEST(CompSum, ContinuousAtTauOne) {
  const at::Tensor h = torch::tensor({{2.0, 1.0, 0.0}, {-4.0, 3.0, 9.0}}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 0});  // r = 0.41 and r = 13.0
  const auto none = [&](double tau) {
    return F::comp_sum_loss(h, y, dl::CompSumOptions(tau).reduction(torch::kNone));
  };
  const at::Tensor at_one = none(1.0);
  for (double delta : {1e-3, 1e-6, 1e-9, 1e-13}) {
    for (double tau : {1 - delta, 1 + delta}) {
      const at::Tensor diff = (none(tau) - at_one).abs();
      // |Φ^τ - r| ≈ |1 - τ| r² / 2 for small |1 - τ|.
      const at::Tensor bound = delta * at_one.pow(2) + 1e-15 * at_one;
      EXPECT_TRUE((diff <= bound).all().item<bool>()) << "tau " << tau << ": " << diff;
    }
  }
  // And in float32.
  const at::Tensor hf = h.to(torch::kFloat);
  const double a = F::comp_sum_loss(hf, y, 1.0).item<double>();
  const double b = F::comp_sum_loss(hf, y, 1.0 + 1e-7).item<double>();
  EXPECT_NEAR(a, b, 1e-5 * a);
}

TEST(CompSum, GradientsMatchFiniteDifferences) {
  torch::manual_seed(7);
  const at::Tensor h = torch::randn({6, 4}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 3, 1, 1, 2, 0});
  for (double tau : {0.0, 0.5, 1.0, 1.0 + 1e-9, 1.5, 2.0, 3.0}) {
    SCOPED_TRACE("tau " + std::to_string(tau));
    expect_gradient_matches([&](const at::Tensor& x) { return F::comp_sum_loss(x, y, tau); }, h);
  }
}

TEST(CompSum, BinaryLogitsAndLargeScores) {
  const at::Tensor z = f64({-2.0, 0.5, 3.0, -0.1});
  const at::Tensor y = f64({0, 1, 1, 1});
  EXPECT_NEAR(F::comp_sum_loss(z, y, 1.0).item<double>(),
              torch::nn::functional::binary_cross_entropy_with_logits(z, y).item<double>(), 1e-14);
  // Huge logits stay finite for τ >= 1 (r is formed with logsumexp).
  const at::Tensor h = torch::tensor({{1000.0, 0.0, -1000.0}}, torch::kDouble);
  for (double tau : {1.0, 1.5, 2.0}) {
    EXPECT_NEAR(F::comp_sum_loss(h, torch::tensor({0}), tau).item<double>(), 0.0, 1e-300);
    EXPECT_TRUE(std::isfinite(F::comp_sum_loss(h, torch::tensor({2}), tau).item<double>()));
  }
  EXPECT_NEAR(F::comp_sum_loss(h, torch::tensor({2}), 1.0).item<double>(), 2000.0, 1e-9);
}

TEST(CompSum, BadInput) {
  const at::Tensor h = torch::zeros({2, 3}, torch::kDouble);
  expect_error<std::invalid_argument>(
      [&] {
        F::comp_sum_loss(h, torch::tensor({0, 1}), -0.5);
      },
      {"tau", "-0.5"});
  expect_error<std::invalid_argument>(
      [&] {
        F::comp_sum_loss(h, torch::tensor({0, 3}), 1.0);
      },
      {"class index 3", "[0, 3)"});
  expect_error<std::invalid_argument>(
      [&] {
        F::comp_sum_loss(h, torch::tensor({0, -1}), 1.0);
      },
      {"class index -1"});
  expect_error<std::invalid_argument>(
      [&] {
        F::comp_sum_loss(h, torch::tensor({0, 1, 1}), 1.0);
      },
      {"[2]"});
  expect_error<std::invalid_argument>([&] { F::comp_sum_loss(h, f64({0, 1}), 1.0); }, {"integer"});
  expect_error<std::invalid_argument>(
      [&] {
        F::comp_sum_loss(torch::zeros({2, 3, 1}), torch::tensor({0, 1}), 1.0);
      },
      {"[N, C]"});
  expect_error<std::invalid_argument>([&] { dl::CompSumLoss(dl::CompSumOptions(-1)); },
                                      {"tau", "-1"});
  dl::CompSumLoss module(dl::CompSumOptions(1.5));
  std::ostringstream s;
  s << *module;
  EXPECT_EQ(s.str(), "deepsolve::learned::CompSumLoss(tau=1.5, reduction=mean)");
}

// ----------------------------------------------------------------- smooth adversarial comp-sum

namespace {

struct Linear {
  at::Tensor w, b;  // scores x wᵀ + b
  at::Tensor operator()(const at::Tensor& x) const { return x.matmul(w.t()) + b; }
};

// M_y = D_y W: row c is w_c - w_y.
at::Tensor difference_matrix(const at::Tensor& w, std::int64_t y) {
  return w - w[y];
}

}  // namespace

TEST(AdversarialCompSum, L2AttackFindsTheTopSingularDirection) {
  torch::manual_seed(8);
  Linear model{torch::randn({4, 3}, torch::kDouble), torch::randn({4}, torch::kDouble)};
  const at::Tensor x = torch::randn({5, 3}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 1, 2, 3, 1});
  const auto opts = dl::AdversarialCompSumOptions().p(2).gamma(0.3).steps(60);
  const at::Tensor x_adv = F::adversarial_input(model, x, y, opts);
  EXPECT_TRUE(((x_adv - x).norm(2, 1) <= 0.3 * (1 + 1e-12)).all().item<bool>());
  const at::Tensor penalty = F::score_difference_norm(model, x, x_adv, y);
  for (int i = 0; i < 5; ++i) {
    const double sup =
        0.3 *
        at::linalg_svdvals(difference_matrix(model.w, y[i].item<std::int64_t>()))[0].item<double>();
    EXPECT_LE(penalty[i].item<double>(), sup * (1 + 1e-12));
    EXPECT_GE(penalty[i].item<double>(), 0.99 * sup) << "sample " << i;
  }
}

TEST(AdversarialCompSum, LinfAttackReachesTheBestVertex) {
  torch::manual_seed(9);
  Linear model{torch::randn({3, 2}, torch::kDouble), torch::zeros({3}, torch::kDouble)};
  const at::Tensor x = torch::randn({4, 2}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 1, 2, 0});
  const double gamma = 0.1;
  const auto opts = dl::AdversarialCompSumOptions().gamma(gamma).steps(20);
  const at::Tensor x_adv = F::adversarial_input(model, x, y, opts);
  EXPECT_LE((x_adv - x).abs().max().item<double>(), gamma * (1 + 1e-12));
  const at::Tensor penalty = F::score_difference_norm(model, x, x_adv, y);
  for (int i = 0; i < 4; ++i) {
    // A convex function's maximum over the box is at a vertex.
    const at::Tensor m = difference_matrix(model.w, y[i].item<std::int64_t>());
    double best = 0;
    for (double s0 : {-gamma, gamma})
      for (double s1 : {-gamma, gamma})
        best = std::max(best, m.matmul(f64({s0, s1})).norm().item<double>());
    EXPECT_NEAR(penalty[i].item<double>(), best, 1e-9 * best) << "sample " << i;
  }
}

TEST(AdversarialCompSum, LossIsCompSumPlusPenalty) {
  torch::manual_seed(10);
  Linear model{torch::randn({3, 2}, torch::kDouble), torch::randn({3}, torch::kDouble)};
  const at::Tensor x = torch::randn({6, 2}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 1, 2, 0, 1, 2});
  const at::Tensor plain =
      F::comp_sum_loss(model(x), y, dl::CompSumOptions(1.5).reduction(torch::kNone));
  const at::Tensor nu0 = F::adversarial_comp_sum_loss(
      model, x, y, dl::AdversarialCompSumOptions().tau(1.5).nu(0).reduction(torch::kNone));
  EXPECT_TRUE(torch::allclose(nu0, plain, 1e-14, 1e-14));
  // 1-D inputs under ℓ∞: the supremum is γ ||w - w_y|| exactly.
  Linear line{torch::randn({3, 1}, torch::kDouble), torch::zeros({3}, torch::kDouble)};
  const at::Tensor x1 = torch::randn({6, 1}, torch::kDouble);
  const at::Tensor with = F::adversarial_comp_sum_loss(
      line, x1, y,
      dl::AdversarialCompSumOptions().tau(1.5).nu(2).gamma(0.2).reduction(torch::kNone));
  const at::Tensor base =
      F::comp_sum_loss(line(x1), y, dl::CompSumOptions(1.5).reduction(torch::kNone));
  for (int i = 0; i < 6; ++i) {
    const double sup =
        0.2 * difference_matrix(line.w, y[i].item<std::int64_t>()).norm().item<double>();
    EXPECT_NEAR(with[i].item<double>(), base[i].item<double>() + 2 * sup, 1e-12);
  }
}

TEST(AdversarialCompSum, GradientMatchesFiniteDifferences) {
  // 1-D inputs under ℓ∞ (the attack always reaches ±γ), so the loss is a smooth function of W.
  torch::manual_seed(11);
  const at::Tensor w0 = torch::randn({3, 1}, torch::kDouble);
  const at::Tensor b = torch::randn({3}, torch::kDouble);
  const at::Tensor x = torch::randn({5, 1}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 1, 2, 2, 1});
  dl::AdversarialCompSumLoss loss(dl::AdversarialCompSumOptions().tau(0.5).nu(1.5).gamma(0.25));
  expect_gradient_matches([&](const at::Tensor& w) { return loss(Linear{w, b}, x, y); }, w0);
}

TEST(AdversarialCompSum, BadInput) {
  Linear model{torch::randn({3, 2}, torch::kDouble), torch::zeros({3}, torch::kDouble)};
  const at::Tensor x = torch::randn({2, 2}, torch::kDouble);
  const at::Tensor y = torch::tensor({0, 1});
  const auto call = [&](const dl::AdversarialCompSumOptions& o) {
    return F::adversarial_comp_sum_loss(model, x, y, o);
  };
  expect_error<std::invalid_argument>([&] { call(dl::AdversarialCompSumOptions().p(1)); },
                                      {"p must be 2 or infinity", "1"});
  expect_error<std::invalid_argument>([&] { call(dl::AdversarialCompSumOptions().gamma(-0.1)); },
                                      {"gamma", "-0.1"});
  expect_error<std::invalid_argument>([&] { call(dl::AdversarialCompSumOptions().nu(-1)); },
                                      {"nu"});
  expect_error<std::invalid_argument>([&] { call(dl::AdversarialCompSumOptions().tau(-1)); },
                                      {"tau"});
  expect_error<std::invalid_argument>([&] { call(dl::AdversarialCompSumOptions().steps(0)); },
                                      {"steps", "0"});
  expect_error<std::invalid_argument>(
      [&] { F::adversarial_comp_sum_loss([](const at::Tensor& t) { return t.sum(1); }, x, y, {}); },
      {"scores [N, C]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::adversarial_comp_sum_loss(model, x, torch::tensor({0, 5}), {});
      },
      {"class index 5"});
}

// ------------------------------------------------------------------------------------- Z-loss

TEST(ZLoss, GoldenValues) {
  const at::Tensor o = torch::tensor({{0.0, 0.0, 3.0}}, torch::kDouble);
  const at::Tensor c = torch::tensor({2});
  EXPECT_NEAR(F::z_loss(o, c).item<double>(), 0.217622, 5e-7);
  EXPECT_NEAR(F::z_loss(o, c, dl::ZLossOptions().a(0.5).b(2)).item<double>(), 1.700558, 5e-7);
  EXPECT_NEAR(F::z_loss(5 * o + 7, c).item<double>(), 0.217622, 5e-7);
  EXPECT_EQ(dl::ZLossOptions().eps(), 1e-12);
}

TEST(ZLoss, InvariantToShiftAndPositiveScale) {
  torch::manual_seed(12);
  const at::Tensor o = torch::randn({8, 6}, torch::kDouble);
  const at::Tensor c = torch::randint(0, 6, {8});
  const auto opts = dl::ZLossOptions().a(2).b(1.5).reduction(torch::kNone);
  const at::Tensor base = F::z_loss(o, c, opts);
  const at::Tensor shift = 10 * torch::randn({8, 1}, torch::kDouble);  // per-sample constants
  const at::Tensor scale = torch::rand({8, 1}, torch::kDouble) * 100 + 0.01;
  EXPECT_TRUE(torch::allclose(F::z_loss(o * scale + shift, c, opts), base, 1e-10, 1e-12));
  // A negative scale is not an invariance: it flips the z-scores.
  EXPECT_FALSE(torch::allclose(F::z_loss(-o, c, opts), base, 1e-3, 1e-3));
}

TEST(ZLoss, GradientsMatchFiniteDifferences) {
  torch::manual_seed(13);
  const at::Tensor o = torch::randn({5, 4}, torch::kDouble);
  const at::Tensor c = torch::tensor({0, 1, 2, 3, 3});
  for (auto opts : {dl::ZLossOptions(), dl::ZLossOptions().a(0.5).b(2)}) {
    expect_gradient_matches([&](const at::Tensor& x) { return F::z_loss(x, c, opts); }, o);
  }
}

TEST(ZLoss, EqualScoresGiveAFiniteGradient) {
  const at::Tensor o = torch::full({2, 4}, 0.25, torch::kDouble).requires_grad_(true);
  const at::Tensor loss = F::z_loss(o, torch::tensor({1, 3}), dl::ZLossOptions().a(2).b(1));
  EXPECT_NEAR(loss.item<double>(), std::log1p(std::exp(2.0)) / 2, 1e-14);  // z = 0
  const at::Tensor g = torch::autograd::grad({loss}, {o})[0];
  EXPECT_TRUE(torch::isfinite(g).all().item<bool>()) << g;
}

TEST(ZLoss, Reductions) {
  torch::manual_seed(14);
  const at::Tensor o = torch::randn({7, 5}, torch::kDouble);
  const at::Tensor c = torch::randint(0, 5, {7});
  const at::Tensor none = F::z_loss(o, c, dl::ZLossOptions().reduction(torch::kNone));
  ASSERT_EQ(none.sizes(), (std::vector<std::int64_t>{7}));
  EXPECT_NEAR(F::z_loss(o, c).item<double>(), none.mean().item<double>(), 1e-14);
  EXPECT_NEAR(F::z_loss(o, c, dl::ZLossOptions().reduction(torch::kSum)).item<double>(),
              none.sum().item<double>(), 1e-13);
  dl::ZLoss module(dl::ZLossOptions().a(3));
  EXPECT_NEAR(module(o, c).item<double>(), F::z_loss(o, c, dl::ZLossOptions().a(3)).item<double>(),
              1e-15);
}

TEST(ZLoss, BadInput) {
  const at::Tensor o = torch::zeros({2, 3}, torch::kDouble);
  const at::Tensor c = torch::tensor({0, 1});
  expect_error<std::invalid_argument>([&] { F::z_loss(o, c, dl::ZLossOptions().a(0)); },
                                      {"a must be > 0", "got 0"});
  expect_error<std::invalid_argument>([&] { F::z_loss(o, c, dl::ZLossOptions().a(-2)); },
                                      {"a", "-2"});
  expect_error<std::invalid_argument>([&] { F::z_loss(o, c, dl::ZLossOptions().eps(-1)); },
                                      {"eps"});
  expect_error<std::invalid_argument>([&] { F::z_loss(o, c, dl::ZLossOptions().b(NAN)); },
                                      {"b must be finite"});
  expect_error<std::invalid_argument>([&] { F::z_loss(torch::zeros({2, 1}), c); }, {"D >= 2"});
  expect_error<std::invalid_argument>(
      [&] {
        F::z_loss(o, torch::tensor({0, 3}));
      },
      {"class index 3"});
  expect_error<std::invalid_argument>([&] { dl::ZLoss(dl::ZLossOptions().a(0)); },
                                      {"a must be > 0"});
}

// ----------------------------------------------------------------------------------- registry

TEST(LossRegistry, EveryNameTrainsBinaryAndMultiClass) {
  torch::manual_seed(15);
  const at::Tensor z = torch::randn({16}, torch::kDouble);
  const at::Tensor yb = (torch::rand({16}) < 0.3).to(torch::kDouble);
  yb[0] = 1;
  yb[1] = 0;
  const at::Tensor h = torch::randn({16, 4}, torch::kDouble);
  const at::Tensor yc = torch::randint(0, 4, {16});
  for (const std::string& name : dl::classification_loss_names()) {
    SCOPED_TRACE(name);
    const dl::ClassificationLoss loss = dl::make_classification_loss(name);
    if (name != "z-loss") {
      at::Tensor x = z.clone().requires_grad_(true);
      const at::Tensor value = loss(x, yb);
      EXPECT_EQ(value.dim(), 0);
      EXPECT_TRUE(std::isfinite(value.item<double>()));
      EXPECT_GT(torch::autograd::grad({value}, {x})[0].abs().sum().item<double>(), 0);
    } else {
      expect_error<std::invalid_argument>([&] { loss(z, yb); }, {"z-loss", "[N, C]"});
    }
    at::Tensor x = h.clone().requires_grad_(true);
    const at::Tensor value = loss(x, yc);
    EXPECT_EQ(value.dim(), 0);
    EXPECT_TRUE(std::isfinite(value.item<double>()));
    EXPECT_GT(torch::autograd::grad({value}, {x})[0].abs().sum().item<double>(), 0);
  }
}

TEST(LossRegistry, NamesMapToTheirLosses) {
  torch::manual_seed(16);
  const at::Tensor h = torch::randn({12, 3}, torch::kDouble);
  const at::Tensor y = torch::randint(0, 3, {12});
  const auto value = [&](const std::string& name, const dl::ClassificationLossOptions& o = {}) {
    return dl::make_classification_loss(name, o)(h, y).item<double>();
  };
  EXPECT_NEAR(value("cross_entropy"), torch::nn::functional::cross_entropy(h, y).item<double>(),
              1e-14);
  EXPECT_EQ(value("CE"), value("cross-entropy"));
  EXPECT_EQ(value("gce"), F::comp_sum_loss(h, y, 1.5).item<double>());
  EXPECT_EQ(value("gce", dl::ClassificationLossOptions().gce_q(0.7)),
            F::comp_sum_loss(h, y, 1.7).item<double>());
  EXPECT_EQ(value("mae"), F::comp_sum_loss(h, y, 2.0).item<double>());
  EXPECT_EQ(value("sum_exp"), F::comp_sum_loss(h, y, 0.0).item<double>());
  EXPECT_EQ(value("comp-sum", dl::ClassificationLossOptions().tau(0.3)),
            F::comp_sum_loss(h, y, 0.3).item<double>());
  EXPECT_EQ(value("anyloss-f1", dl::ClassificationLossOptions().beta(3)),
            F::any_loss(h, y, dl::AnyLossOptions(dl::AnyLossMetric::f_beta)).item<double>());
  EXPECT_EQ(value("anyloss-fbeta", dl::ClassificationLossOptions().beta(3).amplifier(20)),
            F::any_loss(h, y, dl::AnyLossOptions().beta(3).amplifier(20)).item<double>());
  EXPECT_EQ(value("z-loss", dl::ClassificationLossOptions().z_a(2).z_b(1)),
            F::z_loss(h, y, dl::ZLossOptions().a(2).b(1)).item<double>());
  EXPECT_EQ(dl::make_classification_loss(
                "mae", dl::ClassificationLossOptions().reduction(torch::kNone))(h, y)
                .sizes(),
            (std::vector<std::int64_t>{12}));
}

TEST(LossRegistry, UnknownNamesAndBadHyperParameters) {
  expect_error<std::invalid_argument>(
      [] { dl::make_classification_loss("focal"); },
      {"unknown classification loss 'focal'", "cross-entropy", "anyloss-mcc", "mw"});
  expect_error<std::invalid_argument>(
      [] { dl::make_classification_loss("gce", dl::ClassificationLossOptions().gce_q(1.5)); },
      {"gce_q", "1.5"});
  expect_error<std::invalid_argument>(
      [] { dl::make_classification_loss("comp-sum", dl::ClassificationLossOptions().tau(-1)); },
      {"tau", "-1"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_classification_loss("anyloss-f1", dl::ClassificationLossOptions().amplifier(0));
      },
      {"amplifier"});
  expect_error<std::invalid_argument>(
      [] { dl::make_classification_loss("z-loss", dl::ClassificationLossOptions().z_a(-1)); },
      {"a must be > 0", "-1"});
  EXPECT_EQ(dl::reduction_name(dl::reduction_from_name("sum")), "sum");
  expect_error<std::invalid_argument>([] { dl::reduction_from_name("avg"); },
                                      {"avg", "none, mean, sum"});
}
