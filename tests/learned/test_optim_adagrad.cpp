// AdAdaGrad (Lau, Liu & Kolar 2024): per-sample gradients, the norm / inner-product /
// orthogonality / augmented tests (golden values of the reference notes, section 7, and hand
// values), the batch-size schedule (grows only, capped), AdaGrad-Norm and AdaGrad steps against
// hand computations, save/load, and errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/adagrad.hpp"
#include "deepsolve/learned/optim/adagrad_norm.hpp"
#include "deepsolve/learned/optim/adaptive_batch.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using namespace optim_test;

namespace {
// Per-sample losses l_i = (w x_i - t_i)^2 / 2 with w = 1, x = [1, 1], t = [0, -2]: their
// gradients are (w x_i - t_i) x_i = [1, 3].
struct OneD {
  torch::Tensor w = param({1.0});
  torch::Tensor x = vec({1.0, 1.0}), t = vec({0.0, -2.0});
  torch::Tensor losses() const { return 0.5 * (w * x - t).square(); }
};
}  // namespace

TEST(AdaptiveBatch, PerSampleGradientsBothWays) {
  OneD m;
  expect_near(dl::per_sample_gradients(m.losses(), {m.w}), {1.0, 3.0}, 1e-15);
  auto by_loop = dl::per_sample_gradients(2, [&](int64_t i) { return m.losses()[i]; }, {m.w});
  expect_near(by_loop, {1.0, 3.0}, 1e-15);
  EXPECT_EQ(by_loop.sizes(), (std::vector<int64_t>{2, 1}));
  // A parameter the losses do not reach gives zero columns.
  auto unused = param({5.0, 6.0});
  auto rows = dl::per_sample_gradients(m.losses(), {m.w, unused});
  EXPECT_EQ(rows.sizes(), (std::vector<int64_t>{2, 3}));
  expect_near(rows, {1, 0, 0, 3, 0, 0}, 1e-15);
}

TEST(AdaptiveBatch, NormTestGolden) {
  // gbar = 2, Var = 2: eta = 0.5 -> b stays 2; eta = 0.1 -> b = 50.
  const auto g = vec({1.0, 3.0}).reshape({2, 1});
  auto r = dl::norm_test(g, 0.5);
  EXPECT_DOUBLE_EQ(r.grad_norm_sq, 4.0);
  EXPECT_DOUBLE_EQ(r.variance, 2.0);
  EXPECT_TRUE(r.passed);
  dl::AdaptiveBatchSize lenient(dl::AdaptiveBatchOptions().eta(0.5).initial_batch(2));
  EXPECT_EQ(lenient.update(g), 2);
  dl::AdaptiveBatchSize strict(dl::AdaptiveBatchOptions().eta(0.1).initial_batch(2));
  EXPECT_EQ(strict.update(g), 50);
  EXPECT_FALSE(strict.last_result().passed);
  EXPECT_NEAR(strict.last_result().required_batch, 50.0, 1e-9);
}

TEST(AdaptiveBatch, InnerProductAndOrthogonalityInOneDimension) {
  // <g_i, gbar> = [2, 6]: Var = 8, ||gbar||^4 = 16 -> theta = 0.1 asks for 50. In 1-D nothing is
  // orthogonal to gbar: the orthogonality test passes.
  const auto g = vec({1.0, 3.0}).reshape({2, 1});
  auto ip = dl::inner_product_test(g, 0.1);
  EXPECT_DOUBLE_EQ(ip.variance, 8.0);
  EXPECT_NEAR(ip.required_batch, 50.0, 1e-9);
  auto orth = dl::orthogonality_test(g, 0.1);
  EXPECT_NEAR(orth.variance, 0.0, 1e-15);
  EXPECT_TRUE(orth.passed);
  auto aug = dl::augmented_test(g, 0.1, 0.1);
  EXPECT_FALSE(aug.passed);
  EXPECT_NEAR(aug.required_batch, 50.0, 1e-9);
}

