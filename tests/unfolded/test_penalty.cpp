// The proximal maps and objectives of penalty.hpp against their definitions.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "../support/expect_error.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace du = deepsolve::unfolded;
using deepsolve_test::expect_error;

TEST(Penalty, ThresholdsFollowTheProxOfEachPenalty) {
  EXPECT_DOUBLE_EQ(du::prox_threshold(du::Penalty::l1, 0.5, 0.2), 0.1);
  // l0: keep v when v^2/2 > step*lambda, i.e. |v| > sqrt(2 step lambda).
  EXPECT_DOUBLE_EQ(du::prox_threshold(du::Penalty::l0, 0.5, 0.2), std::sqrt(0.2));
}

TEST(Penalty, SoftAndHardShrinkAgreeBetweenTorchAndEigen) {
  Eigen::VectorXd v(6);
  v << -2.0, -0.3, 0.0, 0.29, 0.31, 1.5;
  const torch::Tensor t = torch::from_blob(v.data(), {1, 6}, torch::kFloat64).clone();
  for (const du::Penalty p : {du::Penalty::l1, du::Penalty::l0}) {
    const Eigen::VectorXd e = du::shrink(p, v, 0.3);
    const torch::Tensor s = du::shrink(p, t, 0.3);
    for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(e[i], s[0][i].item<double>()) << i;
  }
  const Eigen::VectorXd soft = du::shrink(du::Penalty::l1, v, 0.3);
  EXPECT_DOUBLE_EQ(soft[0], -1.7);
  EXPECT_DOUBLE_EQ(soft[1], 0.0);
  EXPECT_DOUBLE_EQ(soft[4], 0.31 - 0.3);
  const Eigen::VectorXd hard = du::shrink(du::Penalty::l0, v, 0.3);
  EXPECT_DOUBLE_EQ(hard[3], 0.0);
  EXPECT_DOUBLE_EQ(hard[4], 0.31);
}

TEST(Penalty, SoftShrinkIsDifferentiableInTheThreshold) {
  const torch::Tensor v = torch::tensor({{1.0, 2.0, -3.0, 0.1}}, torch::kFloat64);
  const torch::Tensor t = torch::tensor(0.5, torch::dtype(torch::kFloat64).requires_grad(true));
  // (1 - t) + (2 - t) + (-3 + t) + 0: d/dt = -1.
  du::shrink(du::Penalty::l1, v, t).sum().backward();
  ASSERT_TRUE(t.grad().defined());
  EXPECT_DOUBLE_EQ(t.grad().item<double>(), -1.0);
  // A threshold per row broadcasts against the batch.
  const torch::Tensor rows = torch::tensor({{0.5}, {1.5}}, torch::kFloat64);
  const torch::Tensor both = du::shrink(du::Penalty::l1, v.expand({2, 4}), rows);
  EXPECT_DOUBLE_EQ(both[0][1].item<double>(), 1.5);
  EXPECT_DOUBLE_EQ(both[1][1].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(both[1][0].item<double>(), 0.0);
}

TEST(Penalty, ObjectiveMatchesItsDefinitionForSharedAndPerProblemMatrices) {
  torch::manual_seed(3);
  const torch::Tensor A = torch::randn({4, 6}, torch::kFloat64);
  const torch::Tensor x = torch::randn({2, 6}, torch::kFloat64);
  const torch::Tensor y = torch::randn({2, 4}, torch::kFloat64);
  const torch::Tensor f = du::objective(du::Penalty::l1, 0.7, A, y, x);
  for (int b = 0; b < 2; ++b) {
    const torch::Tensor r = y[b] - torch::mv(A, x[b]);
    const double expected = 0.5 * r.dot(r).item<double>() + 0.7 * x[b].abs().sum().item<double>();
    EXPECT_NEAR(f[b].item<double>(), expected, 1e-12);
  }
  const torch::Tensor per_problem = A.unsqueeze(0).expand({2, 4, 6}).contiguous();
  EXPECT_TRUE(torch::allclose(du::objective(du::Penalty::l0, 0.7, per_problem, y, x),
                              du::objective(du::Penalty::l0, 0.7, A, y, x)));
  const torch::Tensor r = torch::randn({2, 4}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(du::apply_adjoint(A, r), torch::matmul(r, A)));
}

TEST(Penalty, NmseInDecibels) {
  const torch::Tensor truth = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  EXPECT_NEAR(du::nmse_db(truth * 0.9, truth), 10.0 * std::log10(0.01), 1e-12);
  Eigen::VectorXd a(2), b(2);
  a << 1.0, 1.0;
  b << 1.1, 1.0;
  EXPECT_NEAR(du::nmse_db(b, a), 10.0 * std::log10(0.01 / 2.0), 1e-12);
}

TEST(Penalty, BadInputIsNamed) {
  expect_error<std::invalid_argument>([] { du::parse_penalty("l2", "--penalty"); },
                                      {"--penalty", "'l2'"});
  const torch::Tensor A = torch::zeros({4, 6}, torch::kFloat64);
  expect_error<std::invalid_argument>(
      [&] {
        du::apply_matrix(A, torch::zeros({2, 5}, torch::kFloat64));
      },
      {"[4, 6]", "[2, 5]"});
  expect_error<std::invalid_argument>(
      [&] {
        du::nmse_db(torch::zeros({2, 3}), torch::zeros({2, 3}));
      },
      "all zero");
}
