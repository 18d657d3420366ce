// Ranking and contrastive losses of deepsolve::learned: Mann-Whitney/AUC, NT-Xent, iSogCLR, the
// differentiable sorting network and GroCo. Golden values from the reference notes
// (docs/learned.md, "Losses"); gradients against central differences in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "deepsolve/learned/losses/diff_sort.hpp"
#include "deepsolve/learned/losses/groco.hpp"
#include "deepsolve/learned/losses/isogclr.hpp"
#include "deepsolve/learned/losses/mann_whitney.hpp"
#include "deepsolve/learned/losses/nt_xent.hpp"
#include "loss_test_util.hpp"

namespace {

// The fraction of (positive, negative) pairs with s+ - s- <= 0 (ties count as errors).
double strict_area_over_curve(const at::Tensor& s, const at::Tensor& y) {
  const at::Tensor pos = s.masked_select(y > 0.5);
  const at::Tensor neg = s.masked_select(y < 0.5);
  return (pos.unsqueeze(1) - neg.unsqueeze(0) <= 0).to(torch::kDouble).mean().item<double>();
}

// Value of `value`, gradient of `gradient` (for losses whose gradient is that of another function).
at::Tensor value_of_with_gradient_of(const at::Tensor& value, const at::Tensor& gradient) {
  return value.detach() + gradient - gradient.detach();
}

}  // namespace

// ------------------------------------------------------------------------------- Mann-Whitney

TEST(MannWhitney, GoldenValue) {
  const at::Tensor s = f64({2, 0.5, 1, -1});
  const at::Tensor y = f64({1, 1, 0, 0});
  const double loss = F::mann_whitney_loss(s, y).item<double>();
  EXPECT_NEAR(loss, 0.384335, 5e-7);
  EXPECT_DOUBLE_EQ(1 - F::roc_auc(s, y), 0.25);
  EXPECT_LE(0.25, loss / std::log(2.0));
  EXPECT_NEAR(loss / std::log(2.0), 0.554478, 5e-7);
  // kNone: pair losses [positives, negatives] = softplus(-(s+ - s-)).
  const at::Tensor none =
      F::mann_whitney_loss(s, y, dl::MannWhitneyOptions().reduction(torch::kNone));
  const at::Tensor d = torch::tensor({{1.0, 3.0}, {-0.5, 1.5}}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(none, torch::log1p(torch::exp(-d)), 1e-14, 1e-14)) << none;
  EXPECT_NEAR(
      F::mann_whitney_loss(s, y, dl::MannWhitneyOptions().reduction(torch::kSum)).item<double>(),
      4 * loss, 1e-14);
}

TEST(MannWhitney, BoundsTheAreaOverTheCurve) {
  for (int seed = 0; seed < 8; ++seed) {
    torch::manual_seed(seed);
    at::Tensor s = torch::randn({50}, torch::kDouble);
    s = torch::round(s * 4) / 4;  // ties, which count as errors on the strict side
    const at::Tensor y = (torch::rand({50}) < 0.25).to(torch::kDouble);
    const double loss = F::mann_whitney_loss(s, y).item<double>();
    const double aoc = strict_area_over_curve(s, y);
    EXPECT_GT(aoc, 0.1) << "random scores should misorder pairs";
    EXPECT_LE(aoc, loss / std::log(2.0)) << "seed " << seed;
    EXPECT_LE(1 - F::roc_auc(s, y), aoc + 1e-15);
    // Per query: each query's own area over the curve.
    const at::Tensor ids = torch::randint(0, 4, {50});
    const at::Tensor per_query =
        F::mann_whitney_loss(s, y, ids, dl::MannWhitneyOptions().reduction(torch::kNone));
    for (int q = 0; q < 4; ++q) {
      const at::Tensor in_q = ids == q;
      const at::Tensor yq = y.masked_select(in_q);
      if (yq.sum().item<double>() == 0 || yq.sum().item<double>() == yq.numel()) continue;
      EXPECT_LE(strict_area_over_curve(s.masked_select(in_q), yq),
                per_query[q].item<double>() / std::log(2.0));
    }
  }
}

