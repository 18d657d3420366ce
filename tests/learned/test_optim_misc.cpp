// Normalized GD for logistic regression (Tyurin 2024) and loss-based sample reweighting (Sow et
// al. 2025): the golden values of the reference notes (sections 10 and 11), detached weights,
// burn-in, limits, save/load, and errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "deepsolve/learned/optim/normalized_gd.hpp"
#include "deepsolve/learned/optim/sample_reweighting.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using dl::ReweightStrategy;
using namespace optim_test;

TEST(NormalizedGD, GoldenFirstStep) {
  // a = [1, 0], y = +1, x0 = 0: f = ln 2, grad f = [-0.5, 0] -> x1 = gamma [0.721348, 0].
  const auto a = vec({1.0, 0.0}).reshape({1, 2});
  const auto y = vec({1.0});
  auto x = param({0.0, 0.0});
  dl::NormalizedGD opt({x}, dl::NormalizedGDOptions(2.0));
  EXPECT_FALSE(dl::all_margins_positive(a, y, x));
  auto closure = [&] {
    if (x.grad().defined()) x.grad().zero_();
    auto f = dl::logistic_regression_loss(a, y, x);
    f.backward();
    return f;
  };
  auto f0 = opt.step(closure);
  EXPECT_NEAR(f0.item<double>(), std::log(2.0), 1e-15);
  expect_near(x, {2.0 * 0.721348, 0.0}, 1e-6);
  EXPECT_TRUE(dl::all_margins_positive(a, y, x));
}

TEST(NormalizedGD, SeparatesData) {
  // Four separable points; the margins all become positive within a few steps.
  const auto a = vec({2, 1, 1, 3, -1, -2, -3, -1}).reshape({4, 2});
  const auto y = vec({1, 1, -1, -1});
  auto x = param({-1.0, 0.5});
  dl::NormalizedGD opt({x}, dl::NormalizedGDOptions(1.0));
  auto closure = [&] {
    if (x.grad().defined()) x.grad().zero_();
    auto f = dl::logistic_regression_loss(a, y, x);
    f.backward();
    return f;
  };
  int steps = 0;
  while (!dl::all_margins_positive(a, y, x) && steps < 50) {
    opt.step(closure);
    ++steps;
  }
  EXPECT_LT(steps, 50);
  EXPECT_TRUE(dl::all_margins_positive(a, y, x));
}

TEST(NormalizedGD, SaveLoadRoundTrip) {
  check_round_trip(
      [](std::vector<torch::Tensor> p) {
        return std::make_unique<dl::NormalizedGD>(p, dl::NormalizedGDOptions(0.01));
      },
      3, 2, /*stateless=*/true);
}

TEST(NormalizedGD, Errors) {
  auto x = param({0.0});
  dl::NormalizedGD opt({x});
  expect_error<std::invalid_argument>([&] { opt.step(); }, {"needs a closure"});
  expect_error<std::invalid_argument>(
      [&] {
        opt.step([&] {
          auto l = (x * 0.0).sum();
          l.backward();
          return l;
        });
      },
      {"loss must be positive and finite", "got 0"});
  expect_error<std::invalid_argument>([] { dl::NormalizedGD({param({1.0})}, -1.0); },
                                      {"NormalizedGD: lr must be >= 0 and finite, got -1"});
  expect_error<std::invalid_argument>(
      [] {
        dl::logistic_regression_loss(torch::ones({2, 2}), vec({1, 0}), vec({0, 0}));
      },
      {"labels must be -1 or +1"});
  expect_error<std::invalid_argument>(
      [] {
        dl::logistic_regression_loss(torch::ones({2, 3}), vec({1, 1}), vec({0, 0}));
      },
      {"features must be (n, d), labels (n,) and x (d,)"});
}

TEST(SampleReweighting, GoldenWeights) {
  const auto l = vec({1, 2, 3});
  // h = [-1, 0, 1], r = 1.
  auto lin = dl::sample_weights(l, ReweightStrategy::lin_upper, 1.0);
  expect_near(lin, {0.155362, 0.422319, 0.422319});
  EXPECT_NEAR((lin * l).sum().item<double>(), 2.266956, 1e-6);
  expect_near(dl::sample_weights(l, ReweightStrategy::quadratic, 1.0),
              {0.211942, 0.576117, 0.211942});
  expect_near(dl::sample_weights(l, ReweightStrategy::extremes, 1.0),
              {0.422319, 0.155362, 0.422319});
  // Upper: f = h/2 + 1/2 = [0, 0.5, 1].
  expect_near(dl::sample_weights(l, ReweightStrategy::upper, 1.0), {0.186324, 0.307196, 0.506480});
  expect_near(dl::sample_weights(l, ReweightStrategy::uniform, 1.0), {1 / 3.0, 1 / 3.0, 1 / 3.0},
              1e-15);
}

TEST(SampleReweighting, Limits) {
  const auto l = vec({1, 2, 3});
  // r -> infinity: uniform.
  expect_near(dl::sample_weights(l, ReweightStrategy::lin_upper, 1e12), {1 / 3.0, 1 / 3.0, 1 / 3.0},
              1e-9);
  // Equal losses: uniform for every strategy.
  expect_near(dl::sample_weights(vec({2, 2}), ReweightStrategy::extremes, 0.1), {0.5, 0.5}, 1e-15);
  // Shifting and scaling the losses does not change the weights (h is normalised).
  EXPECT_TRUE(torch::allclose(dl::sample_weights(l * 10 + 5, ReweightStrategy::quadratic, 0.4),
                              dl::sample_weights(l, ReweightStrategy::quadratic, 0.4)));
}

TEST(SampleReweighting, DetachedWeightsAndBurnIn) {
  auto l = param({1, 2, 3});
  auto o = dl::SampleReweightingOptions().temperature(1.0).burn_in_steps(2);
  // During burn-in: the plain mean.
  EXPECT_DOUBLE_EQ(dl::reweighted_loss(l, o, 1).item<double>(), 2.0);
  auto loss = dl::reweighted_loss(l, o, 2);
  EXPECT_NEAR(loss.item<double>(), 2.266956, 1e-6);
  loss.backward();
  // d/dl sum w_i l_i with w held fixed is w.
  expect_near(l.grad(), {0.155362, 0.422319, 0.422319});
  dl::SampleReweighting rw(o);
  EXPECT_DOUBLE_EQ(rw(l).item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(rw(l).item<double>(), 2.0);
  EXPECT_NEAR(rw(l).item<double>(), 2.266956, 1e-6);
  EXPECT_EQ(rw.step(), 3);
}

TEST(SampleReweighting, Errors) {
  expect_error<std::invalid_argument>(
      [] {
        dl::sample_weights(vec({1, 2}), ReweightStrategy::lin_upper, 0.0);
      },
      {"temperature must be > 0 and finite, got 0"});
  expect_error<std::invalid_argument>(
      [] {
        dl::sample_weights(torch::ones({2, 2}), ReweightStrategy::lin_upper, 1.0);
      },
      {"non-empty 1-D tensor of per-sample losses, got 2-D"});
  expect_error<std::invalid_argument>([] { dl::reweight_strategy_from_string("top"); },
                                      {"unknown reweighting strategy 'top'", "lin-upper"});
  EXPECT_EQ(dl::reweight_strategy_from_string("mid"), ReweightStrategy::quadratic);
  expect_error<std::invalid_argument>(
      [] { dl::SampleReweighting(dl::SampleReweightingOptions().burn_in_steps(-1)); },
      {"burn_in_steps must be >= 0, got -1"});
}