TEST(AdaptiveBatch, OrthogonalNoiseInTwoDimensions) {
  // g_1 = [1, 1], g_2 = [1, -1]: gbar = [1, 0]. Norm test: sum Var = 2 -> 2 / 0.01 = 200.
  // Inner products [1, 1] have no variance (passes); the orthogonal parts [0, +-1] carry all of
  // it: 200. Augmented: 200.
  const auto g = vec({1.0, 1.0, 1.0, -1.0}).reshape({2, 2});
  EXPECT_NEAR(dl::norm_test(g, 0.1).required_batch, 200.0, 1e-9);
  auto ip = dl::inner_product_test(g, 0.1);
  EXPECT_TRUE(ip.passed);
  EXPECT_NEAR(ip.variance, 0.0, 1e-15);
  auto orth = dl::orthogonality_test(g, 0.1);
  EXPECT_DOUBLE_EQ(orth.variance, 2.0);
  EXPECT_NEAR(orth.required_batch, 200.0, 1e-9);
  auto aug = dl::augmented_test(g, 0.1, 0.1);
  EXPECT_NEAR(aug.required_batch, 200.0, 1e-9);
  EXPECT_DOUBLE_EQ(aug.variance2, 2.0);
  dl::AdaptiveBatchSize s(
      dl::AdaptiveBatchOptions().test(dl::BatchTest::augmented).initial_batch(2));
  EXPECT_EQ(s.update(g), 200);
}

TEST(AdaptiveBatch, GrowsOnlyAndIsCapped) {
  const auto g = vec({1.0, 3.0}).reshape({2, 1});
  // Already larger than the test asks for (2): stays.
  dl::AdaptiveBatchSize big(dl::AdaptiveBatchOptions().eta(0.5).initial_batch(100));
  EXPECT_EQ(big.update(g), 100);
  // Asks for 50, capped at 30.
  dl::AdaptiveBatchSize capped(dl::AdaptiveBatchOptions().eta(0.1).initial_batch(2).max_batch(30));
  EXPECT_EQ(capped.update(g), 30);
  // 'none' never changes the batch and is never due.
  dl::AdaptiveBatchSize none(dl::AdaptiveBatchOptions().test(dl::BatchTest::none).initial_batch(4));
  EXPECT_FALSE(none.due());
  EXPECT_EQ(none.update(g), 4);
}

TEST(AdaptiveBatch, TestInterval) {
  dl::AdaptiveBatchSize s(dl::AdaptiveBatchOptions().test_interval(3));
  std::vector<bool> due;
  for (int i = 0; i < 6; ++i) {
    due.push_back(s.due());
    s.count_step();
  }
  EXPECT_EQ(due, (std::vector<bool>{true, false, false, true, false, false}));
}

TEST(AdaptiveBatch, Errors) {
  const auto one = vec({1.0}).reshape({1, 1});
  expect_error<std::invalid_argument>([&] { dl::norm_test(one, 0.1); },
                                      {"batch too small for a variance test: b = 1"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::norm_test(vec({1.0, 2.0}), 0.1);
      },
      {"(b, d) tensor, got 1-D"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::inner_product_test(vec({1.0, 3.0}).reshape({2, 1}), -0.1);
      },
      {"theta must be > 0 and finite, got -0.1"});
  expect_error<std::invalid_argument>(
      [] { dl::AdaptiveBatchSize(dl::AdaptiveBatchOptions().initial_batch(10).max_batch(5)); },
      {"max_batch must be >= initial_batch (10), got 5"});
  expect_error<std::invalid_argument>([] { dl::batch_test_from_string("variance"); },
                                      {"unknown batch-size test 'variance'", "augmented"});
  expect_error<std::invalid_argument>(
      [] {
        dl::per_sample_gradients(vec({1.0}).reshape({1, 1}), {});
      },
      {"losses must be a 1-D tensor"});
}

