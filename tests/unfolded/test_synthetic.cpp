// Seeded synthetic data (synthetic.hpp): samples depend on (seed, stream, index) only, the
// matrix has unit-norm Gaussian columns, and sparsity and SNR are what the setup asks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "../support/expect_error.hpp"
#include "deepsolve/unfolded/synthetic.hpp"

namespace du = deepsolve::unfolded;
using deepsolve_test::expect_error;

namespace {

du::SyntheticSetup small_setup() {
  du::SyntheticSetup s;
  s.measurements = 40;
  s.signal_size = 80;
  s.sparsity = 0.1;
  s.snr_db = 30.0;
  s.seed = 7;
  return s;
}

torch::Tensor indices(std::initializer_list<std::int64_t> values) {
  return torch::tensor(std::vector<std::int64_t>(values), torch::kInt64);
}

/// A x for each row of x: [B, m].
torch::Tensor clean(const du::SparseBatch& b) {
  return torch::matmul(b.x, b.A.t());
}

}  // namespace

TEST(Synthetic, ASampleIsTheSameInEveryBatch) {
  const du::SyntheticData data(small_setup());
  const du::SparseBatch whole = data.range(0, 12, du::DataStream::train);
  const du::SparseBatch alone = data.batch(indices({5}), du::DataStream::train);
  const du::SparseBatch shuffled = data.batch(indices({9, 5, 2, 5}), du::DataStream::train);
  // Bit for bit: x and y of sample 5 whatever the batch's size, order or repeats.
  EXPECT_TRUE(torch::equal(whole.x[5], alone.x[0]));
  EXPECT_TRUE(torch::equal(whole.y[5], alone.y[0]));
  EXPECT_TRUE(torch::equal(whole.x[5], shuffled.x[1]));
  EXPECT_TRUE(torch::equal(whole.y[5], shuffled.y[3]));
  EXPECT_TRUE(torch::equal(whole.y[9], shuffled.y[0]));
  // A second object with the same setup draws the same data (no hidden state).
  const du::SyntheticData again(small_setup());
  EXPECT_TRUE(torch::equal(again.range(0, 12, du::DataStream::train).y, whole.y));
  EXPECT_TRUE(torch::equal(again.matrix(), data.matrix()));
}

TEST(Synthetic, StreamsSeedsAndIndicesDiffer) {
  const du::SyntheticData data(small_setup());
  const du::SparseBatch train = data.range(0, 4, du::DataStream::train);
  const du::SparseBatch validation = data.range(0, 4, du::DataStream::validation);
  const du::SparseBatch test = data.range(0, 4, du::DataStream::test);
  EXPECT_FALSE(torch::equal(train.x, validation.x));
  EXPECT_FALSE(torch::equal(train.x, test.x));
  EXPECT_FALSE(torch::equal(validation.x, test.x));
  EXPECT_FALSE(torch::equal(train.x[0], train.x[1]));
  du::SyntheticSetup other = small_setup();
  other.seed = 8;
  const du::SyntheticData reseeded(other);
  EXPECT_FALSE(torch::equal(reseeded.matrix(), data.matrix()));
  EXPECT_FALSE(torch::equal(reseeded.range(0, 4, du::DataStream::train).x, train.x));
}

