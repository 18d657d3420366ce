// Coordinate-wise clipping (Pan & Li 2023): the global top-fraction threshold (golden values of
// the reference notes, section 6), SGD-momentum and Adam with clipping against hand-computed
// steps, save/load of their state, and bad options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/adam_clip.hpp"
#include "deepsolve/learned/optim/coordinate_clip.hpp"
#include "deepsolve/learned/optim/sgd_clip.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using namespace optim_test;

namespace {
const std::vector<double> kG{0.1, -5.0, 0.3, 2.0, -0.2};
}

TEST(CoordinateClip, GoldenThresholds) {
  // c = 0.2 -> T = 2; c = 0.4 -> T = 0.3.
  EXPECT_DOUBLE_EQ(dl::coordinate_clip_threshold({vec(kG)}, 0.2), 2.0);
  EXPECT_DOUBLE_EQ(dl::coordinate_clip_threshold({vec(kG)}, 0.4), 0.3);
  expect_near(dl::clip_coordinates(vec(kG), 0.2), {0.1, -2.0, 0.3, 2.0, -0.2}, 1e-15);
  expect_near(dl::clip_coordinates(vec(kG), 0.4), {0.1, -0.3, 0.3, 0.3, -0.2}, 1e-15);
}

TEST(CoordinateClip, EndsOfTheRange) {
  expect_near(dl::clip_coordinates(vec(kG), 0.0), kG, 0.0);               // no-op
  expect_near(dl::clip_coordinates(vec(kG), 1.0), {0, 0, 0, 0, 0}, 0.0);  // T = 0
  // A threshold scale widens the bound: c = 0.4, s = 2 -> bound 0.6.
  expect_near(dl::clip_coordinates(vec(kG), 0.4, 2.0), {0.1, -0.6, 0.3, 0.6, -0.2}, 1e-15);
}

TEST(CoordinateClip, ThresholdIsGlobalOverTensors) {
  // Split over two tensors: the threshold is still 2 (per tensor it would be 5 and 0.3 at c=0.2).
  std::vector<torch::Tensor> parts{vec({0.1, -5.0}), vec({0.3, 2.0, -0.2})};
  EXPECT_DOUBLE_EQ(dl::clip_coordinates_(parts, 0.2), 2.0);
  expect_near(parts[0], {0.1, -2.0}, 1e-15);
  expect_near(parts[1], {0.3, 2.0, -0.2}, 1e-15);
}

TEST(CoordinateClip, BadFraction) {
  expect_error<std::invalid_argument>([] { dl::coordinate_clip_threshold({vec(kG)}, 1.5); },
                                      {"clip fraction must be in [0, 1], got 1.5"});
  expect_error<std::invalid_argument>([] { dl::coordinate_clip_threshold({vec(kG)}, -0.1); },
                                      {"clip fraction", "-0.1"});
}

TEST(SGDClip, HandComputedMomentumSteps) {
  // The gradient split over two parameters; c = 0.2 (T = 2 over all five), beta = 0.5, lr = 0.1.
  auto a = param({0, 0}), b = param({0, 0, 0});
  dl::SGDClip opt({a, b}, dl::SGDClipOptions(0.1).momentum(0.5).coordinate_clip(0.2));
  auto set_grads = [&] {
    a.mutable_grad() = vec({0.1, -5.0});
    b.mutable_grad() = vec({0.3, 2.0, -0.2});
  };
  set_grads();
  opt.step();
  // m = 0.5 clip(g) = [0.05, -1, 0.15, 1, -0.1]; x = -0.1 m.
  expect_near(a, {-0.005, 0.1}, 1e-12);
  expect_near(b, {-0.015, -0.1, 0.01}, 1e-12);
  EXPECT_DOUBLE_EQ(opt.last_threshold(), 2.0);
  set_grads();
  opt.step();
  // m = 0.5 m + 0.5 clip(g) = [0.075, -1.5, 0.225, 1.5, -0.15].
  expect_near(a, {-0.0125, 0.25}, 1e-12);
  expect_near(b, {-0.0375, -0.25, 0.025}, 1e-12);
}

TEST(SGDClip, NoMomentumIsClippedGradientDescent) {
  auto x = param({0, 0, 0, 0, 0});
  dl::SGDClip opt({x}, dl::SGDClipOptions(1.0).momentum(0.0).coordinate_clip(0.4));
  x.mutable_grad() = vec(kG);
  opt.step();
  expect_near(x, {-0.1, 0.3, -0.3, -0.3, 0.2}, 1e-12);
}

