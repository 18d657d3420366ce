// The analysis of a denoiser (jacobian.hpp) on hand-built blind denoisers whose Jacobian is known:
// D(y) = A y for a fixed matrix A (symmetric or not), D(y) = tanh(W y), and a two-layer ReLU
// network with and without biases; and the generalization measures (generalization.hpp) on
// constructed image sets.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "../support/expect_error.hpp"
#include "deepsolve/diffusion/denoiser.hpp"
#include "deepsolve/diffusion/generalization.hpp"
#include "deepsolve/diffusion/jacobian.hpp"

namespace {

namespace dd = deepsolve::diffusion;
using deepsolve_test::expect_error;

at::Generator analysis_generator(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}
const auto kAnalysisDouble = at::TensorOptions().dtype(at::kDouble);

// A blind network with a residual output F(y) = y - g(y), so that the Denoiser's D is g: a fixed
// map of the flattened sample, in float64 (no parameters: the Denoiser keeps x's dtype).
class MapNetwork : public dd::DenoiserNetwork {
 public:
  enum class Kind { linear, tanh, relu };
  MapNetwork(Kind kind, at::Tensor w1, at::Tensor w2 = {}, at::Tensor bias = {},
             std::vector<std::int64_t> shape = {1, 3, 4})
      : kind_(kind), w1_(w1), w2_(w2), bias_(bias), shape_(std::move(shape)) {}
  at::Tensor forward(const at::Tensor& x, const at::Tensor&, const at::Tensor&) override {
    const at::Tensor flat = x.reshape({x.size(0), -1});
    at::Tensor g;
    switch (kind_) {
      case Kind::linear:
        g = at::matmul(flat, w1_.t());
        break;
      case Kind::tanh:
        g = at::tanh(at::matmul(flat, w1_.t()));
        break;
      case Kind::relu: {
        at::Tensor h = at::matmul(flat, w1_.t());
        if (bias_.defined()) h = h + bias_;
        g = at::matmul(at::relu(h), w2_.t());
        break;
      }
    }
    return (flat - g).reshape(x.sizes());
  }
  std::vector<std::int64_t> sample_shape() const override { return shape_; }
  std::int64_t num_classes() const override { return 0; }
  bool uses_noise_level() const override { return false; }

