// Helpers of the optimizer tests (test_optim_*.cpp): tensors from lists, closeness checks
// (expect_error from tests/support), and a save/load round trip of an optimizer through
// torch::save.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"

namespace optim_test {

using deepsolve_test::expect_error;

inline torch::Tensor vec(std::vector<double> v) {
  return torch::tensor(v, torch::kFloat64);
}

/// A float64 leaf parameter.
inline torch::Tensor param(std::vector<double> v) {
  return vec(std::move(v)).requires_grad_();
}

inline void expect_near(const torch::Tensor& actual, std::vector<double> expected,
                        double tol = 1e-6) {
  auto a = actual.detach().to(torch::kFloat64).reshape({-1});
  ASSERT_EQ(a.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(a[static_cast<int64_t>(i)].item<double>(), expected[i], tol) << "entry " << i;
}

/// A fixed quadratic with a linear term over a list of parameters:
/// L = sum_k sum_j (a_kj p_kj^2 / 2 + c_kj p_kj); its closure zeroes, backpropagates, returns L.
struct Quadratic {
  std::vector<torch::Tensor> params, a, c;
  Quadratic() {
    params = {param({1.0, -2.0, 0.5}), param({3.0, 0.25})};
    a = {vec({1.0, 2.0, 0.5}), vec({0.3, 4.0})};
    c = {vec({0.1, -0.4, 0.2}), vec({-1.0, 0.05})};
  }
  torch::Tensor loss() const {
    torch::Tensor l = torch::zeros({}, torch::kFloat64);
    for (size_t k = 0; k < params.size(); ++k)
      l = l + (0.5 * a[k] * params[k].square() + c[k] * params[k]).sum();
    return l;
  }
  std::function<torch::Tensor()> closure() {
    return [this] {
      for (auto& p : params)
        if (p.grad().defined()) p.grad().zero_();
      auto l = loss();
      l.backward();
      return l;
    };
  }
  std::vector<torch::Tensor> values() const {
    std::vector<torch::Tensor> out;
    for (const auto& p : params) out.push_back(p.detach().clone());
    return out;
  }
};

using Factory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

/// Steps an optimizer `before` times, saves it with torch::save, loads the state into a fresh
/// optimizer over a copy of the parameters, and checks that the next `after` steps of both agree
/// bit for bit, while a fresh optimizer that loaded nothing steps differently (so the check can
/// fail). `stateless` skips that last part.
inline void check_round_trip(const Factory& make, int before = 3, int after = 2,
                             bool stateless = false) {
  Quadratic q1;
  auto o1 = make(q1.params);
  for (int i = 0; i < before; ++i) o1->step(q1.closure());
  std::stringstream buffer;
  torch::save(*o1, buffer);

  Quadratic q2, q3;
  for (size_t k = 0; k < q1.params.size(); ++k) {
    torch::NoGradGuard g;
    q2.params[k].copy_(q1.params[k]);
    q3.params[k].copy_(q1.params[k]);
  }
  auto o2 = make(q2.params);
  auto o3 = make(q3.params);
  torch::load(*o2, buffer);
  for (int i = 0; i < after; ++i) {
    o1->step(q1.closure());
    o2->step(q2.closure());
    o3->step(q3.closure());
  }
  bool fresh_differs = false;
  for (size_t k = 0; k < q1.params.size(); ++k) {
    EXPECT_TRUE(torch::equal(q1.params[k], q2.params[k])) << "parameter " << k;
    fresh_differs = fresh_differs || !torch::equal(q1.params[k], q3.params[k]);
  }
  if (!stateless) {
    EXPECT_TRUE(fresh_differs) << "a fresh optimizer steps the same: no state tested";
  }
}

}  // namespace optim_test