TEST(AdamClip, FirstMomentClippedSecondMomentNot) {
  // c = 0.4: clip(g) = [0.1, -0.3, 0.3, 0.3, -0.2]. After one step m_hat = clip(g) and
  // v_hat = g^2 (unclipped), so u = clip(g) / |g| = [1, -0.06, 1, 0.15, -1].
  auto x = param({0, 0, 0, 0, 0});
  dl::AdamClip opt({x}, dl::AdamClipOptions(0.01).coordinate_clip(0.4));
  x.mutable_grad() = vec(kG);
  opt.step();
  expect_near(x, {-0.01, 0.0006, -0.01, -0.0015, 0.01}, 1e-9);
}

TEST(AdamClip, ClipUpdate) {
  // c = 0.6: T = 0.2, clip(g) = [0.1, -0.2, 0.2, 0.2, -0.2], u = [1, -0.04, 2/3, 0.1, -1];
  // clipping u at c = 0.6 (threshold 0.1) gives [0.1, -0.04, 0.1, 0.1, -0.1].
  auto x = param({0, 0, 0, 0, 0});
  dl::AdamClip plain({x}, dl::AdamClipOptions(0.01).coordinate_clip(0.6));
  x.mutable_grad() = vec(kG);
  plain.step();
  expect_near(x, {-0.01, 0.0004, -0.01 * 2.0 / 3.0, -0.001, 0.01}, 1e-9);

  auto y = param({0, 0, 0, 0, 0});
  dl::AdamClip clipped({y}, dl::AdamClipOptions(0.01).coordinate_clip(0.6).clip_update(true));
  y.mutable_grad() = vec(kG);
  clipped.step();
  expect_near(y, {-0.001, 0.0004, -0.001, -0.001, 0.001}, 1e-9);
}

TEST(AdamClip, SecondStepBiasCorrection) {
  // Two steps with the same gradient g = [4] (c = 0: no clipping): m_hat = 4, v_hat = 16 each
  // time, so every step is lr.
  auto x = param({0});
  dl::AdamClip opt({x}, dl::AdamClipOptions(0.5).coordinate_clip(0.0));
  for (int i = 0; i < 2; ++i) {
    x.mutable_grad() = vec({4.0});
    opt.step();
  }
  expect_near(x, {-1.0}, 1e-7);
}

TEST(SGDClip, SaveLoadRoundTrip) {
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::SGDClip>(
        p, dl::SGDClipOptions(0.05).momentum(0.9).coordinate_clip(0.3));
  });
}

TEST(AdamClip, SaveLoadRoundTrip) {
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::AdamClip>(
        p, dl::AdamClipOptions(0.05).coordinate_clip(0.4).clip_update(true));
  });
}

TEST(SGDClip, BadOptions) {
  auto x = param({1.0});
  expect_error<std::invalid_argument>([&] { dl::SGDClip({x}, dl::SGDClipOptions(-0.1)); },
                                      {"SGDClip: lr must be >= 0 and finite, got -0.1"});
  expect_error<std::invalid_argument>(
      [&] { dl::SGDClip({x}, dl::SGDClipOptions(0.1).coordinate_clip(1.5)); },
      {"coordinate_clip must be in [0, 1], got 1.5"});
  expect_error<std::invalid_argument>(
      [&] { dl::SGDClip({x}, dl::SGDClipOptions(0.1).momentum(1.0)); },
      {"momentum must be in [0, 1), got 1"});
  expect_error<std::invalid_argument>(
      [&] { dl::AdamClip({x}, dl::AdamClipOptions(0.1).coordinate_clip(-0.5)); },
      {"AdamClip: coordinate_clip must be in [0, 1], got -0.5"});
  expect_error<std::invalid_argument>(
      [&] { dl::AdamClip({x}, dl::AdamClipOptions(0.1).betas(std::make_tuple(0.9, 1.0))); },
      {"beta2 must be in [0, 1), got 1"});
}

TEST(SGDClip, LearningRateThroughOptions) {
  auto x = param({1.0});
  dl::SGDClip opt({x}, dl::SGDClipOptions(0.1));
  opt.param_groups()[0].options().set_lr(0.25);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].options().get_lr(), 0.25);
  EXPECT_TRUE(static_cast<dl::SGDClipOptions&>(opt.param_groups()[0].options()) ==
              dl::SGDClipOptions(0.25));
}
