// TrAct (Petersen, Borgelt & Ermon 2024): the worked example and limits of the reference notes
// (section 12), the direct and Woodbury branches agreeing, the linear and conv2d layers (forward,
// input and bias gradients unchanged, weight gradient replaced), and errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/tract.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using dl::TrActBranch;
using namespace optim_test;

namespace {
double max_rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}
}  // namespace

TEST(TrAct, WorkedExample) {
  // x = [1, 3] (b = 2, n = 1), G = [1, 1], lambda = 0.1: plain 4, X^T X / b = 5 -> 4 / 5.1.
  const auto x = vec({1.0, 3.0}).reshape({2, 1});
  const auto g = vec({1.0, 1.0}).reshape({2, 1});
  for (auto branch : {TrActBranch::automatic, TrActBranch::direct, TrActBranch::woodbury})
    expect_near(dl::tract_weight_gradient(x, g, 0.1, branch), {0.784314}, 1e-6);
  // Through the layer: weight gradient replaced, bias gradient plain (sum of G).
  auto w = param({2.0}).reshape({1, 1}).detach().requires_grad_();
  auto b = param({0.5});
  auto y = dl::tract_linear(x, w, b, 0.1);
  expect_near(y, {2.5, 6.5}, 1e-15);  // forward unchanged
  y.sum().backward();
  expect_near(w.grad(), {0.784314}, 1e-6);
  expect_near(b.grad(), {2.0}, 1e-15);
}

TEST(TrAct, LargeLambdaLimit) {
  torch::manual_seed(3);
  const auto x = torch::randn({8, 3}, torch::kFloat64), g = torch::randn({8, 2}, torch::kFloat64);
  const double lambda = 1e8;
  const auto plain = g.t().matmul(x);
  EXPECT_LT(max_rel(dl::tract_weight_gradient(x, g, lambda) * lambda, plain), 1e-6);
}

TEST(TrAct, WhitenedInputs) {
  // X^T X / b = I: grad W* = grad W / (1 + lambda).
  const auto x = vec({1, 1, 1, -1, 1, 1, 1, -1}).reshape({4, 2});
  const auto g = vec({0.5, -1.0, 2.0, 0.25}).reshape({4, 1});
  const auto plain = g.t().matmul(x);
  for (auto branch : {TrActBranch::direct, TrActBranch::woodbury})
    EXPECT_LT(max_rel(dl::tract_weight_gradient(x, g, 0.3, branch), plain / 1.3), 1e-12);
}

TEST(TrAct, WoodburyAndDirectAgree) {
  torch::manual_seed(5);
  for (auto [b, n] : {std::pair<int64_t, int64_t>{3, 7}, {10, 4}, {5, 5}}) {
    const auto x = torch::randn({b, n}, torch::kFloat64), g = torch::randn({b, 3}, torch::kFloat64);
    const auto direct = dl::tract_weight_gradient(x, g, 0.1, TrActBranch::direct);
    const auto woodbury = dl::tract_weight_gradient(x, g, 0.1, TrActBranch::woodbury);
    EXPECT_LT(max_rel(woodbury, direct), 1e-10) << "b = " << b << ", n = " << n;
    // And both solve the definition: grad W* (X^T X / b + lambda I) = G^T X.
    const auto m = x.t().matmul(x) / static_cast<double>(b) + 0.1 * torch::eye(n, torch::kFloat64);
    EXPECT_LT(max_rel(direct.matmul(m), g.t().matmul(x)), 1e-10);
  }
}

TEST(TrAct, LinearWithBatchDimensionsAndFloat32) {
  torch::manual_seed(7);
  auto x = torch::randn({2, 3, 4}).requires_grad_();  // 6 rows of n = 4
  auto w = torch::randn({5, 4}).requires_grad_();
  auto y = dl::tract_linear(x, w, torch::Tensor(), 0.1);
  auto plain_y = torch::nn::functional::linear(x, w);
  EXPECT_TRUE(torch::allclose(y, plain_y));
  auto up = torch::randn({2, 3, 5});
  auto gx = torch::autograd::grad({(y * up).sum()}, {x, w});
  auto px = torch::autograd::grad({(plain_y * up).sum()}, {x});
  EXPECT_TRUE(torch::allclose(gx[0], px[0]));  // input gradient unchanged
  const auto expected =
      dl::tract_weight_gradient(x.detach().reshape({6, 4}), up.reshape({6, 5}), 0.1);
  EXPECT_EQ(gx[1].scalar_type(), torch::kFloat32);
  EXPECT_LT(max_rel(gx[1], expected), 1e-5);
}