TEST(MannWhitney, PerQueryByIdsAndByRows) {
  torch::manual_seed(20);
  const at::Tensor s = torch::randn({3, 5}, torch::kDouble);
  const at::Tensor y = torch::tensor({{1, 0, 0, 1, 0}, {0, 0, 0, 0, 0}, {0, 1, 0, 0, 0}});
  const auto none = dl::MannWhitneyOptions().per_query(true).reduction(torch::kNone);
  const at::Tensor by_rows = F::mann_whitney_loss(s, y, none);
  ASSERT_EQ(by_rows.sizes(), (std::vector<std::int64_t>{3}));
  // Ids 7, 2, 9 for rows 0, 1, 2: the queries come back in increasing id order.
  const at::Tensor ids = torch::tensor({7, 2, 9}).repeat_interleave(5);
  const at::Tensor by_ids = F::mann_whitney_loss(s.reshape({-1}), y.reshape({-1}), ids,
                                                 dl::MannWhitneyOptions().reduction(torch::kNone));
  EXPECT_NEAR(by_ids[0].item<double>(), by_rows[1].item<double>(), 1e-15);
  EXPECT_NEAR(by_ids[1].item<double>(), by_rows[0].item<double>(), 1e-15);
  EXPECT_NEAR(by_ids[2].item<double>(), by_rows[2].item<double>(), 1e-15);
  // Row 1 has no positive: 0, and the mean skips it.
  EXPECT_EQ(by_rows[1].item<double>(), 0.0);
  const double mean =
      F::mann_whitney_loss(s, y, dl::MannWhitneyOptions().per_query(true)).item<double>();
  EXPECT_NEAR(mean, (by_rows[0].item<double>() + by_rows[2].item<double>()) / 2, 1e-15);
  // Row 0 by hand: positives 0 and 3, negatives 1, 2, 4.
  double row0 = 0;
  for (int i : {0, 3})
    for (int j : {1, 2, 4})
      row0 += std::log1p(std::exp(-(s[0][i].item<double>() - s[0][j].item<double>())));
  EXPECT_NEAR(by_rows[0].item<double>(), row0 / 6, 1e-14);
  // Global pairs cross the rows, so the global loss is another number.
  const double global = F::mann_whitney_loss(s, y).item<double>();
  EXPECT_GT(std::abs(global - mean), 1e-3);
}

TEST(MannWhitney, GradientsMatchFiniteDifferences) {
  torch::manual_seed(21);
  const at::Tensor s = torch::randn({9}, torch::kDouble);
  const at::Tensor y = f64({1, 0, 0, 1, 0, 1, 0, 0, 0});
  const at::Tensor ids = torch::tensor({0, 0, 0, 1, 1, 1, 2, 2, 2});
  expect_gradient_matches([&](const at::Tensor& x) { return F::mann_whitney_loss(x, y); }, s);
  expect_gradient_matches([&](const at::Tensor& x) { return F::mann_whitney_loss(x, y, ids); }, s);
  expect_gradient_matches(
      [&](const at::Tensor& x) {
        return F::mann_whitney_loss(x.view({3, 3}), y.view({3, 3}),
                                    dl::MannWhitneyOptions().per_query(true));
      },
      s);
}

