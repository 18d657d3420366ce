// The data part of diffusion/: analytic Gaussian mixtures (score = gradient of the log density,
// Tweedie posterior means, moments, seeded sampling), the point and image data sets, and the
// sample-set metrics against closed forms.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>

#include "../support/expect_error.hpp"
#include "deepsolve/diffusion/gaussian_mixture.hpp"
#include "deepsolve/diffusion/image_data.hpp"
#include "deepsolve/diffusion/point_data.hpp"
#include "deepsolve/diffusion/sample_metrics.hpp"

namespace dd = deepsolve::diffusion;
using deepsolve_test::expect_error;

namespace {

at::Tensor doubles(std::initializer_list<double> v, std::vector<std::int64_t> shape) {
  return at::tensor(std::vector<double>(v), at::kDouble).reshape(shape);
}

/// An unequal mixture in 3-D: different stds and weights.
dd::GaussianMixture uneven3() {
  return dd::GaussianMixture(doubles({0, 0, 0, 1.5, -0.5, 0.25, -1, 1, 2}, {3, 3}),
                             doubles({0.3, 0.7, 1.1}, {3}), doubles({1, 2, 0.5}, {3}));
}

/// N(mean, I) in d dimensions, n samples, as one-component mixture draws.
at::Tensor normal_points(std::int64_t n, std::int64_t d, double shift, std::uint64_t seed) {
  at::Tensor mean = at::zeros({1, d}, at::kDouble);
  mean[0][0] = shift;
  const dd::GaussianMixture g(mean, at::ones({1}, at::kDouble), at::ones({1}, at::kDouble));
  return g.sample(n, seed).x;
}

double max_abs(const at::Tensor& t) {
  return t.abs().max().item<double>();
}

}  // namespace

TEST(GaussianMixture, ScoreIsTheGradientOfTheLogDensity) {
  for (const dd::GaussianMixture& mixture : {dd::GaussianMixture::mixture8(), uneven3()}) {
    const std::int64_t d = mixture.dimension();
    // Points spread wider than the data, so some lie between and far from the components.
    const at::Tensor x = mixture.noised(1.0).sample(12, 3).x;
    for (double sigma : {0.0, 0.3, 1.5}) {
      for (std::int64_t label : {std::int64_t{-1}, std::int64_t{1}}) {
        const at::Tensor score = mixture.score(x, sigma, label);
        ASSERT_EQ(score.sizes(), x.sizes());
        const double h = 1e-5;
        at::Tensor numeric = at::empty_like(x);
        for (std::int64_t j = 0; j < d; ++j) {
          at::Tensor e = at::zeros({1, d}, at::kDouble);
          e[0][j] = h;
          numeric.select(1, j).copy_((mixture.log_density(x + e, sigma, label) -
                                      mixture.log_density(x - e, sigma, label)) /
                                     (2 * h));
        }
        EXPECT_LT(max_abs(score - numeric), 1e-6) << "sigma " << sigma << " label " << label;
      }
    }
  }
}

TEST(GaussianMixture, LogDensityIsTheWeightedSumOfComponents) {
  // log sum_k w_k N(x; mu_k, (s_k^2 + sigma^2) I) term by term, weights 1 : 2 : 0.5 normalised.
  const dd::GaussianMixture m = uneven3();
  const double mu[3][3] = {{0, 0, 0}, {1.5, -0.5, 0.25}, {-1, 1, 2}};
  const double s[3] = {0.3, 0.7, 1.1}, w[3] = {1 / 3.5, 2 / 3.5, 0.5 / 3.5};
  const double x[3] = {0.4, -0.2, 0.9}, sigma = 0.6;
  double p = 0.0;
  for (int k = 0; k < 3; ++k) {
    const double v = s[k] * s[k] + sigma * sigma;
    double sq = 0.0;
    for (int j = 0; j < 3; ++j) sq += (x[j] - mu[k][j]) * (x[j] - mu[k][j]);
    p += w[k] * std::exp(-sq / (2 * v)) / std::pow(2 * M_PI * v, 1.5);
  }
  const at::Tensor point = doubles({x[0], x[1], x[2]}, {1, 3});
  EXPECT_NEAR(m.log_density(point, sigma).item<double>(), std::log(p), 1e-13);
  EXPECT_NEAR(m.weights()[1].item<double>(), 2 / 3.5, 1e-15);
}

