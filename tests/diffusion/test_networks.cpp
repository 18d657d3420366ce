// The denoiser networks (mlp_denoiser.hpp, unet_denoiser.hpp) and their model-registry types.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/diffusion/denoiser.hpp"
#include "deepsolve/diffusion/mlp_denoiser.hpp"
#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/diffusion/unet_denoiser.hpp"
#include "deepsolve/learned/io/model_registry.hpp"

namespace dd = deepsolve::diffusion;
namespace dl = deepsolve::learned;
using deepsolve_test::expect_error;

namespace {

std::shared_ptr<dd::MlpDenoiser> small_mlp(std::int64_t classes) {
  dd::MlpDenoiserOptions o;
  o.dimension = 3;
  o.hidden = 16;
  o.layers = 2;
  o.embedding = 8;
  o.classes = classes;
  return std::make_shared<dd::MlpDenoiser>(o);
}

std::shared_ptr<dd::UnetDenoiser> small_unet(std::int64_t classes, bool bias_free) {
  dd::UnetDenoiserOptions o;
  o.channels = 2;
  o.size = 8;
  o.base = 4;
  o.levels = 2;
  o.blocks = 2;
  o.classes = classes;
  o.bias_free = bias_free;
  return std::make_shared<dd::UnetDenoiser>(o);
}

at::Tensor labels_of(std::vector<std::int64_t> values) {
  return at::tensor(values, at::kLong);
}

double relative_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).norm().item<double>() / b.norm().item<double>();
}