TEST(MannWhitney, NoPairGivesZero) {
  const at::Tensor s = f64({0.3, -1, 2}).requires_grad_(true);
  const at::Tensor loss = F::mann_whitney_loss(s, f64({0, 0, 0}));
  EXPECT_EQ(loss.item<double>(), 0.0);
  EXPECT_EQ(torch::autograd::grad({loss}, {s})[0].abs().sum().item<double>(), 0.0);
  dl::MannWhitneyLoss module;
  EXPECT_EQ(module(s, f64({1, 1, 1})).item<double>(), 0.0);
  EXPECT_NEAR(module(s, f64({1, 0, 1}), torch::tensor({0, 0, 1})).item<double>(),
              std::log1p(std::exp(-1.3)), 1e-15);
  std::ostringstream text;
  text << *module;
  EXPECT_EQ(text.str(), "deepsolve::learned::MannWhitneyLoss(per_query=false, reduction=mean)");
}

TEST(MannWhitney, BadInput) {
  const at::Tensor s = f64({1, 2, 3});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(s, f64({1, 0, 2}));
      },
      {"0 or 1", "2"});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(s, f64({1, 0}));
      },
      {"[2]", "[3]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(s, f64({1, 0, 0}), f64({0, 0, 1}));
      },
      {"query ids"});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(s, f64({1, 0, 0}), torch::tensor({0, 1}));
      },
      {"query ids"});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(s, f64({1, 0, 0}), dl::MannWhitneyOptions().per_query(true));
      },
      {"per_query", "[Q, D]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::mann_whitney_loss(torch::tensor({1, 2}), torch::tensor({1, 0}));
      },
      {"floating-point"});
}

// ------------------------------------------------------------------------------------ NT-Xent

