// SAM / ASAM (Foret et al. 2021; Kwon et al. 2021): the golden values of the reference notes
// (section 9), the closure contract, the learning rate reaching the base optimizer, save/load of
// the base optimizer's state, and errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/sam.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using namespace optim_test;

namespace {
// L = ||w||^2 / 2 over w = [1 | 2] (two parameters: the norm must be global).
struct HalfSquare {
  torch::Tensor a = param({1.0}), b = param({2.0});
  int calls = 0;
  std::function<torch::Tensor()> closure() {
    return [this] {
      ++calls;
      for (auto* p : {&a, &b})
        if (p->grad().defined()) p->grad().zero_();
      auto l = 0.5 * (a.square().sum() + b.square().sum());
      l.backward();
      return l;
    };
  }
};

std::unique_ptr<torch::optim::Optimizer> sgd(std::vector<torch::Tensor> p, double lr,
                                             double momentum = 0.0) {
  return std::make_unique<torch::optim::SGD>(p, torch::optim::SGDOptions(lr).momentum(momentum));
}
}  // namespace

TEST(SAM, GoldenStep) {
  HalfSquare f;
  dl::SAM sam(sgd({f.a, f.b}, 0.1), dl::SAMOptions(0.05));
  auto loss = sam.step(f.closure());
  EXPECT_EQ(f.calls, 2);
  EXPECT_NEAR(loss.item<double>(), 2.5, 1e-15);  // the loss at w
  // e = 0.05 [1, 2] / sqrt(5) = [0.022361, 0.044721]; w - 0.1 (w + e).
  expect_near(f.a, {0.897764}, 1e-6);
  expect_near(f.b, {1.795528}, 1e-6);
}

TEST(SAM, GoldenPerturbations) {
  HalfSquare f;
  dl::SAM sam(sgd({f.a, f.b}, 0.1), dl::SAMOptions(0.05));
  f.closure()();
  sam.first_step();
  expect_near(f.a, {1.022361}, 1e-6);
  expect_near(f.b, {2.044721}, 1e-6);

  HalfSquare g;
  dl::SAM asam(sgd({g.a, g.b}, 0.1), dl::SAMOptions(0.05).adaptive(true));
  g.closure()();
  asam.first_step();
  // ASAM: e = rho w^2 g / || |w| g || = 0.05 [1, 8] / sqrt(17) = [0.012127, 0.097014].
  expect_near(g.a, {1.012127}, 1e-6);
  expect_near(g.b, {2.097014}, 1e-6);
  // second_step restores w before the base step: w - 0.1 grad(w + e).
  g.closure()();
  asam.second_step();
  expect_near(g.a, {1.0 - 0.1 * 1.012127}, 1e-6);
  expect_near(g.b, {2.0 - 0.1 * 2.097014}, 1e-6);
}

TEST(SAM, NeedsAClosure) {
  HalfSquare f;
  dl::SAM sam(sgd({f.a, f.b}, 0.1));
  expect_error<std::invalid_argument>([&] { sam.step(); }, {"SAM::step needs a closure"});
}

TEST(SAM, LearningRateReachesTheBaseOptimizer) {
  HalfSquare f;
  dl::SAM sam(sgd({f.a, f.b}, 0.1), dl::SAMOptions(0.0));
  EXPECT_DOUBLE_EQ(sam.param_groups()[0].options().get_lr(), 0.1);
  sam.param_groups()[0].options().set_lr(0.5);  // what an LR scheduler does
  sam.step(f.closure());
  EXPECT_DOUBLE_EQ(sam.base().param_groups()[0].options().get_lr(), 0.5);
  // rho = 0: plain SGD with lr 0.5.
  expect_near(f.a, {0.5}, 1e-12);
  expect_near(f.b, {1.0}, 1e-12);
}

TEST(SAM, SaveLoadRoundTripOfTheBaseState) {
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::SAM>(sgd(p, 0.05, 0.9), dl::SAMOptions(0.1));
  });
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::SAM>(
        std::make_unique<torch::optim::Adam>(p, torch::optim::AdamOptions(0.05)),
        dl::SAMOptions(0.5).adaptive(true));
  });
}

TEST(SAM, BadInput) {
  HalfSquare f;
  expect_error<std::invalid_argument>(
      [&] {
        dl::SAM(sgd({f.a, f.b}, 0.1), dl::SAMOptions(-1.0));
      },
      {"SAM: rho must be >= 0 and finite, got -1"});
  expect_error<std::invalid_argument>([&] { dl::SAM(nullptr); }, {"base optimizer is null"});
}