TEST(AdaGradNorm, HandComputedSteps) {
  // b_0^2 = 11. Step 1: g = [3 | 4], ||g||^2 = 25, b_1 = 6: x = [1 - 3/6 | 2 - 4/6].
  // Step 2: g = [0 | 8], b_2^2 = 36 + 64 = 100: x_b -= 8/10.
  auto a = param({1.0}), b = param({2.0});
  dl::AdaGradNorm opt({a, b}, dl::AdaGradNormOptions(1.0).initial_accumulator_value(11.0));
  a.mutable_grad() = vec({3.0});
  b.mutable_grad() = vec({4.0});
  opt.step();
  expect_near(a, {0.5}, 1e-9);
  expect_near(b, {2.0 - 4.0 / 6.0}, 1e-9);
  EXPECT_DOUBLE_EQ(opt.accumulator(), 36.0);
  a.mutable_grad() = vec({0.0});
  b.mutable_grad() = vec({8.0});
  opt.step();
  expect_near(a, {0.5}, 1e-9);
  expect_near(b, {2.0 - 4.0 / 6.0 - 0.8}, 1e-9);
  EXPECT_DOUBLE_EQ(opt.accumulator(), 100.0);
}

TEST(AdaGradNorm, RecommendsBatchSizeForTheLoader) {
  OneD m;
  dl::AdaGradNorm opt({m.w}, dl::AdaGradNormOptions(0.1),
                      dl::AdaptiveBatchOptions().eta(0.1).initial_batch(2));
  EXPECT_EQ(opt.recommended_batch_size(), 2);
  EXPECT_TRUE(opt.adaptive_batch().due());
  EXPECT_EQ(opt.adapt_batch(dl::per_sample_gradients(m.losses(), {m.w})), 50);
  EXPECT_EQ(opt.recommended_batch_size(), 50);
}

TEST(AdaGrad, HandComputedSteps) {
  // lr 0.1, s_0 = 0. Step 1: g = [3, 4] -> s = [9, 16], x -= 0.1 [1, 1].
  // Step 2: g = [4, 0] -> s = [25, 16], x_0 -= 0.1 * 4/5.
  auto x = param({1.0, 2.0});
  dl::AdaGrad opt({x}, dl::AdaGradOptions(0.1));
  x.mutable_grad() = vec({3.0, 4.0});
  opt.step();
  expect_near(x, {0.9, 1.9}, 1e-9);
  x.mutable_grad() = vec({4.0, 0.0});
  opt.step();
  expect_near(x, {0.82, 1.9}, 1e-9);
}

TEST(AdaGradNorm, SaveLoadRoundTripWithBatchSize) {
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::AdaGradNorm>(p, dl::AdaGradNormOptions(0.5));
  });
  // The batch size and the step counter travel with the state.
  OneD m;
  dl::AdaGradNorm a({m.w}, {}, dl::AdaptiveBatchOptions().initial_batch(2).test_interval(2));
  a.adapt_batch(dl::per_sample_gradients(m.losses(), {m.w}));
  m.w.mutable_grad() = vec({1.0});
  a.step();
  std::stringstream buffer;
  torch::save(a, buffer);
  auto w2 = param({1.0});
  dl::AdaGradNorm b({w2}, {}, dl::AdaptiveBatchOptions().initial_batch(2).test_interval(2));
  torch::load(b, buffer);
  EXPECT_EQ(b.recommended_batch_size(), 50);
  EXPECT_EQ(b.adaptive_batch().steps(), 1);
  EXPECT_FALSE(b.adaptive_batch().due());
  EXPECT_DOUBLE_EQ(b.accumulator(), a.accumulator());
}

TEST(AdaGrad, SaveLoadRoundTrip) {
  check_round_trip([](std::vector<torch::Tensor> p) {
    return std::make_unique<dl::AdaGrad>(p, dl::AdaGradOptions(0.3));
  });
}

TEST(AdaGrad, BadOptions) {
  auto x = param({1.0});
  expect_error<std::invalid_argument>([&] { dl::AdaGrad({x}, dl::AdaGradOptions(-1.0)); },
                                      {"AdaGrad: lr must be >= 0 and finite, got -1"});
  expect_error<std::invalid_argument>(
      [&] { dl::AdaGradNorm({x}, dl::AdaGradNormOptions(1.0).initial_accumulator_value(-2)); },
      {"AdaGradNorm: initial_accumulator_value must be >= 0 and finite, got -2"});
  expect_error<std::invalid_argument>(
      [&] { dl::AdaGradNorm({x}, {}, dl::AdaptiveBatchOptions().eta(0.0)); },
      {"eta must be > 0 and finite, got 0"});
}