TEST(NTXent, GoldenValues) {
  const at::Tensor z = torch::tensor({{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}, torch::kDouble);
  EXPECT_NEAR(F::nt_xent_loss(z, z, 0.5).item<double>(), 0.239545, 5e-7);
  EXPECT_NEAR(F::nt_xent_loss(z, z, 1.0).item<double>(), 0.551445, 5e-7);
  EXPECT_NEAR(F::nt_xent_loss(3 * z, 0.5 * z, 1.0).item<double>(), std::log1p(2 * std::exp(-1.0)),
              1e-14);
  EXPECT_NEAR(F::nt_xent_loss(torch::cat({z, z}), 0.5).item<double>(), 0.239545, 5e-7);
}

TEST(NTXent, MatchesTheDefinitionOnRandomData) {
  torch::manual_seed(22);
  const std::int64_t n = 5;
  const at::Tensor z1 = torch::randn({n, 4}, torch::kDouble);
  const at::Tensor z2 = torch::randn({n, 4}, torch::kDouble);
  const double tau = 0.3;
  const at::Tensor none = F::nt_xent_loss(z1, z2, dl::NTXentOptions(tau).reduction(torch::kNone));
  ASSERT_EQ(none.sizes(), (std::vector<std::int64_t>{2 * n}));
  const at::Tensor all = torch::cat({z1, z2});
  const auto cosine = [&](std::int64_t i, std::int64_t k) {
    return (all[i].dot(all[k]) / (all[i].norm() * all[k].norm())).item<double>();
  };
  double total = 0;
  for (std::int64_t i = 0; i < 2 * n; ++i) {
    const std::int64_t j = i < n ? i + n : i - n;
    double denominator = 0;
    for (std::int64_t k = 0; k < 2 * n; ++k)
      if (k != i) denominator += std::exp(cosine(i, k) / tau);
    const double expected = -std::log(std::exp(cosine(i, j) / tau) / denominator);
    EXPECT_NEAR(none[i].item<double>(), expected, 1e-12) << "anchor " << i;
    total += expected;
  }
  EXPECT_NEAR(F::nt_xent_loss(z1, z2, tau).item<double>(), total / (2 * n), 1e-12);
  EXPECT_NEAR(F::nt_xent_loss(z1, z2, dl::NTXentOptions(tau).reduction(torch::kSum)).item<double>(),
              total, 1e-11);
}

TEST(NTXent, GradientsMatchFiniteDifferences) {
  torch::manual_seed(23);
  const at::Tensor z = torch::randn({6, 3}, torch::kDouble);
  dl::NTXentLoss loss(dl::NTXentOptions(0.5));
  expect_gradient_matches(
      [&](const at::Tensor& x) { return loss(x.narrow(0, 0, 3), x.narrow(0, 3, 3)); }, z);
}

TEST(NTXent, BadInput) {
  const at::Tensor z = torch::randn({2, 3}, torch::kDouble);
  expect_error<std::invalid_argument>([&] { F::nt_xent_loss(z, z, 0.0); }, {"temperature", "0"});
  expect_error<std::invalid_argument>([&] { F::nt_xent_loss(z, z, -0.1); },
                                      {"temperature", "-0.1"});
  expect_error<std::invalid_argument>(
      [&] {
        F::nt_xent_loss(z, torch::randn({3, 3}, torch::kDouble));
      },
      {"[2, 3]", "[3, 3]"});
  expect_error<std::invalid_argument>(
      [&] {
        F::nt_xent_loss(torch::randn({3, 3}, torch::kDouble));
      },
      {"[2N, d]"});
  expect_error<std::invalid_argument>([&] { dl::NTXentLoss(dl::NTXentOptions(-1)); },
                                      {"temperature"});
}

// ------------------------------------------------------------------------------------ iSogCLR

TEST(ISogCLR, EqualMarginsGiveUniformWeightsAndGradRho) {
  dl::ISogCLR module(dl::ISogCLROptions(10).rho(1.0).tau_init(0.5));
  const at::Tensor l = torch::full({2, 3}, 0.3, torch::kDouble);
  const dl::ISogCLRStep step = module->step(0, l, torch::tensor({3, 7}));
  EXPECT_TRUE(torch::allclose(step.weights, torch::ones_like(step.weights), 1e-14, 1e-14));
  EXPECT_TRUE(torch::allclose(step.grad_tau, f64({1.0, 1.0}), 1e-14, 1e-14)) << step.grad_tau;
  EXPECT_TRUE(torch::allclose(step.loss, torch::full({1, 2}, 0.3, torch::kDouble), 1e-14, 1e-14));
  // The state: s = g = exp(0.3 / 0.5), u = β_u ∇τ = 0.9, τ = 0.5 - 0.03 · 0.9.
  EXPECT_NEAR(module->log_s[0][3].item<double>(), 0.6, 1e-14);
  EXPECT_NEAR(module->u[0][7].item<double>(), 0.9, 1e-14);
  EXPECT_NEAR(module->tau[0][3].item<double>(), 0.5 - 0.027, 1e-14);
  EXPECT_EQ(module->tau[0][4].item<double>(), 0.5) << "samples outside the batch keep their state";
  EXPECT_EQ(module->seen[0][4].item<double>(), 0.0);
  // With the default ρ = 6 the gradient is clamped to 5.
  dl::ISogCLR clamped(dl::ISogCLROptions(10).tau_init(0.5));
  EXPECT_TRUE(
      torch::allclose(clamped->step(0, l, torch::tensor({0, 1})).grad_tau, f64({5.0, 5.0})));
}

TEST(ISogCLR, GoldenGradientAndMovingAverage) {
  const double rho = 1.0;
  dl::ISogCLR module(dl::ISogCLROptions(4).rho(rho).tau_init(1.0));
  const at::Tensor l1 = torch::tensor({{0.0, std::log(3.0)}}, torch::kDouble);
  const dl::ISogCLRStep first = module->step(0, l1, torch::tensor({2}));
  EXPECT_NEAR(first.grad_tau[0].item<double>(), rho - 0.130812, 5e-7);
  EXPECT_TRUE(torch::allclose(first.weights, torch::tensor({{{0.5, 1.5}}}, torch::kDouble)));
  // Second visit: s <- (1 - γ) s + γ g with the new temperature.
  const double u1 = 0.9 * first.grad_tau[0].item<double>();
  const double tau2 = 1.0 - 0.03 * u1;
  EXPECT_NEAR(module->tau[0][2].item<double>(), tau2, 1e-14);
  const at::Tensor l2 = torch::tensor({{0.5, -0.5}}, torch::kDouble);
  const dl::ISogCLRStep second = module->step(0, l2, torch::tensor({2}));
  const double g2 = (std::exp(0.5 / tau2) + std::exp(-0.5 / tau2)) / 2;
  const double s2 = 0.2 * 2.0 + 0.8 * g2;
  const double w0 = std::exp(0.5 / tau2) / s2;
  const double w1 = std::exp(-0.5 / tau2) / s2;
  EXPECT_NEAR(second.weights[0][0][0].item<double>(), w0, 1e-13);
  EXPECT_NEAR(second.weights[0][0][1].item<double>(), w1, 1e-13);
  const double grad2 = std::log(s2) + rho - (w0 * 0.5 - w1 * 0.5) / 2 / tau2;
  EXPECT_NEAR(second.grad_tau[0].item<double>(), grad2, 1e-13);
  EXPECT_NEAR(second.loss[0][0].item<double>(), (w0 * 0.5 - w1 * 0.5) / 2, 1e-13);
  EXPECT_NEAR(module->log_s[0][2].item<double>(), std::log(s2), 1e-13);
  const double u2 = 0.1 * u1 + 0.9 * grad2;
  EXPECT_NEAR(module->u[0][2].item<double>(), u2, 1e-13);
  EXPECT_NEAR(module->tau[0][2].item<double>(), tau2 - 0.03 * u2, 1e-13);
}

TEST(ISogCLR, EvalModeLeavesTheStateAlone) {
  dl::ISogCLR module(dl::ISogCLROptions(3).tau_init(0.2));
  module->eval();
  const at::Tensor before = module->tau.clone();
  const dl::ISogCLRStep step =
      module->step(0, torch::tensor({{0.1, -0.3, 0.2}}, torch::kDouble), torch::tensor({1}));
  EXPECT_TRUE(torch::equal(module->tau, before));
  EXPECT_EQ(module->seen.sum().item<double>(), 0.0);
  EXPECT_NEAR(step.weights.mean().item<double>(), 1.0, 1e-14) << "s = g in eval mode";
}

TEST(ISogCLR, SurrogateGradientIsTheObjectiveGradient) {
  torch::manual_seed(24);
  dl::ISogCLR module(dl::ISogCLROptions(20).tau_init(0.3));
  module->eval();
  // Margins of 2 views x 3 anchors x 4 candidates, one candidate per anchor excluded.
  const at::Tensor valid = torch::rand({2, 3, 4}) > 0.2;
  valid.select(2, 0).fill_(true);
  const at::Tensor ids = torch::tensor({4, 11, 19});
  const auto objective = [&](const at::Tensor& l) {
    const at::Tensor scaled = torch::where(valid, l / 0.3, torch::full_like(l, -INFINITY));
    const at::Tensor count = valid.sum(-1).to(torch::kDouble);
    return (0.3 * (torch::logsumexp(scaled, -1) - torch::log(count))).sum();
  };
  expect_gradient_matches(
      [&](const at::Tensor& l) {
        return value_of_with_gradient_of(objective(l), module->step(0, l, ids, valid).loss.sum());
      },
      0.5 * torch::randn({2, 3, 4}, torch::kDouble));
}

TEST(ISogCLR, ForwardGradientsMatchTheObjective) {
  torch::manual_seed(25);
  const std::int64_t b = 4;
  for (bool bimodal : {false, true}) {
    SCOPED_TRACE(bimodal ? "bimodal" : "unimodal");
    dl::ISogCLR module(dl::ISogCLROptions(10).tau_init(0.4).bimodal(bimodal));
    module->eval();
    const at::Tensor ids = torch::tensor({0, 5, 6, 9});
    // F written out from the definition: mean over the anchors of τ (log mean_z exp(l_iz / τ)).
    const auto objective = [&](const at::Tensor& z) {
      const at::Tensor n = z / z.norm(2, 1, true);
      const at::Tensor a = n.narrow(0, 0, b);
      const at::Tensor c = n.narrow(0, b, b);
      std::vector<at::Tensor> terms;
      for (std::int64_t i = 0; i < 2 * b; ++i) {
        const std::int64_t sample = i % b;
        const at::Tensor anchor = i < b ? a[sample] : c[sample];
        const at::Tensor positive = i < b ? c[sample] : a[sample];
        std::vector<at::Tensor> others;
        for (std::int64_t j = 0; j < b; ++j) {
          if (j == sample) continue;
          if (bimodal) {
            others.push_back(i < b ? c[j] : a[j]);
          } else {
            others.push_back(a[j]);
            others.push_back(c[j]);
          }
        }
        const at::Tensor l = torch::stack(others).matmul(anchor) - anchor.dot(positive);
        terms.push_back(0.4 * (torch::logsumexp(l / 0.4, 0) - std::log(double(l.numel()))));
      }
      return torch::stack(terms).mean();
    };
    expect_gradient_matches(
        [&](const at::Tensor& z) {
          return value_of_with_gradient_of(objective(z),
                                           module(z.narrow(0, 0, b), z.narrow(0, b, b), ids));
        },
        torch::randn({2 * b, 3}, torch::kDouble));
  }
}

TEST(ISogCLR, StateBuffersAndSides) {
  dl::ISogCLR module(dl::ISogCLROptions(6).bimodal(true).tau_init(0.05));
  std::vector<std::string> names;
  for (const auto& item : module->named_buffers()) names.push_back(item.key());
  EXPECT_EQ(names, (std::vector<std::string>{"tau", "log_s", "u", "seen"}));
  ASSERT_EQ(module->tau.sizes(), (std::vector<std::int64_t>{2, 6}));
  torch::manual_seed(26);
  const at::Tensor z1 = torch::randn({3, 5});
  const at::Tensor z2 = torch::randn({3, 5});
  const at::Tensor loss = module(z1, z2, torch::tensor({0, 2, 4}));
  EXPECT_EQ(loss.scalar_type(), torch::kFloat);
  EXPECT_TRUE(std::isfinite(loss.item<float>()));
  EXPECT_EQ(module->seen.sum().item<double>(), 6.0);
  EXPECT_FALSE(torch::equal(module->log_s[0], module->log_s[1])) << "each side has its own state";
  EXPECT_TRUE(torch::equal(module->tau.select(1, 1), torch::full({2}, 0.05, torch::kDouble)));
  // A clone carries the state.
  auto copy = std::dynamic_pointer_cast<dl::ISogCLRImpl>(module->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(torch::equal(copy->tau, module->tau));
  EXPECT_TRUE(torch::equal(copy->log_s, module->log_s));
  // Tiny temperatures do not overflow: the state is kept as log s.
  dl::ISogCLR cold(dl::ISogCLROptions(3).tau_init(5e-3));
  const at::Tensor l = torch::tensor({{3.0, -2.0, 1.0}}, torch::kFloat);  // l / τ up to 600
  const dl::ISogCLRStep step = cold->step(0, l, torch::tensor({0}));
  EXPECT_TRUE(torch::isfinite(step.weights).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(cold->log_s).all().item<bool>());
}

TEST(ISogCLR, BadInput) {
  expect_error<std::invalid_argument>([] { dl::ISogCLR(dl::ISogCLROptions(0)); },
                                      {"num_samples", "0"});
  expect_error<std::invalid_argument>([] { dl::ISogCLR(dl::ISogCLROptions(5).gamma(0)); },
                                      {"gamma", "(0, 1]"});
  expect_error<std::invalid_argument>([] { dl::ISogCLR(dl::ISogCLROptions(5).tau_init(2)); },
                                      {"tau_init 2"});
  expect_error<std::invalid_argument>([] { dl::ISogCLR(dl::ISogCLROptions(5).tau_min(-1)); },
                                      {"tau_min", "-1"});
  expect_error<std::invalid_argument>([] { dl::ISogCLR(dl::ISogCLROptions(5).rho(-1)); },
                                      {"rho", "-1"});
  dl::ISogCLR module(dl::ISogCLROptions(5));
  const at::Tensor l = torch::zeros({2, 3}, torch::kDouble);
  expect_error<std::invalid_argument>(
      [&] {
        module->step(0, l, torch::tensor({1, 1}));
      },
      {"distinct"});
  expect_error<std::invalid_argument>(
      [&] {
        module->step(0, l, torch::tensor({1, 5}));
      },
      {"sample id 5", "[0, 5)"});
  expect_error<std::invalid_argument>(
      [&] {
        module->step(1, l, torch::tensor({1, 2}));
      },
      {"side 1"});
  expect_error<std::invalid_argument>(
      [&] {
        module->step(0, l, torch::tensor({1, 2}), torch::zeros({2, 3}, torch::kBool));
      },
      {"at least one negative"});
  expect_error<std::invalid_argument>(
      [&] {
        module(torch::randn({3, 2}), torch::randn({2, 2}), torch::tensor({0, 1}));
      },
      {"[3, 2]", "[2, 2]"});
}

// ----------------------------------------------------------------- sorting network and GroCo

TEST(SoftSort, PermutationIsDoublyStochasticAndSorts) {
  torch::manual_seed(27);
  const at::Tensor x = torch::randn({3, 7}, torch::kDouble);
  for (auto relaxation : {dl::SortRelaxation::cauchy, dl::SortRelaxation::logistic,
                          dl::SortRelaxation::logistic_phi}) {
    SCOPED_TRACE(dl::relaxation_name(relaxation));
    const dl::SoftSortResult soft = dl::odd_even_soft_sort(x, 1.0, relaxation);
    EXPECT_TRUE(torch::allclose(soft.permutation.sum(1), torch::ones({3, 7}, torch::kDouble)));
    EXPECT_TRUE(torch::allclose(soft.permutation.sum(2), torch::ones({3, 7}, torch::kDouble)));
    EXPECT_TRUE(torch::allclose(soft.values, x.unsqueeze(1).matmul(soft.permutation).squeeze(1)));
    const dl::SoftSortResult hard = dl::odd_even_soft_sort(x, 1e7, relaxation);
    EXPECT_TRUE(torch::allclose(hard.values, std::get<0>(x.sort(1)), 1e-4, 1e-4));
    const at::Tensor order = std::get<1>(x.sort(1));  // order[b, r]: the element at rank r
    EXPECT_TRUE(torch::allclose(hard.permutation.argmax(1), order));
  }
}

TEST(GroCo, NearZeroOnWellSeparatedSimilarities) {
  const at::Tensor positive = torch::tensor({{0.9, 0.8}, {0.95, 0.7}}, torch::kDouble);
  const at::Tensor negative = torch::linspace(-0.5, 0.1, 12, torch::kDouble).repeat({2, 1});
  const auto loss = [&](const at::Tensor& p, const at::Tensor& n, double steepness) {
    return F::groco_loss_from_similarities(p, n, dl::GroCoOptions().steepness(steepness))
        .item<double>();
  };
  const double sharp = loss(positive, negative, 1000);
  const double soft = loss(positive, negative, 1);
  const double reversed =
      loss(negative.narrow(1, 0, 2),
           positive.repeat({1, 6}) + 0.01 * torch::arange(12, torch::kDouble), 1000);
  EXPECT_LT(sharp, 0.01);
  EXPECT_GT(soft, 5 * sharp);
  EXPECT_GT(reversed, 1.0) << "positives below every negative must cost a lot";
  // Only group membership matters: shuffling within the groups changes nothing.
  EXPECT_NEAR(loss(positive.flip(1), negative.flip(1), 3), loss(positive, negative, 3), 1e-14);
}

TEST(GroCo, GradientsMatchFiniteDifferences) {
  torch::manual_seed(28);
  const at::Tensor positive = torch::rand({3, 2}, torch::kDouble);
  const at::Tensor negative = torch::rand({3, 8}, torch::kDouble) - 0.3;
  const auto opts = dl::GroCoOptions().topk_neg(4).steepness(2);
  expect_gradient_matches(
      [&](const at::Tensor& p) { return F::groco_loss_from_similarities(p, negative, opts); },
      positive);
  expect_gradient_matches(
      [&](const at::Tensor& n) { return F::groco_loss_from_similarities(positive, n, opts); },
      negative);
  const at::Tensor z = torch::randn({12, 3}, torch::kDouble);
  dl::GroCoLoss module(dl::GroCoOptions().topk_neg(3).stop_grad(false));
  expect_gradient_matches(
      [&](const at::Tensor& x) { return module(x.narrow(0, 0, 6), x.narrow(0, 6, 6)); }, z);
  // stop_grad cuts the gradient through the positives and negatives, so it differs.
  dl::GroCoLoss stopped(dl::GroCoOptions().topk_neg(3));
  const at::Tensor x1 = z.clone().requires_grad_(true);
  const at::Tensor x2 = z.clone().requires_grad_(true);
  const at::Tensor g1 =
      torch::autograd::grad({module(x1.narrow(0, 0, 6), x1.narrow(0, 6, 6))}, {x1})[0];
  const at::Tensor g2 =
      torch::autograd::grad({stopped(x2.narrow(0, 0, 6), x2.narrow(0, 6, 6))}, {x2})[0];
  EXPECT_NEAR(module(z.narrow(0, 0, 6), z.narrow(0, 6, 6)).item<double>(),
              stopped(z.narrow(0, 0, 6), z.narrow(0, 6, 6)).item<double>(), 1e-15);
  EXPECT_FALSE(torch::allclose(g1, g2));
}

TEST(GroCo, ReductionsAndBadInput) {
  torch::manual_seed(29);
  const at::Tensor z1 = torch::randn({12, 4});
  const at::Tensor z2 = torch::randn({12, 4});
  const at::Tensor none = F::groco_loss(z1, z2, dl::GroCoOptions().reduction(torch::kNone));
  ASSERT_EQ(none.sizes(), (std::vector<std::int64_t>{24}));
  EXPECT_NEAR(F::groco_loss(z1, z2).item<float>(), none.mean().item<float>(), 1e-6);
  EXPECT_NEAR(F::groco_loss(z1, z2, dl::GroCoOptions().reduction(torch::kSum)).item<float>(),
              none.sum().item<float>(), 1e-4);
  expect_error<std::invalid_argument>(
      [&] { F::groco_loss(z1.narrow(0, 0, 10), z2.narrow(0, 0, 10)); },
      {"topk_neg = 10", "at least 11", "got 10"});
  expect_error<std::invalid_argument>(
      [&] { F::groco_loss(z1, z2, dl::GroCoOptions().topk_neg(0)); }, {"topk_neg", "0"});
  expect_error<std::invalid_argument>(
      [&] { F::groco_loss(z1, z2, dl::GroCoOptions().steepness(-1)); }, {"steepness"});
  expect_error<std::invalid_argument>(
      [&] {
        F::groco_loss_from_similarities(torch::zeros({2, 1}), torch::zeros({2, 5}));
      },
      {"topk_neg = 10", "got 5"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::odd_even_soft_sort(torch::zeros({2, 2, 2}));
      },
      {"[n] or [B, n]"});
  dl::GroCoLoss module;
  std::ostringstream text;
  text << *module;
  EXPECT_NE(text.str().find("relaxation=cauchy"), std::string::npos) << text.str();
}