TEST(GaussianMixture, PosteriorMeanOfOneGaussianIsTheClosedForm) {
  const double s = 0.5, sigma = 0.8;
  const at::Tensor mu = doubles({1.0, -2.0}, {1, 2});
  const dd::GaussianMixture g(mu, doubles({s}, {1}), doubles({3.0}, {1}));
  const at::Tensor x = doubles({0, 0, 3, 1, -1, 4}, {3, 2});
  // E[x0 | x] = mu + s^2 / (s^2 + sigma^2) (x - mu)
  const at::Tensor expected = mu + (s * s / (s * s + sigma * sigma)) * (x - mu);
  EXPECT_LT(max_abs(g.posterior_mean(x, sigma, {}) - expected), 1e-14);
  // The log density is the Gaussian's: -d/2 log(2 pi v) - |x - mu|^2 / (2 v).
  const double v = s * s + sigma * sigma;
  const at::Tensor log_p = -std::log(2 * M_PI * v) - (x - mu).pow(2).sum(1) / (2 * v);
  EXPECT_LT(max_abs(g.log_density(x, sigma) - log_p), 1e-13);
  // float32 in, float32 out.
  EXPECT_EQ(g.score(x.to(at::kFloat), sigma).scalar_type(), at::kFloat);
}

TEST(GaussianMixture, PerSampleLabelsPickComponentsOrTheWholeMixture) {
  const dd::GaussianMixture m = uneven3();
  const at::Tensor x = m.sample(4, 9).x;
  const at::Tensor labels = at::tensor(std::vector<std::int64_t>{2, 3, 0, 3}, at::kLong);
  const at::Tensor mean = m.posterior_mean(x, 0.4, labels);
  for (std::int64_t i = 0; i < 4; ++i) {
    const std::int64_t l = labels[i].item<std::int64_t>();
    const at::Tensor row = x.narrow(0, i, 1);
    const at::Tensor expected = row + 0.16 * m.score(row, 0.4, l == 3 ? -1 : l);
    EXPECT_LT(max_abs(mean.narrow(0, i, 1) - expected), 1e-14) << "row " << i;
  }
  // A component of weight 0 can still be conditioned on, and is never drawn.
  const dd::GaussianMixture z(doubles({0, 0, 5, 5}, {2, 2}), doubles({1, 1}, {2}),
                              doubles({1, 0}, {2}));
  EXPECT_TRUE(z.score(x.narrow(1, 0, 2), 0.1, 1).isfinite().all().item<bool>());
  EXPECT_EQ(z.sample(200, 1).labels.max().item<std::int64_t>(), 0);
}

TEST(GaussianMixture, Mixture8MomentsAndLabelMeans) {
  const dd::GaussianMixture m = dd::GaussianMixture::mixture8();
  ASSERT_EQ(m.components(), 8);
  ASSERT_EQ(m.dimension(), 2);
  // Analytic: mean 0, covariance (2 + 0.04) I (means on the circle of radius 2: E mu mu^T = 2 I).
  EXPECT_LT(max_abs(m.mean()), 1e-14);
  EXPECT_LT(max_abs(m.covariance() - 2.04 * at::eye(2, at::kDouble)), 1e-12);
  EXPECT_LT(
      max_abs(m.mean(3) - doubles({2 * std::cos(3 * M_PI / 4), 2 * std::sin(3 * M_PI / 4)}, {2})),
      1e-14);
  const dd::PointSamples s = m.sample(16000, 5);
  EXPECT_LT(max_abs(s.x.mean(0)), 0.05);
  const at::Tensor centred = s.x - s.x.mean(0);
  const at::Tensor cov = at::mm(centred.t(), centred) / 16000.0;
  EXPECT_LT(max_abs(cov - m.covariance()), 0.08);
  for (std::int64_t k = 0; k < 8; ++k) {
    const at::Tensor rows = s.x.index({s.labels == k});
    EXPECT_NEAR(rows.size(0) / 16000.0, 0.125, 0.012) << "label " << k;
    EXPECT_LT(max_abs(rows.mean(0) - m.mean(k)), 0.02) << "label " << k;
    EXPECT_NEAR(rows.std(0).mean().item<double>(), 0.2, 0.01) << "label " << k;
  }
}