bool has_bias_parameter(const torch::nn::Module& m) {
  for (const auto& p : m.named_parameters())
    if (p.key().find("bias") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(DiffusionNetworks, MlpShapesAndLabels) {
  at::manual_seed(1);
  for (std::int64_t classes : {0, 4}) {
    auto net = small_mlp(classes);
    EXPECT_EQ(net->sample_shape(), std::vector<std::int64_t>{3});
    EXPECT_EQ(net->null_label(), classes);
    EXPECT_TRUE(net->uses_noise_level());
    const at::Tensor x = at::randn({5, 3});
    const at::Tensor c = at::randn({5});
    const at::Tensor out = net->forward(x, c, {});
    EXPECT_EQ(out.sizes().vec(), (std::vector<std::int64_t>{5, 3}));
    // The null label given explicitly is the same as no labels.
    const at::Tensor null = at::full({5}, classes, at::kLong);
    EXPECT_TRUE(at::equal(net->forward(x, c, null), out));
    // The output depends on the noise level.
    EXPECT_GT(relative_difference(net->forward(x, c + 0.5, {}), out), 1e-4);
  }
  auto net = small_mlp(4);
  const at::Tensor x = at::randn({4, 3}), c = at::zeros({4});
  const at::Tensor a = net->forward(x, c, labels_of({0, 1, 2, 3}));
  const at::Tensor b = net->forward(x, c, labels_of({1, 1, 2, 4}));
  // Sample 0 and 3 changed label, 1 and 2 did not.
  EXPECT_GT(relative_difference(a[0], b[0]), 1e-4);
  EXPECT_GT(relative_difference(a[3], b[3]), 1e-4);
  EXPECT_TRUE(at::allclose(a.slice(0, 1, 3), b.slice(0, 1, 3), 1e-6, 1e-7));

  expect_error<std::invalid_argument>(
      [&] {
        net->forward(x, c, labels_of({0, 1, 5, 0}));
      },
      {"label 5", "[0, 4]"});
  expect_error<std::invalid_argument>(
      [&] {
        net->forward(x, c, labels_of({0, -1, 2, 0}));
      },
      "label -1");
  expect_error<std::invalid_argument>(
      [&] {
        net->forward(x, c, labels_of({0, 1}));
      },
      {"labels", "[4]", "[2]"});
  expect_error<std::invalid_argument>(
      [&] {
        small_mlp(0)->forward(x, c, labels_of({0, 1, 0, 0}));
      },
      {"label 1", "unconditional"});
  expect_error<std::invalid_argument>(
      [&] {
        net->forward(at::randn({4, 2}), c, {});
      },
      {"[B, 3]", "[4, 2]"});
  expect_error<std::invalid_argument>([&] { net->forward(x, at::zeros({3}), {}); },
                                      {"c_noise", "[4]", "[3]"});
}

TEST(DiffusionNetworks, UnetShapesAndLabels) {
  at::manual_seed(2);
  const at::Tensor x = at::randn({3, 2, 8, 8});
  const at::Tensor c = at::randn({3});
  for (std::int64_t classes : {0, 3}) {
    auto net = small_unet(classes, false);
    EXPECT_TRUE(net->uses_noise_level());
    EXPECT_EQ(net->sample_shape(), (std::vector<std::int64_t>{2, 8, 8}));
    const at::Tensor out = net->forward(x, c, {});
    EXPECT_EQ(out.sizes().vec(), x.sizes().vec());
    EXPECT_TRUE(at::equal(net->forward(x, c, at::full({3}, classes, at::kLong)), out));
    EXPECT_GT(relative_difference(net->forward(x, c + 0.5, {}), out), 1e-4);
  }
  auto cond = small_unet(3, false);
  const at::Tensor a = cond->forward(x, c, labels_of({0, 1, 3}));
  const at::Tensor b = cond->forward(x, c, labels_of({2, 1, 3}));
  EXPECT_GT(relative_difference(a[0], b[0]), 1e-4);
  EXPECT_TRUE(at::allclose(a.slice(0, 1, 3), b.slice(0, 1, 3), 1e-6, 1e-7));
  expect_error<std::invalid_argument>(
      [&] {
        cond->forward(x, c, labels_of({0, 4, 0}));
      },
      "label 4");
  expect_error<std::invalid_argument>(
      [&] {
        cond->forward(at::randn({3, 2, 8, 4}), c, {});
      },
      {"[B, 2, 8, 8]", "[3, 2, 8, 4]"});
  expect_error<std::invalid_argument>(
      [&] {
        cond->forward(at::randn({2, 8, 8}), c, {});
      },
      "[B, 2, 8, 8]");

  auto blind = small_unet(0, true);
  EXPECT_FALSE(blind->uses_noise_level());
  EXPECT_EQ(blind->forward(x, {}, {}).sizes().vec(), x.sizes().vec());
  // Blind: the noise level is not an input.
  blind->eval();
  EXPECT_TRUE(at::equal(blind->forward(x, c, {}), blind->forward(x, c + 1.0, {})));
  expect_error<std::invalid_argument>(
      [&] {
        blind->forward(x, {}, labels_of({0, 1, 0}));
      },
      "label 1");
}

TEST(DiffusionNetworks, BiasFreeUnetIsPositivelyHomogeneous) {
  at::manual_seed(3);
  auto blind = small_unet(0, true);
  auto normal = small_unet(0, false);
  EXPECT_FALSE(has_bias_parameter(*blind));
  EXPECT_TRUE(has_bias_parameter(*normal));
  // A few training-mode passes move the running standard deviations away from 1.
  for (int i = 0; i < 3; ++i) blind->forward(3.0 * at::randn({8, 2, 8, 8}), {}, {});
  bool moved = false;
  for (const auto& b : blind->named_buffers())
    if (b.key().find("running_sd") != std::string::npos)
      moved = moved || !at::allclose(b.value(), at::ones_like(b.value()));
  EXPECT_TRUE(moved);
  blind->eval();
  normal->eval();
  const at::Tensor y = at::randn({4, 2, 8, 8});
  const at::Tensor c = at::zeros({4});
  const at::Tensor f = blind->forward(y, {}, {});
  EXPECT_GT(f.norm().item<double>(), 0.0);
  for (double alpha : {0.05, 3.7, 250.0}) {
    EXPECT_LT(relative_difference(blind->forward(alpha * y, {}, {}), alpha * f), 2e-6)
        << "alpha " << alpha;
    // The normal UNet (biases, GroupNorm's offsets, SiLU) is not: the check can fail.
    EXPECT_GT(
        relative_difference(normal->forward(alpha * y, c, {}), alpha * normal->forward(y, c, {})),
        1e-3)
        << "alpha " << alpha;
  }
  EXPECT_EQ(blind->forward(at::zeros({1, 2, 8, 8}), {}, {}).abs().max().item<double>(), 0.0);
}

TEST(DiffusionNetworks, ModelFilesRoundTrip) {
  dd::register_diffusion_networks();
  deepsolve_test::TempDir dir;
  at::manual_seed(4);
  struct Case {
    std::shared_ptr<dd::DenoiserNetwork> net;
    at::Tensor x;
  };
  std::vector<Case> cases = {{small_mlp(4), at::randn({4, 3})},
                             {small_unet(3, false), at::randn({4, 2, 8, 8})},
                             {small_unet(0, true), at::randn({4, 2, 8, 8})}};
  // Train-mode passes change the bias-free running sd, which the file must carry.
  cases[2].net->forward(at::randn({8, 2, 8, 8}), {}, {});
  for (std::size_t k = 0; k < cases.size(); ++k) {
    auto& [net, x] = cases[k];
    net->eval();
    const at::Tensor c = at::randn({4});
    const at::Tensor labels =
        net->num_classes() > 0 ? labels_of({0, 1, 2, net->num_classes()}) : at::Tensor();
    const at::Tensor before = net->forward(x, c, labels);
    const std::string path = dir.file("net" + std::to_string(k) + ".model");
    dl::save_model(path, *net, {{"note", "test"}});
    const dl::LoadedModel loaded = dl::load_model(path);
    const dl::ModelType& type = dl::ModelRegistry::instance().type_of(*net);
    EXPECT_EQ(loaded.type, &type);
    EXPECT_EQ(loaded.options, type.options_of(*net));
    EXPECT_EQ(loaded.metadata.at("note"), "test");
    auto back = std::dynamic_pointer_cast<dd::DenoiserNetwork>(loaded.module);
    ASSERT_TRUE(back);
    EXPECT_TRUE(at::equal(back->forward(x, c, labels), before)) << type.name;
    EXPECT_EQ(type.options_of(*back), type.options_of(*net));
    EXPECT_FALSE(type.describe(*back).empty());
  }
}

TEST(DiffusionNetworks, Registry) {
  dd::register_diffusion_networks();
  dd::register_diffusion_networks();  // a second call does nothing
  auto& registry = dl::ModelRegistry::instance();
  EXPECT_EQ(registry.names(dd::kDenoiserFamily),
            (std::vector<std::string>{"mlp-denoiser", "unet-denoiser"}));
  auto build = [&](const std::string& name, const dl::ModelOptions& given) {
    const dl::ModelType& type = registry.get(name);
    return type.build(dl::resolve_options(type, given));
  };
  // Defaults build, with the documented architecture.
  auto mlp = std::dynamic_pointer_cast<dd::MlpDenoiser>(build("mlp-denoiser", {}));
  ASSERT_TRUE(mlp);
  EXPECT_EQ(mlp->options().hidden, 128);
  EXPECT_EQ(mlp->options().layers, 3);
  auto unet = std::dynamic_pointer_cast<dd::UnetDenoiser>(build("unet-denoiser", {}));
  ASSERT_TRUE(unet);
  EXPECT_EQ(unet->sample_shape(), (std::vector<std::int64_t>{1, 16, 16}));
  auto bf =
      std::dynamic_pointer_cast<dd::UnetDenoiser>(build("unet-denoiser", {{"bias-free", "1"}}));
  ASSERT_TRUE(bf);
  EXPECT_FALSE(bf->uses_noise_level());

  expect_error<std::invalid_argument>(
      [&] {
        build("mlp-denoiser", {{"hidden", "-4"}});
      },
      {"hidden", "-4"});
  expect_error<std::invalid_argument>(
      [&] {
        build("mlp-denoiser", {{"embedding", "7"}});
      },
      {"embedding", "even"});
  expect_error<std::invalid_argument>(
      [&] {
        build("mlp-denoiser", {{"hidden", "many"}});
      },
      "hidden");
  expect_error<std::invalid_argument>(
      [&] {
        build("unet-denoiser", {{"size", "12"}, {"levels", "3"}});
      },
      {"size", "12", "2^levels = 8"});
  expect_error<std::invalid_argument>(
      [&] {
        build("unet-denoiser", {{"classes", "10"}, {"bias-free", "1"}});
      },
      {"classes", "bias-free"});
  expect_error<std::invalid_argument>([&] { build("unet-denoiser", {{"blocks", "0"}}); }, "blocks");
  expect_error<std::invalid_argument>([&] { build("unet-denoiser", {{"depth", "3"}}); }, "depth");

  // training_floats: positive, and growing with the size the way activations do.
  const dl::ModelType& u = registry.get("unet-denoiser");
  const double small = u.training_floats(dl::resolve_options(u, {}), {1, 16, 16});
  const double large = u.training_floats(dl::resolve_options(u, {{"size", "32"}}), {1, 32, 32});
  EXPECT_GT(small, 4.0 * 16 * 16 * 16);  // at least the top level's blocks
  EXPECT_NEAR(large / small, 4.0, 1e-9);
  const dl::ModelType& m = registry.get("mlp-denoiser");
  EXPECT_GT(m.training_floats(dl::resolve_options(m, {}), {2}), 3 * 128.0);
}

TEST(DiffusionNetworks, DenoiserOnEachNetwork) {
  at::manual_seed(5);
  struct Case {
    std::shared_ptr<dd::DenoiserNetwork> net;
    dd::Prediction prediction;
    at::Tensor x0;
  };
  std::vector<Case> cases = {
      {small_mlp(4), dd::Prediction::eps, at::randn({6, 3})},
      {small_mlp(0), dd::Prediction::edm, at::randn({6, 3})},
      {small_unet(3, false), dd::Prediction::edm, at::randn({6, 2, 8, 8})},
      {small_unet(0, false), dd::Prediction::eps, at::randn({6, 2, 8, 8})},
      {small_unet(0, true), dd::Prediction::residual, at::randn({6, 2, 8, 8})}};
  for (auto& [net, prediction, x0] : cases) {
    const dd::Denoiser denoiser(net, prediction, 0.5);
    const at::Tensor labels = net->num_classes() > 0 ? labels_of({0, 1, 2, 3, 3, 0}) : at::Tensor();
    const at::Tensor d = denoiser(x0 + 0.3 * at::randn_like(x0), 0.3, labels);
    EXPECT_EQ(d.sizes(), x0.sizes());
    EXPECT_TRUE(d.isfinite().all().item<bool>());
    const at::Tensor sigma = at::exp(at::randn({6}));
    const at::Tensor loss = denoiser.loss(x0, sigma, at::randn_like(x0), labels);
    EXPECT_EQ(loss.sizes().vec(), std::vector<std::int64_t>{6});
    net->zero_grad();
    loss.mean().backward();
    std::size_t with_gradient = 0, total = 0;
    for (const auto& p : net->parameters()) {
      ++total;
      if (p.grad().defined() && p.grad().abs().sum().item<double>() > 0.0) ++with_gradient;
    }
    EXPECT_EQ(with_gradient, total) << dd::prediction_name(prediction);
  }
}
