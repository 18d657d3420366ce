// SAF and MESA (Du et al. 2022): the trajectory KL term (golden value of the reference notes,
// section 8), the logit bank's ring buffer, the SAF term over epochs, the EMA model and the MESA
// term, and errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/mesa.hpp"
#include "deepsolve/learned/optim/saf.hpp"
#include "deepsolve/learned/optim/trajectory_kl.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using namespace optim_test;

namespace {
torch::Tensor rows(std::vector<double> v, int64_t cols) {
  return vec(std::move(v)).reshape({-1, cols});
}
torch::Tensor ids(std::vector<int64_t> v) {
  return torch::tensor(v, torch::kInt64);
}
}  // namespace

TEST(TrajectoryKL, Golden) {
  // z_ref = [2, 0], z = [0, 0], T = 5: P_ref = [0.598688, 0.401312], KL T^2 = 0.490175.
  auto z = rows({0, 0}, 2).requires_grad_();
  auto z_ref = rows({2, 0}, 2).requires_grad_();
  auto kl = dl::trajectory_kl(z, z_ref, 5.0);
  EXPECT_NEAR(kl.item<double>(), 0.490175, 1e-6);
  kl.backward();
  EXPECT_TRUE(z.grad().defined());
  EXPECT_FALSE(z_ref.grad().defined());  // the reference is detached
  // dKL/dz = T^2 (p - p_ref) / T = 5 ([0.5, 0.5] - P_ref).
  expect_near(z.grad(), {5 * (0.5 - 0.598688), 5 * (0.5 - 0.401312)}, 1e-5);
  // The mean over the batch: the same row twice gives the same value; identical logits give 0.
  EXPECT_NEAR(dl::trajectory_kl(rows({0, 0, 0, 0}, 2), rows({2, 0, 2, 0}, 2), 5.0).item<double>(),
              0.490175, 1e-6);
  EXPECT_NEAR(dl::trajectory_kl(rows({1, 2}, 2), rows({1, 2}, 2), 5.0).item<double>(), 0.0, 1e-15);
}

TEST(TrajectoryKL, Errors) {
  expect_error<std::invalid_argument>(
      [] {
        dl::trajectory_kl(rows({0, 0}, 2), rows({0, 0, 0}, 3), 5.0);
      },
      {"reference logits [1, 3] do not match the logits [1, 2]"});
  expect_error<std::invalid_argument>(
      [] {
        dl::trajectory_kl(rows({0, 0}, 2), rows({0, 0}, 2), 0.0);
      },
      {"temperature must be > 0 and finite, got 0"});
}

TEST(LogitBank, RingBufferOverEpochs) {
  dl::LogitBank bank(4, 2, 2);  // 4 samples, 2 classes, 2 epochs kept
  bank->record(ids({0, 2}), rows({1, 2, 3, 4}, 2), 0);
  bank->record(ids({0}), rows({5, 6}, 2), 1);
  auto e0 = bank->lookup(ids({0, 1, 2}), 0);
  EXPECT_EQ(e0.found.to(torch::kInt64).sum().item<int64_t>(), 2);
  EXPECT_TRUE(e0.found[0].item<bool>());
  EXPECT_FALSE(e0.found[1].item<bool>());
  expect_near(e0.logits, {1, 2, 0, 0, 3, 4}, 0.0);
  expect_near(bank->lookup(ids({0}), 1).logits, {5, 6}, 0.0);
  // Epoch 2 reuses epoch 0's slot: epoch 0 is gone for sample 0, still there for sample 2.
  bank->record(ids({0}), rows({7, 8}, 2), 2);
  EXPECT_FALSE(bank->lookup(ids({0}), 0).found[0].item<bool>());
  EXPECT_TRUE(bank->lookup(ids({2}), 0).found[0].item<bool>());
  expect_near(bank->lookup(ids({0}), 2).logits, {7, 8}, 0.0);
  // The bank is a module: its buffers go wherever the model's go (checkpoints).
  EXPECT_EQ(bank->named_buffers().size(), 2u);
}

TEST(LogitBank, Errors) {
  dl::LogitBank bank(4, 2, 2);
  expect_error<std::invalid_argument>(
      [&] {
        bank->record(ids({4}), rows({1, 2}, 2), 0);
      },
      {"sample index 4 is outside [0, 4)"});
  expect_error<std::invalid_argument>(
      [&] {
        bank->record(ids({0}), rows({1, 2, 3}, 3), 0);
      },
      {"logits must be (1, 2) for 1 indices"});
  expect_error<std::invalid_argument>([] { dl::LogitBank(0, 2, 2); },
                                      {"samples must be >= 1, got 0"});
}