TEST(GaussianMixture, SamplingIsDeterministicBySeedAndIndex) {
  const dd::GaussianMixture m = uneven3();
  const dd::PointSamples a = m.sample(50, 11), b = m.sample(50, 11), c = m.sample(50, 12);
  EXPECT_TRUE(at::equal(a.x, b.x));
  EXPECT_TRUE(at::equal(a.labels, b.labels));
  EXPECT_FALSE(at::equal(a.x, c.x));
  // Sample i depends on (seed, i) alone.
  EXPECT_TRUE(at::equal(m.sample(10, 11).x, a.x.narrow(0, 0, 10)));
  // Given labels: the same noise, other components.
  const at::Tensor given = at::full({50}, 2, at::kLong);
  const dd::PointSamples g = m.sample(50, 11, given);
  EXPECT_TRUE(at::equal(g.labels, given));
  EXPECT_TRUE(at::equal(m.sample(50, 11, a.labels).x, a.x));
  EXPECT_EQ(m.sample(3, 1, {}, at::kFloat).x.scalar_type(), at::kFloat);
}

TEST(GaussianMixture, BadInputGivesClearErrors) {
  const at::Tensor means = doubles({0, 0, 1, 1}, {2, 2});
  const at::Tensor stds = doubles({1, 1}, {2});
  const at::Tensor weights = doubles({1, 1}, {2});
  expect_error<std::invalid_argument>([&] { dd::GaussianMixture(means.view({4}), stds, weights); },
                                      {"means", "[K, d]", "[4]"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::GaussianMixture(means, doubles({1, 1, 1}, {3}), weights);
      },
      {"stds", "[2]"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::GaussianMixture(means, doubles({1, 0}, {2}), weights);
      },
      {"stds[1]", "> 0"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::GaussianMixture(means, stds, doubles({1, -1}, {2}));
      },
      {"weights[1]", ">= 0"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::GaussianMixture(means, stds, doubles({0, 0}, {2}));
      },
      "sum to 0");
  const dd::GaussianMixture m(means, stds, weights);
  expect_error<std::invalid_argument>(
      [&] {
        m.score(at::zeros({4, 3}, at::kDouble), 0.1);
      },
      {"[B, 2]", "[4, 3]"});
  expect_error<std::invalid_argument>(
      [&] {
        m.score(at::zeros({4, 2}, at::kDouble), 0.1, 2);
      },
      {"label 2", "[-1, 1]"});
  expect_error<std::invalid_argument>(
      [&] {
        m.log_density(at::zeros({4, 2}, at::kDouble), -1);
      },
      "sigma");
  expect_error<std::invalid_argument>(
      [&] {
        m.posterior_mean(at::zeros({2, 2}), 0.1, at::full({2}, 3, at::kLong));
      },
      {"labels", "[0, 2]"});
  expect_error<std::invalid_argument>([&] { m.sample(2, 0, at::full({2}, 2, at::kLong)); },
                                      "component");
}

