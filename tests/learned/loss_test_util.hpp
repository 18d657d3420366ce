// Helpers of the loss tests: finite-difference gradient checks in float64 (error checks:
// expect_error from tests/support), and the short names every loss test file uses.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "../support/expect_error.hpp"

namespace deepsolve::learned::testing {

using deepsolve_test::expect_error;

/// Compares autograd's gradient of the scalar f at x0 with central differences (step h), entry
/// by entry, in float64; also asserts that the gradient is not identically zero.
inline void expect_gradient_matches(const std::function<at::Tensor(const at::Tensor&)>& f,
                                    const at::Tensor& x0, double tol = 1e-6, double h = 1e-6) {
  const at::Tensor base = x0.detach().to(torch::kDouble).contiguous();
  at::Tensor x = base.clone().requires_grad_(true);
  const at::Tensor y = f(x);
  ASSERT_EQ(y.numel(), 1) << "f must be a scalar";
  const at::Tensor g = torch::autograd::grad({y}, {x})[0].reshape({-1});
  ASSERT_TRUE(torch::isfinite(g).all().item<bool>()) << g;
  EXPECT_GT(g.abs().max().item<double>(), 1e-10) << "the gradient is identically zero";
  torch::NoGradGuard no_grad;
  const at::Tensor flat = base.reshape({-1});
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    at::Tensor plus = flat.clone();
    at::Tensor minus = flat.clone();
    plus[i] += h;
    minus[i] -= h;
    const double fp = f(plus.view(base.sizes())).item<double>();
    const double fm = f(minus.view(base.sizes())).item<double>();
    const double fd = (fp - fm) / (2 * h);
    const double ad = g[i].item<double>();
    EXPECT_NEAR(ad, fd, tol * (1 + std::abs(fd))) << "entry " << i;
  }
}

inline at::Tensor f64(std::initializer_list<double> v) {
  return torch::tensor(std::vector<double>(v), torch::kDouble);
}

}  // namespace deepsolve::learned::testing

namespace dl = deepsolve::learned;
namespace F = deepsolve::learned::functional;
using dl::testing::expect_error;
using dl::testing::expect_gradient_matches;
using dl::testing::f64;