TEST(SAF, TermAgainstTheLogitsOfEpochsAgo) {
  // E~ = 1, start at epoch 1, lambda = 0.5, T = 5.
  dl::SAF saf(4, 2, dl::SAFOptions().lambda(0.5).epochs_back(1).start_epoch(1));
  // Epoch 0: before the start, 0 (the logits are stored).
  EXPECT_EQ(saf.term(rows({2, 0, 2, 0}, 2), ids({0, 1}), 0).item<double>(), 0.0);
  // Epoch 1: against epoch 0's [2, 0]: 0.5 * 0.490175.
  auto z = rows({0, 0, 0, 0}, 2).requires_grad_();
  auto t = saf.term(z, ids({0, 1}), 1);
  EXPECT_NEAR(t.item<double>(), 0.5 * 0.490175, 1e-6);
  t.backward();
  EXPECT_TRUE(z.grad().defined());
  // A sample without logits from epoch 0 contributes nothing; the mean is over those that have.
  EXPECT_EQ(saf.term(rows({0, 0}, 2), ids({3}), 1).item<double>(), 0.0);
  EXPECT_NEAR(saf.term(rows({0, 0, 9, 9}, 2), ids({0, 3}), 1).item<double>(), 0.5 * 0.490175, 1e-6);
}

TEST(SAF, EndEpochAndErrors) {
  dl::SAF saf(2, 2, dl::SAFOptions().epochs_back(1).start_epoch(1).end_epoch(1));
  saf.term(rows({2, 0}, 2), ids({0}), 0);
  saf.term(rows({2, 0}, 2), ids({0}), 1);
  EXPECT_GT(saf.term(rows({0, 0}, 2), ids({0}), 1).item<double>(), 0.0);
  EXPECT_EQ(saf.term(rows({0, 0}, 2), ids({0}), 2).item<double>(), 0.0);  // after the end
  expect_error<std::invalid_argument>([] { dl::SAF(2, 2, dl::SAFOptions().lambda(-0.3)); },
                                      {"SAF: lambda must be >= 0 and finite, got -0.3"});
  expect_error<std::invalid_argument>([] { dl::SAF(2, 2, dl::SAFOptions().epochs_back(0)); },
                                      {"epochs_back must be >= 1, got 0"});
}

namespace {
struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc = register_module("fc", torch::nn::Linear(1, 1));
    count = register_buffer("count", torch::zeros({1}, torch::kInt64));
    scale = register_buffer("scale", torch::ones({1}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc(x) * scale; }
  torch::nn::Linear fc{nullptr};
  torch::Tensor count, scale;
};
TORCH_MODULE(Net);

void set(Net& n, double w, double b, int64_t count, double scale) {
  torch::NoGradGuard g;
  n->fc->weight.fill_(w);
  n->fc->bias.fill_(b);
  n->count.fill_(count);
  n->scale.fill_(scale);
}
}  // namespace

TEST(ModelEma, AveragesParametersAndFloatBuffers) {
  Net model, copy;
  set(model, 1.0, 0.0, 7, 2.0);
  set(copy, 3.0, 4.0, 0, 0.0);
  dl::ModelEma ema(copy.ptr(), 0.5);
  ema.update(*model);
  auto e = ema.module_as<NetImpl>();
  ASSERT_TRUE(e);
  EXPECT_DOUBLE_EQ(e->fc->weight.item<double>(), 2.0);  // 0.5 * 3 + 0.5 * 1
  EXPECT_DOUBLE_EQ(e->fc->bias.item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(e->scale.item<double>(), 1.0);
  EXPECT_EQ(e->count.item<int64_t>(), 7);  // integer buffers are copied
  EXPECT_FALSE(e->fc->weight.requires_grad());
  ema.update(*model);
  EXPECT_DOUBLE_EQ(e->fc->weight.item<double>(), 1.5);
  EXPECT_EQ(ema.updates(), 2);
}

TEST(ModelEma, MismatchedModel) {
  Net copy;
  dl::ModelEma ema(copy.ptr(), 0.9);
  torch::nn::Linear other(2, 1);
  expect_error<std::invalid_argument>([&] { ema.update(*other); }, {"ModelEma::update"});
  expect_error<std::invalid_argument>([&] { dl::ModelEma(copy.ptr(), 1.5); },
                                      {"decay must be in [0, 1], got 1.5"});
}

TEST(MESA, TermWithTheEmaModel) {
  Net model, copy;
  dl::MESA mesa(copy.ptr(), dl::MESAOptions().lambda(0.8).start_epoch(2));
  EXPECT_EQ(mesa.term(rows({0, 0}, 2), rows({2, 0}, 2), 1).item<double>(), 0.0);
  EXPECT_NEAR(mesa.term(rows({0, 0}, 2), rows({2, 0}, 2), 2).item<double>(), 0.8 * 0.490175, 1e-6);
  expect_error<std::invalid_argument>(
      [&] {
        mesa.term(rows({0, 0}, 2), rows({2, 0, 1}, 3), 1);
      },
      {"do not match the logits"});
  set(model, 1.0, 0.0, 0, 1.0);
  set(copy, 0.0, 0.0, 0, 1.0);
  mesa.update(*model);
  EXPECT_NEAR(mesa.ema().module_as<NetImpl>()->fc->weight.item<double>(), 1.0 - 0.9998, 1e-7);
}