TEST(GaussianMixture, ExactDenoiserAndScoreError) {
  const dd::GaussianMixture m = dd::GaussianMixture::mixture8();
  const dd::GaussianMixtureDenoiser exact(m);
  EXPECT_EQ(exact.null_label(), 8);
  const double sigma = 0.5;
  const dd::PointSamples noisy = m.noised(sigma).sample(256, 4);
  const at::Tensor x = noisy.x.to(at::kFloat);
  EXPECT_EQ(exact.denoise(x, sigma, noisy.labels).scalar_type(), at::kFloat);
  EXPECT_LT(max_abs(exact.denoise(noisy.x, sigma, {}) - m.posterior_mean(noisy.x, sigma, {})),
            1e-15);
  EXPECT_LT(dd::score_error(exact, m, noisy.x, sigma, noisy.labels), 1e-20);
  // A Gaussian's denoiser against the one of the Gaussian shifted by delta: D differs by
  // delta (1 - c), c = s^2 / (s^2 + sigma^2), so the error is |delta|^2 (1 - c)^2 / sigma^2.
  const double s = 0.7;
  const dd::GaussianMixture g(doubles({0, 0}, {1, 2}), doubles({s}, {1}), doubles({1}, {1}));
  const dd::GaussianMixtureDenoiser shifted(
      dd::GaussianMixture(doubles({0.3, -0.4}, {1, 2}), doubles({s}, {1}), doubles({1}, {1})));
  const double c = s * s / (s * s + sigma * sigma);
  const double expected = 0.25 * (1 - c) * (1 - c) / (sigma * sigma);
  EXPECT_NEAR(dd::score_error(shifted, g, g.noised(sigma).sample(64, 2).x, sigma), expected, 1e-12);
  expect_error<std::invalid_argument>([&] { dd::score_error(exact, g, noisy.x, sigma); },
                                      "null label");
  expect_error<std::invalid_argument>([&] { exact.denoise(noisy.x, 0.0, {}); }, "sigma");
}