TEST(TrAct, Conv2d) {
  torch::manual_seed(11);
  auto x = torch::randn({2, 3, 6, 5}, torch::kFloat64).requires_grad_();
  auto w = torch::randn({4, 3, 3, 3}, torch::kFloat64).requires_grad_();
  auto b = torch::randn({4}, torch::kFloat64).requires_grad_();
  auto y = dl::tract_conv2d(x, w, b, 0.1, /*stride=*/{2, 1}, /*padding=*/1, /*dilation=*/1);
  auto plain = torch::conv2d(x, w, b, {2, 1}, {1, 1});
  ASSERT_EQ(y.sizes(), plain.sizes());
  EXPECT_TRUE(torch::allclose(y, plain));
  auto up = torch::randn(plain.sizes(), torch::kFloat64);
  auto g = torch::autograd::grad({(y * up).sum()}, {x, w, b});
  auto p = torch::autograd::grad({(plain * up).sum()}, {x, w, b});
  EXPECT_LT(max_rel(g[0], p[0]), 1e-12);  // input gradient unchanged
  EXPECT_LT(max_rel(g[2], p[2]), 1e-12);  // bias gradient unchanged
  // Weight gradient: TrAct over the unfolded patches, rows = B H_out W_out.
  namespace F = torch::nn::functional;
  auto patches = F::unfold(x.detach(), F::UnfoldFuncOptions({3, 3}).stride({2, 1}).padding(1));
  auto rows_x = patches.transpose(1, 2).reshape({-1, 27});
  auto rows_g = up.reshape({2, 4, -1}).transpose(1, 2).reshape({-1, 4});
  auto expected = dl::tract_weight_gradient(rows_x, rows_g, 0.1).reshape(w.sizes());
  EXPECT_LT(max_rel(g[1], expected), 1e-10);
  EXPECT_GT(max_rel(g[1], p[1]), 1e-3);  // and it is not the plain gradient
  // Large lambda: lambda grad W* -> plain grad W.
  auto y_big = dl::tract_conv2d(x, w, b, 1e9, {2, 1}, 1);
  auto g_big = torch::autograd::grad({(y_big * up).sum()}, {w});
  EXPECT_LT(max_rel(g_big[0] * 1e9, p[1]), 1e-6);
}

TEST(TrAct, Errors) {
  const auto x = vec({1.0, 3.0}).reshape({2, 1});
  expect_error<std::invalid_argument>(
      [&] {
        dl::tract_weight_gradient(x, vec({1.0, 1.0, 1.0}).reshape({3, 1}), 0.1);
      },
      {"same rows, got [2, 1] and [3, 1]"});
  expect_error<std::invalid_argument>([&] { dl::tract_weight_gradient(x, x, -1.0); },
                                      {"lambda must be > 0 and finite, got -1"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::tract_linear(x, torch::ones({3, 2}, torch::kFloat64), torch::Tensor());
      },
      {"tract_linear: input [2, 1] does not fit the weight [3, 2]"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::tract_conv2d(torch::ones({1, 2, 4, 4}), torch::ones({3, 1, 3, 3}), torch::Tensor());
      },
      {"tract_conv2d: input [1, 2, 4, 4] does not fit the weight [3, 1, 3, 3]"});
}

TEST(TrAct, Conv2dWithoutBias) {
  torch::manual_seed(13);
  auto x = torch::randn({1, 2, 4, 4}, torch::kFloat64);
  auto w = torch::randn({3, 2, 2, 2}, torch::kFloat64).requires_grad_();
  auto y = dl::tract_conv2d(x, w, torch::Tensor(), 0.1);
  EXPECT_TRUE(torch::allclose(y, torch::conv2d(x, w)));
  y.sum().backward();
  EXPECT_TRUE(w.grad().defined());
}