TEST(Synthetic, GaussianMatrixHasUnitNormGaussianColumns) {
  const std::int64_t m = 250, n = 500;
  const torch::Tensor A = du::gaussian_matrix(m, n, 3);
  ASSERT_EQ(A.sizes(), (std::vector<std::int64_t>{m, n}));
  EXPECT_EQ(A.scalar_type(), torch::kFloat64);
  const torch::Tensor norms = A.norm(2, 0);
  EXPECT_LT((norms - 1.0).abs().max().item<double>(), 1e-14);
  // Entries about N(0, 1/m): P(|a| sqrt(m) < 1) = 0.6827 (std of the fraction 0.0013 here), and
  // the mean near 0 (std 1/sqrt(m n) / sqrt(m) ~ 2.8e-4 / sqrt(m)).
  const double inside =
      (A.abs() * std::sqrt(double(m)) < 1.0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(inside, 0.6827, 0.008);
  EXPECT_NEAR(A.mean().item<double>() * std::sqrt(double(m)), 0.0, 0.015);
  // A function of (seed, key) only.
  EXPECT_TRUE(torch::equal(du::gaussian_matrix(m, n, 3), A));
  EXPECT_FALSE(torch::equal(du::gaussian_matrix(m, n, 3, 1), A));
  EXPECT_FALSE(torch::equal(du::gaussian_matrix(m, n, 4), A));
  expect_error<std::invalid_argument>([] { du::gaussian_matrix(0, 5, 1); }, "0 x 5");
}

TEST(Synthetic, SignalsAreBernoulliGaussianAtTheAskedSparsity) {
  du::SyntheticSetup s = small_setup();
  s.signal_size = 500;
  const du::SyntheticData data(s);
  const du::SparseBatch b = data.range(0, 200, du::DataStream::train);
  ASSERT_EQ(b.x.sizes(), (std::vector<std::int64_t>{200, 500}));
  ASSERT_EQ(b.y.sizes(), (std::vector<std::int64_t>{200, 40}));
  // 100000 Bernoulli(0.1) draws: std of the fraction 0.00095.
  const torch::Tensor nonzero = b.x != 0;
  EXPECT_NEAR(nonzero.to(torch::kFloat64).mean().item<double>(), 0.1, 0.005);
  // The nonzeros are N(0, 1): mean square 1 (std 0.014 for 10^4 values), mean 0 (std 0.01).
  const torch::Tensor values = b.x.masked_select(nonzero);
  EXPECT_NEAR(values.pow(2).mean().item<double>(), 1.0, 0.07);
  EXPECT_NEAR(values.mean().item<double>(), 0.0, 0.05);
  // The support differs between samples.
  EXPECT_FALSE(torch::equal(nonzero[0], nonzero[1]));

  s.sparsity = 1.0;
  const du::SparseBatch dense = du::SyntheticData(s).range(0, 3, du::DataStream::train);
  EXPECT_EQ((dense.x != 0).sum().item<std::int64_t>(), 3 * 500);
}

TEST(Synthetic, NoiseHasTheAskedPerSampleSnr) {
  du::SyntheticSetup s = small_setup();
  s.measurements = 250;
  s.signal_size = 500;
  s.snr_db = 20.0;
  const du::SparseBatch b = du::SyntheticData(s).range(0, 200, du::DataStream::train);
  const torch::Tensor signal = clean(b).pow(2).sum(1);         // ||A x_i||^2
  const torch::Tensor noise = (b.y - clean(b)).pow(2).sum(1);  // ||w_i||^2
  // ||w_i||^2 / (m sigma_i^2) with m sigma_i^2 = ||A x_i||^2 10^(-snr/10) is chi^2_m / m: mean 1,
  // std sqrt(2/m) per sample, sqrt(2/(m B)) = 0.0063 over the batch.
  const torch::Tensor ratio = noise / (signal * std::pow(10.0, -s.snr_db / 10.0));
  EXPECT_NEAR(ratio.mean().item<double>(), 1.0, 0.03);
  // Per sample, not on average only: every ratio within 6 of its standard deviations (0.089).
  EXPECT_LT((ratio - 1.0).abs().max().item<double>(), 0.55);
  // The same draws at another SNR: the noise scales by exactly 10^(-delta/20).
  du::SyntheticSetup louder = s;
  louder.snr_db = 0.0;
  const du::SparseBatch l = du::SyntheticData(louder).range(0, 200, du::DataStream::train);
  EXPECT_TRUE(torch::equal(l.x, b.x));
  const torch::Tensor scaled = (l.y - clean(l)) * std::pow(10.0, -20.0 / 20.0);
  EXPECT_TRUE(torch::allclose(scaled, b.y - clean(b), 1e-9, 1e-12));
}

TEST(Synthetic, InfiniteSnrIsNoiseless) {
  du::SyntheticSetup s = small_setup();
  s.snr_db = std::numeric_limits<double>::infinity();
  const du::SparseBatch b = du::SyntheticData(s).range(0, 50, du::DataStream::test);
  EXPECT_LT((b.y - clean(b)).abs().max().item<double>(), 1e-13);
  s.snr_db = 40.0;
  const du::SparseBatch noisy = du::SyntheticData(s).range(0, 50, du::DataStream::test);
  EXPECT_TRUE(torch::equal(noisy.x, b.x));
  EXPECT_GT((noisy.y - b.y).abs().max().item<double>(), 1e-5);
}

TEST(Synthetic, RedrawnMatricesArePerBatchAndFixedOnesShared) {
  du::SyntheticSetup s = small_setup();
  s.snr_db = std::numeric_limits<double>::infinity();
  const du::SyntheticData fixed(s);
  const du::SparseBatch f1 = fixed.range(0, 4, du::DataStream::train);
  const du::SparseBatch f2 = fixed.range(4, 8, du::DataStream::train);
  EXPECT_TRUE(torch::equal(f1.A, fixed.matrix()));
  EXPECT_TRUE(torch::equal(f2.A, fixed.matrix()));
  EXPECT_TRUE(torch::equal(fixed.matrix(), du::gaussian_matrix(40, 80, s.seed, 0)));
  f1.A.mul_(2.0);  // a copy: the data set's A stays
  EXPECT_TRUE(torch::equal(f2.A, fixed.matrix()));

  s.redraw_matrix = true;
  const du::SyntheticData redraw(s);
  EXPECT_FALSE(redraw.matrix().defined());
  const du::SparseBatch r1 = redraw.range(0, 4, du::DataStream::train);
  const du::SparseBatch r2 = redraw.range(4, 8, du::DataStream::train);
  EXPECT_FALSE(torch::equal(r1.A, r2.A));
  EXPECT_FALSE(torch::equal(r1.A, fixed.matrix()));
  EXPECT_LT((r1.A.norm(2, 0) - 1.0).abs().max().item<double>(), 1e-14);
  // Keyed by the batch's first index and stream: the same A again, whatever follows it.
  EXPECT_TRUE(torch::equal(redraw.batch(indices({4, 1}), du::DataStream::train).A, r2.A));
  EXPECT_FALSE(torch::equal(redraw.range(4, 8, du::DataStream::validation).A, r2.A));
  // x does not depend on the matrix; y is the batch's A times x.
  EXPECT_TRUE(torch::equal(r2.x, f2.x));
  EXPECT_LT((r2.y - clean(r2)).abs().max().item<double>(), 1e-13);
}

TEST(Synthetic, UsesTheUsersMatrix) {
  du::SyntheticSetup s = small_setup();
  s.measurements = 3;
  s.signal_size = 5;
  s.sparsity = 1.0;
  s.snr_db = std::numeric_limits<double>::infinity();
  const torch::Tensor user = torch::arange(15, torch::kFloat32).reshape({3, 5}) - 7.0f;
  const du::SyntheticData data(s, user);
  EXPECT_TRUE(torch::equal(data.matrix(), user.to(torch::kFloat64)));
  const du::SparseBatch b = data.range(0, 6, du::DataStream::train);
  EXPECT_TRUE(torch::equal(b.A, user.to(torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(b.y, clean(b), 1e-12, 1e-12));
  // A column of zeros is the user's choice, not changed.
  EXPECT_EQ(data.matrix()[1][2].item<double>(), 0.0);
}

TEST(Synthetic, RefusesBadInput) {
  du::SyntheticSetup s = small_setup();
  s.measurements = 0;
  expect_error<std::invalid_argument>([&] { s.validate(); }, {"measurements", "got 0"});
  s = small_setup();
  s.signal_size = -3;
  expect_error<std::invalid_argument>([&] { du::SyntheticData{s}; }, {"signal_size", "got -3"});
  s = small_setup();
  s.sparsity = 1e-9;  // tiny but allowed
  EXPECT_NO_THROW(s.validate());
  s.sparsity = 1.0 + 1e-9;
  expect_error<std::invalid_argument>([&] { s.validate(); }, "got 1");
  for (const double p : {0.0, -0.1, 1.5, std::nan("")}) {
    s = small_setup();
    s.sparsity = p;
    expect_error<std::invalid_argument>([&] { s.validate(); }, "sparsity must be in (0, 1]");
  }
  for (const double snr : {std::nan(""), -std::numeric_limits<double>::infinity()}) {
    s = small_setup();
    s.snr_db = snr;
    expect_error<std::invalid_argument>([&] { s.validate(); },
                                        {"snr_db", std::isnan(snr) ? "got nan" : "got -inf"});
  }
  s = small_setup();
  s.snr_db = -10.0;  // more noise than signal is allowed
  EXPECT_NO_THROW(s.validate());

  s = small_setup();
  expect_error<std::invalid_argument>(
      [&] {
        du::SyntheticData(s, torch::zeros({40, 81}, torch::kFloat64));
      },
      {"[40, 81]", "[40, 80]"});
  expect_error<std::invalid_argument>(
      [&] { du::SyntheticData(s, torch::zeros({40 * 80}, torch::kFloat64)); }, "[3200]");
  torch::Tensor bad = torch::zeros({40, 80}, torch::kFloat64);
  bad[3][4] = std::numeric_limits<double>::infinity();
  expect_error<std::invalid_argument>([&] { du::SyntheticData(s, bad); },
                                      {"[40, 80]", "non-finite"});
  s.redraw_matrix = true;
  expect_error<std::invalid_argument>(
      [&] {
        du::SyntheticData(s, torch::zeros({40, 80}, torch::kFloat64));
      },
      "redraw_matrix");

  const du::SyntheticData data(small_setup());
  expect_error<std::invalid_argument>(
      [&] { data.batch(torch::empty({0}, torch::kInt64), du::DataStream::train); }, "empty batch");
  expect_error<std::invalid_argument>(
      [&] {
        data.batch(indices({2, -1}), du::DataStream::train);
      },
      "negative sample index -1");
  expect_error<std::invalid_argument>(
      [&] {
        data.batch(torch::zeros({2, 2}, torch::kInt64), du::DataStream::train);
      },
      "1-D int64");
  expect_error<std::invalid_argument>(
      [&] { data.batch(torch::zeros({2}, torch::kFloat32), du::DataStream::train); }, "Float");
  expect_error<std::invalid_argument>([&] { data.range(5, 5, du::DataStream::train); }, "[5, 5)");
  expect_error<std::invalid_argument>([&] { data.range(-1, 3, du::DataStream::train); }, "[-1, 3)");
}