 private:
  Kind kind_;
  at::Tensor w1_, w2_, bias_;
  std::vector<std::int64_t> shape_;
};

dd::Denoiser make_denoiser(MapNetwork::Kind kind, at::Tensor w1, at::Tensor w2 = {},
                           at::Tensor bias = {}, std::vector<std::int64_t> shape = {1, 3, 4}) {
  return dd::Denoiser(std::make_shared<MapNetwork>(kind, w1, w2, bias, std::move(shape)),
                      dd::Prediction::residual);
}

// Q diag(lambda) Q^T with a seeded orthogonal Q.
struct Symmetric {
  at::Tensor matrix, q, lambda;
};
Symmetric symmetric_matrix(const at::Tensor& lambda, std::uint64_t seed) {
  const std::int64_t n = lambda.size(0);
  const at::Tensor q =
      std::get<0>(at::linalg_qr(at::randn({n, n}, analysis_generator(seed), kAnalysisDouble)));
  return {at::matmul(q * lambda.unsqueeze(0), q.t()), q, lambda};
}

TEST(DenoiserJacobian, LinearSymmetricProductsTraceAndSpectrum) {
  const at::Tensor lambda = at::linspace(0.05, 0.95, 12, kAnalysisDouble);
  const Symmetric a = symmetric_matrix(lambda, 3);
  const dd::Denoiser denoiser = make_denoiser(MapNetwork::Kind::linear, a.matrix);
  const at::Tensor y = at::randn({1, 3, 4}, analysis_generator(4), kAnalysisDouble);
  const dd::DenoiserJacobian jac(denoiser, y, 0.5);
  EXPECT_EQ(jac.dimension(), 12);
  EXPECT_TRUE(at::allclose(jac.value().reshape(-1), at::matmul(a.matrix, y.reshape(-1))));

  const at::Tensor v = at::randn({5, 1, 3, 4}, analysis_generator(5), kAnalysisDouble);
  const at::Tensor expected = at::matmul(v.reshape({5, 12}), a.matrix.t()).reshape({5, 1, 3, 4});
  EXPECT_TRUE(at::allclose(jac.jvp(v), expected, 1e-12, 1e-12));
  EXPECT_EQ(jac.jvp_method_used(), dd::JvpMethod::forward);
  EXPECT_TRUE(at::allclose(jac.vjp(v), expected, 1e-12, 1e-12));  // symmetric
  EXPECT_TRUE(at::allclose(jac.jvp(v[2]), expected[2], 1e-12, 1e-12));

  const dd::TraceEstimate exact = dd::effective_dimension(jac);
  EXPECT_EQ(exact.method, "exact");
  EXPECT_EQ(exact.products, 12);
  EXPECT_NEAR(exact.value, lambda.sum().item<double>(), 1e-12);
  EXPECT_EQ(exact.standard_error, 0.0);

  const dd::JacobianSpectrum s =
      dd::jacobian_eigen(jac, dd::JacobianEigenOptions().count(3).lanczos_steps(12));
  ASSERT_EQ(s.eigenvalues.size(), 3u);
  ASSERT_EQ(s.eigenvectors.sizes().vec(), (std::vector<std::int64_t>{3, 1, 3, 4}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(s.eigenvalues[i], lambda[11 - i].item<double>(), 1e-10);
    const double overlap =
        std::abs(at::dot(s.eigenvectors[i].reshape(-1), a.q.select(1, 11 - i)).item<double>());
    EXPECT_NEAR(overlap, 1.0, 1e-8) << "eigenvector " << i;
  }
  EXPECT_LT(s.asymmetry, 1e-12);
  EXPECT_LT(dd::homogeneity_error(jac), 1e-12);
}

TEST(DenoiserJacobian, HutchinsonTraceWithinItsStandardError) {
  const at::Tensor lambda = at::linspace(0.0, 1.0, 12, kAnalysisDouble);
  const Symmetric a = symmetric_matrix(lambda, 7);
  const dd::Denoiser denoiser = make_denoiser(MapNetwork::Kind::linear, a.matrix);
  const dd::DenoiserJacobian jac(denoiser,
                                 at::randn({1, 3, 4}, analysis_generator(8), kAnalysisDouble), 1.0);
  const dd::TraceEstimate h =
      dd::effective_dimension(jac, dd::TraceOptions().exact_max_dimension(0).probes(400).seed(2));
  EXPECT_EQ(h.method, "hutchinson");
  EXPECT_EQ(h.products, 400);
  EXPECT_GT(h.standard_error, 0.0);
  EXPECT_LT(h.standard_error, 0.2);
  EXPECT_NEAR(h.value, 6.0, 4.0 * h.standard_error);
  expect_error<std::invalid_argument>(
      [&] { dd::effective_dimension(jac, dd::TraceOptions().exact_max_dimension(0).probes(1)); },
      "probes must be >= 2");
}

TEST(DenoiserJacobian, LanczosFindsTheLeadingEigenpairsOfALargerOperator) {
  // 64 dimensions, 30 Lanczos steps: the separated top three converge, the bulk does not matter.
  at::Tensor lambda = at::linspace(0.0, 0.3, 64, kAnalysisDouble);
  lambda[63] = 1.0;
  lambda[62] = 0.9;
  lambda[61] = 0.8;
  const Symmetric a = symmetric_matrix(lambda, 11);
  const dd::Denoiser denoiser =
      make_denoiser(MapNetwork::Kind::linear, a.matrix, {}, {}, {1, 8, 8});
  const dd::DenoiserJacobian jac(
      denoiser, at::randn({1, 8, 8}, analysis_generator(12), kAnalysisDouble), 0.1);
  const dd::JacobianSpectrum s =
      dd::jacobian_eigen(jac, dd::JacobianEigenOptions().count(3).lanczos_steps(30));
  EXPECT_EQ(s.lanczos_steps, 30);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(s.eigenvalues[i], lambda[63 - i].item<double>(), 1e-8);
    EXPECT_LT(s.residual_bounds[i], 1e-4);
    EXPECT_NEAR(
        std::abs(at::dot(s.eigenvectors[i].reshape(-1), a.q.select(1, 63 - i)).item<double>()), 1.0,
        1e-6);
  }
  // The convenience overload gives the same.
  const at::Tensor y = jac.point();
  const dd::JacobianSpectrum t = dd::jacobian_eigen(denoiser, y, 0.1, 3, 30);
  EXPECT_NEAR(t.eigenvalues[0], 1.0, 1e-8);
}

TEST(DenoiserJacobian, NonsymmetricJacobianAsymmetryAndSymmetricPart) {
  const std::int64_t n = 12;
  const at::Tensor m =
      at::randn({n, n}, analysis_generator(21), kAnalysisDouble) / std::sqrt(double(n));
  const dd::Denoiser denoiser = make_denoiser(MapNetwork::Kind::linear, m);
  const dd::DenoiserJacobian jac(
      denoiser, at::randn({1, 3, 4}, analysis_generator(22), kAnalysisDouble), 0.3);
  const at::Tensor u = at::randn({3, 1, 3, 4}, analysis_generator(23), kAnalysisDouble);
  EXPECT_TRUE(at::allclose(jac.vjp(u), at::matmul(u.reshape({3, n}), m).reshape({3, 1, 3, 4}),
                           1e-12, 1e-12));
  const dd::JacobianSpectrum s = dd::jacobian_eigen(
      jac, dd::JacobianEigenOptions().count(2).lanczos_steps(n).asymmetry_probes(200).seed(5));
  const double truth = ((m - m.t()).norm() / m.norm()).item<double>();
  EXPECT_NEAR(s.asymmetry, truth, 0.1 * truth);
  const at::Tensor sym_eigs = std::get<0>(at::linalg_eigh((m + m.t()) / 2));  // ascending
  EXPECT_NEAR(s.eigenvalues[0], sym_eigs[n - 1].item<double>(), 1e-10);
  EXPECT_NEAR(s.eigenvalues[1], sym_eigs[n - 2].item<double>(), 1e-10);
  EXPECT_NEAR(dd::effective_dimension(jac).value, m.trace().item<double>(), 1e-12);
}

TEST(DenoiserJacobian, NonlinearProductsAgreeAcrossMethods) {
  const std::int64_t n = 12;
  const at::Tensor w =
      at::randn({n, n}, analysis_generator(31), kAnalysisDouble) / std::sqrt(double(n));
  const dd::Denoiser denoiser = make_denoiser(MapNetwork::Kind::tanh, w);
  const at::Tensor y = at::randn({1, 3, 4}, analysis_generator(32), kAnalysisDouble);
  const at::Tensor slope = 1.0 - at::tanh(at::matmul(w, y.reshape(-1))).pow(2);
  const at::Tensor j = slope.unsqueeze(1) * w;  // diag(1 - tanh^2(W y)) W
  const at::Tensor v = at::randn({4, 1, 3, 4}, analysis_generator(33), kAnalysisDouble);
  const at::Tensor jv = at::matmul(v.reshape({4, n}), j.t()).reshape(v.sizes());
  const at::Tensor jtv = at::matmul(v.reshape({4, n}), j).reshape(v.sizes());
  for (const dd::JvpMethod method :
       {dd::JvpMethod::automatic, dd::JvpMethod::forward, dd::JvpMethod::double_backward}) {
    const dd::DenoiserJacobian jac(denoiser, y, 0.7, -1,
                                   dd::JacobianOptions().jvp_method(method).max_batch(3));
    EXPECT_TRUE(at::allclose(jac.jvp(v), jv, 1e-12, 1e-12)) << dd::jvp_method_name(method);
    EXPECT_TRUE(at::allclose(jac.vjp(v), jtv, 1e-12, 1e-12)) << dd::jvp_method_name(method);
    EXPECT_EQ(jac.jvp_method_used(), method == dd::JvpMethod::double_backward
                                         ? dd::JvpMethod::double_backward
                                         : dd::JvpMethod::forward);
  }
  const dd::DenoiserJacobian jac(denoiser, y, 0.7);
  EXPECT_NEAR(dd::effective_dimension(jac).value, j.trace().item<double>(), 1e-12);
  EXPECT_GT(dd::homogeneity_error(jac), 1e-3);  // tanh(W y) is not homogeneous
}

TEST(DenoiserJacobian, HomogeneityOfABiasFreeNetworkOnly) {
  const at::Tensor w1 =
      at::randn({20, 12}, analysis_generator(41), kAnalysisDouble) / std::sqrt(12.0);
  const at::Tensor w2 =
      at::randn({12, 20}, analysis_generator(42), kAnalysisDouble) / std::sqrt(20.0);
  const at::Tensor y = at::randn({1, 3, 4}, analysis_generator(43), kAnalysisDouble);
  const dd::Denoiser bias_free = make_denoiser(MapNetwork::Kind::relu, w1, w2);
  EXPECT_LT(dd::homogeneity_error(dd::DenoiserJacobian(bias_free, y, 0.2)), 1e-12);
  const dd::Denoiser biased = make_denoiser(
      MapNetwork::Kind::relu, w1, w2, at::randn({20}, analysis_generator(44), kAnalysisDouble));
  EXPECT_GT(dd::homogeneity_error(dd::DenoiserJacobian(biased, y, 0.2)), 1e-2);
}

TEST(DenoiserJacobian, BadInputIsNamed) {
  const dd::Denoiser denoiser =
      make_denoiser(MapNetwork::Kind::linear, at::eye(12, kAnalysisDouble));
  const at::Tensor y = at::randn({1, 3, 4}, analysis_generator(51), kAnalysisDouble);
  expect_error<std::invalid_argument>([&] { dd::DenoiserJacobian(denoiser, y, 0.0); },
                                      "sigma must be positive");
  expect_error<std::invalid_argument>([&] { dd::DenoiserJacobian(denoiser, y / 0.0, 1.0); },
                                      "non-finite");
  expect_error<std::invalid_argument>(
      [&] { dd::DenoiserJacobian(denoiser, y, 1.0, -1, dd::JacobianOptions().max_batch(0)); },
      "max_batch");
  const dd::DenoiserJacobian jac(denoiser, y, 1.0);
  expect_error<std::invalid_argument>(
      [&] {
        jac.jvp(at::zeros({2, 12}, kAnalysisDouble));
      },
      {"jvp", "[1, 3, 4]", "[2, 12]"});
  expect_error<std::invalid_argument>([&] { jac.vjp(at::zeros({3, 4}, kAnalysisDouble)); }, "vjp");
  expect_error<std::invalid_argument>(
      [&] { dd::jacobian_eigen(jac, dd::JacobianEigenOptions().count(5).lanczos_steps(4)); },
      "must be >= count");
  expect_error<std::invalid_argument>(
      [&] { dd::jacobian_eigen(jac, dd::JacobianEigenOptions().count(0)); }, "count");
  // The wrong sample shape reaches the network's own check.
  EXPECT_THROW(dd::DenoiserJacobian(denoiser, at::zeros({1, 4, 4}, kAnalysisDouble), 1.0),
               std::invalid_argument);
}

TEST(Generalization, SampleCosineOfConstructedPairs) {
  const at::Tensor a = at::randn({4, 1, 5, 5}, analysis_generator(61), kAnalysisDouble);
  // Cosine after mean removal: invariant to gain and offset; -1 for a negated image.
  const at::Tensor b =
      at::stack({3.0 * a[0] + 2.0, -a[1], a[2], at::full({1, 5, 5}, 0.5, kAnalysisDouble)});
  const at::Tensor c = dd::sample_cosine(a, b);
  ASSERT_EQ(c.sizes().vec(), (std::vector<std::int64_t>{4}));
  EXPECT_NEAR(c[0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(c[1].item<double>(), -1.0, 1e-12);
  EXPECT_NEAR(c[2].item<double>(), 1.0, 1e-12);
  EXPECT_EQ(c[3].item<double>(), 0.0);  // a constant image
  // Two mean-zero orthogonal patterns.
  at::Tensor p = at::zeros({1, 1, 2, 2}, kAnalysisDouble),
             q = at::zeros({1, 1, 2, 2}, kAnalysisDouble);
  p.flatten().copy_(at::tensor({1.0, -1.0, 1.0, -1.0}, kAnalysisDouble));
  q.flatten().copy_(at::tensor({1.0, 1.0, -1.0, -1.0}, kAnalysisDouble));
  EXPECT_NEAR(dd::sample_cosine(p, q)[0].item<double>(), 0.0, 1e-15);
  // A known value: x = (0, 1, 2, 3) against (0, 1, 3, 2): corr = 0.8.
  const at::Tensor x = at::tensor({0.0, 1.0, 2.0, 3.0}, kAnalysisDouble).reshape({1, 4});
  const at::Tensor z = at::tensor({0.0, 1.0, 3.0, 2.0}, kAnalysisDouble).reshape({1, 4});
  EXPECT_NEAR(dd::sample_cosine(x, z)[0].item<double>(), 0.8, 1e-12);
  expect_error<std::invalid_argument>([&] { dd::sample_cosine(a, a.slice(0, 0, 3)); },
                                      {"sample_cosine", "[4, 1, 5, 5]", "[3, 1, 5, 5]"});
}

TEST(Generalization, NearestTrainingImageAcrossBlocks) {
  // 5000 training vectors (two blocks of the scan); samples are noisy copies of known ones.
  const at::Tensor train = at::randn({5000, 16}, analysis_generator(71), kAnalysisDouble);
  const at::Tensor which = at::tensor({4999, 3, 4100, 2048}, at::kLong);
  const at::Tensor samples = 2.0 * train.index_select(0, which) +
                             0.05 * at::randn({4, 16}, analysis_generator(72), kAnalysisDouble) -
                             1.0;
  const dd::NearestCosine n = dd::nearest_cosine(samples, train);
  EXPECT_TRUE(at::equal(n.index, which)) << n.index;
  EXPECT_TRUE((n.cosine > 0.99).all().item<bool>()) << n.cosine;
  // The same as the largest entry of the full matrix.
  const at::Tensor full = dd::cosine_matrix(samples, train);
  EXPECT_TRUE(at::allclose(n.cosine, std::get<0>(full.max(1)), 1e-14, 1e-14));
  // An unrelated sample's nearest cosine is that of the brute force too.
  const at::Tensor other = at::randn({3, 16}, analysis_generator(73), kAnalysisDouble);
  EXPECT_TRUE(at::equal(dd::nearest_cosine(other, train).index,
                        std::get<1>(dd::cosine_matrix(other, train).max(1))));
  expect_error<std::invalid_argument>([&] { dd::nearest_cosine(samples, train.slice(1, 0, 9)); },
                                      "16 and 9 values");
  expect_error<std::invalid_argument>(
      [&] {
        dd::nearest_cosine(samples, at::zeros({0, 16}, kAnalysisDouble));
      },
      "non-empty");
}

}  // namespace