TEST(PointData, EverySetSamplesSeededLabelledPoints) {
  const std::vector<std::string> names = dd::point_data_names();
  for (const char* expected : {"mixture8", "gaussian", "moons", "circles", "swissroll",
                               "8gaussians", "checkerboard", "pinwheel"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  for (const std::string& name : names) {
    const dd::PointDataSet& set = dd::point_data_set(name);
    const dd::PointSamples s = set.sample(400, 3);
    ASSERT_EQ(s.x.sizes(), (std::vector<std::int64_t>{400, set.dimension})) << name;
    EXPECT_EQ(s.x.scalar_type(), at::kFloat) << name;
    EXPECT_TRUE(s.x.isfinite().all().item<bool>()) << name;
    EXPECT_GT(s.x.std(0).min().item<double>(), 0.3) << name;
    EXPECT_LT(s.x.abs().max().item<double>(), 10.0) << name;
    EXPECT_TRUE(at::equal(s.x, set.sample(400, 3).x)) << name;
    EXPECT_FALSE(at::equal(s.x, set.sample(400, 4).x)) << name;
    EXPECT_TRUE(at::equal(s.x.narrow(0, 0, 7), set.sample(7, 3).x)) << name;
    if (set.num_classes > 0) {
      ASSERT_TRUE(s.labels.defined()) << name;
      EXPECT_EQ(s.labels.min().item<std::int64_t>(), 0) << name;
      EXPECT_EQ(s.labels.max().item<std::int64_t>(), set.num_classes - 1) << name;
    } else {
      EXPECT_FALSE(s.labels.defined()) << name;
    }
  }
  EXPECT_TRUE(dd::point_data_set("mixture8").analytic().has_value());
  EXPECT_EQ(dd::point_data_set("mixture8").num_classes, 8);
  EXPECT_FALSE(dd::point_data_set("moons").analytic().has_value());
  // 8gaussians: centres at radius 4 / 1.414, std 0.5 / 1.414; the samples are its analytic draws.
  const dd::PointDataSet& eight = dd::point_data_set("8gaussians");
  const auto g = eight.analytic();
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(g->means()[4].norm().item<double>(), 4 / 1.414, 1e-12);
  const dd::PointSamples e = eight.sample(2000, 1);
  const at::Tensor centre_error = e.x.to(at::kDouble) - g->means().index_select(0, e.labels);
  EXPECT_NEAR(centre_error.std().item<double>(), 0.5 / 1.414, 0.02);
  // Checkerboard: the unit cells (of side 2) holding points have an even index sum.
  const at::Tensor board = dd::point_data_set("checkerboard").sample(500, 2).x.to(at::kDouble);
  const at::Tensor cell = (at::floor(board.select(1, 0) / 2) + at::floor(board.select(1, 1) / 2));
  EXPECT_TRUE((at::remainder(cell, 2) == 0).all().item<bool>());
  expect_error<std::invalid_argument>([] { dd::point_data_set("spirals3"); },
                                      {"spirals3", "mixture8", "pinwheel"});
  expect_error<std::invalid_argument>([] { dd::point_data_set("moons").sample(0, 1); }, ">= 1");
}

TEST(SampleMetrics, SlicedWassersteinAgainstClosedForms) {
  const at::Tensor a = normal_points(2000, 4, 0.0, 1);
  EXPECT_EQ(dd::sliced_wasserstein(a, a), 0.0);
  // N(0, I) against N(mu, I): every projection is a shift by <theta, mu>, and E <theta, mu>^2 =
  // |mu|^2 / d, so SW_2 -> |mu| / sqrt(d) = 1.5 / 2.
  const at::Tensor b = normal_points(1333, 4, 1.5, 2);
  EXPECT_NEAR(dd::sliced_wasserstein(a, b, 400, 7), 0.75, 0.75 * 0.05);
  // Exact 1-D transport with n != m: {0, 1, 2} against {0, 2}: the quantile functions differ by
  // 1 on t in (1/3, 2/3), so W_1 = 1/3 and W_2 = sqrt(1/3); every direction in 1-D is +-1.
  const at::Tensor x = doubles({0, 1, 2}, {3, 1}), y = doubles({0, 2}, {2, 1});
  EXPECT_NEAR(dd::sliced_wasserstein(x, y, 8, 0, 1.0), 1.0 / 3, 1e-14);
  EXPECT_NEAR(dd::sliced_wasserstein(x, y, 8, 0, 2.0), std::sqrt(1.0 / 3), 1e-14);
  // {0, 1, 2} against {1, 3}: gaps 1, 0, 2, 1 on (0, 1/3), (1/3, 1/2), (1/2, 2/3), (2/3, 1).
  EXPECT_NEAR(dd::sliced_wasserstein(x, y + 1.0, 8, 0, 2.0), std::sqrt(4.0 / 3), 1e-14);
  expect_error<std::invalid_argument>(
      [&] {
        dd::sliced_wasserstein(a, at::zeros({0, 4}));
      },
      {"set b", "[0, 4]"});
  expect_error<std::invalid_argument>(
      [&] {
        dd::sliced_wasserstein(a, at::zeros({5, 3}));
      },
      {"dimension", "[5, 3]"});
  expect_error<std::invalid_argument>([&] { dd::sliced_wasserstein(a, b, 0); }, "projections");
  expect_error<std::invalid_argument>([&] { dd::sliced_wasserstein(a, b, 8, 0, 0.5); }, "p must");
}

TEST(SampleMetrics, MmdAndEnergyDistance) {
  // 1500 + 1100 samples: the blocked pairwise sums cross the 1024-row block boundary.
  const at::Tensor a = normal_points(1500, 2, 0.0, 1);
  const at::Tensor same = normal_points(1100, 2, 0.0, 2);
  const at::Tensor shifted = normal_points(1100, 2, 1.0, 3);
  // Direct references on the full distance matrices.
  const double h = 0.9;
  auto kernel_mean = [h](const at::Tensor& x, const at::Tensor& y, bool self) {
    at::Tensor k = at::exp(-at::cdist(x, y).pow(2) / (2 * h * h));
    const double n = static_cast<double>(x.size(0)), m = static_cast<double>(y.size(0));
    if (!self) return k.sum().item<double>() / (n * m);
    return (k.sum().item<double>() - n) / (n * (n - 1));
  };
  const double reference = kernel_mean(a, a, true) + kernel_mean(shifted, shifted, true) -
                           2 * kernel_mean(a, shifted, false);
  EXPECT_NEAR(dd::mmd_rbf(a, shifted, h), reference, 1e-9);
  const double energy_reference = 2 * at::cdist(a, shifted).mean().item<double>() -
                                  at::cdist(a, a).mean().item<double>() -
                                  at::cdist(shifted, shifted).mean().item<double>();
  EXPECT_NEAR(dd::energy_distance(a, shifted), energy_reference, 1e-9);
  // Same distribution: near 0; shifted by one standard deviation: clearly positive.
  EXPECT_LT(std::abs(dd::mmd_rbf(a, same)), 0.005);
  EXPECT_GT(dd::mmd_rbf(a, shifted), 0.05);
  EXPECT_LT(dd::energy_distance(a, same), 0.02);
  EXPECT_GT(dd::energy_distance(a, shifted), 0.2);
  EXPECT_LT(dd::energy_distance(a, a), 1e-9);
  expect_error<std::invalid_argument>([&] { dd::mmd_rbf(a, shifted.narrow(0, 0, 1)); },
                                      {"set b", "at least 2"});
  expect_error<std::invalid_argument>([&] { dd::mmd_rbf(a, shifted, -1.0); }, "bandwidth");
  expect_error<std::invalid_argument>(
      [&] {
        dd::energy_distance(a, at::zeros({3, 5}));
      },
      "dimension");
  expect_error<std::invalid_argument>([&] { dd::energy_distance(at::Tensor(), a); },
                                      {"set a", "undefined"});
}

TEST(ImageData, ClassesAreSeededInRangeAndIndexable) {
  for (const std::string& name : dd::image_data_names()) {
    const dd::ImageBatch whole = dd::images(name, 0, 10, 16, 5);
    ASSERT_EQ(whole.images.sizes(), (std::vector<std::int64_t>{10, 1, 16, 16})) << name;
    EXPECT_EQ(whole.images.scalar_type(), at::kFloat);
    EXPECT_GE(whole.images.min().item<double>(), 0.0) << name;
    EXPECT_LE(whole.images.max().item<double>(), 1.0) << name;
    // Not flat: every image has some contrast.
    EXPECT_GT(whole.images.flatten(1).std(1).min().item<double>(), 0.01) << name;
    // Deterministic, seed-dependent, and image i depends on (seed, i) only.
    EXPECT_TRUE(at::equal(whole.images, dd::images(name, 0, 10, 16, 5).images)) << name;
    EXPECT_FALSE(at::equal(whole.images, dd::images(name, 0, 10, 16, 6).images)) << name;
    const dd::ImageBatch part = dd::images(name, 5, 3, 16, 5);
    EXPECT_TRUE(at::equal(part.images, whole.images.narrow(0, 5, 3))) << name;
    EXPECT_EQ(whole.labels.defined(), dd::image_class_count(name) > 0) << name;
    if (whole.labels.defined()) {
      EXPECT_TRUE(at::equal(part.labels, whole.labels.narrow(0, 5, 3))) << name;
    }
  }
  // Shapes: three labels, all of them drawn.
  EXPECT_EQ(dd::image_class_count("shapes"), 3);
  const at::Tensor labels = dd::images("shapes", 0, 40, 16, 1).labels;
  EXPECT_EQ(
      std::set<std::int64_t>(labels.data_ptr<std::int64_t>(), labels.data_ptr<std::int64_t>() + 40)
          .size(),
      3u);
  // c-alpha: a rougher boundary (smaller alpha) puts more pixels on the edge (strictly between
  // the two smooth sides is hard to test; compare the total variation instead).
  dd::ImageOptions rough;
  rough.alpha = 0.5;
  const at::Tensor smooth_images = dd::images("c-alpha", 0, 20, 32, 2).images;
  const at::Tensor rough_images = dd::images("c-alpha", 0, 20, 32, 2, rough).images;
  auto variation = [](const at::Tensor& im) {
    return (im.narrow(3, 1, 31) - im.narrow(3, 0, 31)).abs().sum().item<double>() +
           (im.narrow(2, 1, 31) - im.narrow(2, 0, 31)).abs().sum().item<double>();
  };
  EXPECT_GT(variation(rough_images), 1.1 * variation(smooth_images));
  expect_error<std::invalid_argument>([] { dd::images("faces", 0, 1, 8, 0); },
                                      {"faces", "discs", "c-alpha", "shapes"});
  expect_error<std::invalid_argument>([] { dd::images("discs", 0, 0, 8, 0); }, "count");
  expect_error<std::invalid_argument>([] { dd::images("discs", -1, 1, 8, 0); }, "first");
  expect_error<std::invalid_argument>([] { dd::images("discs", 0, 1, 2, 0); }, "size");
  dd::ImageOptions bad;
  bad.alpha = 0.0;
  expect_error<std::invalid_argument>([&] { dd::images("c-alpha", 0, 1, 8, 0, bad); }, "alpha");
  expect_error<std::invalid_argument>([] { dd::image_class_count("faces"); }, "faces");
}
