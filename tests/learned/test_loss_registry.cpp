// The loss registry (losses/registry.hpp): every registered name constructs from its defaults and
// evaluates to a finite value with a gradient; names, aliases and settings map to the losses they
// name; registering and every kind of misuse.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "deepsolve/learned/losses/adversarial_comp_sum.hpp"
#include "deepsolve/learned/losses/groco.hpp"
#include "deepsolve/learned/losses/isogclr.hpp"
#include "deepsolve/learned/losses/mann_whitney.hpp"
#include "deepsolve/learned/losses/nt_xent.hpp"
#include "deepsolve/learned/losses/registry.hpp"
#include "loss_test_util.hpp"

namespace {

constexpr std::int64_t kSamples = 16;

// The settings a loss has no default for (isogclr's dataset size).
dl::Settings required_settings(const std::string& name) {
  dl::Settings s;
  for (const auto& kv : dl::loss_defaults(name))
    if (kv.second.empty()) s[kv.first] = std::to_string(kSamples);
  return s;
}

// A seeded batch of the kind `input`, whose leaves (logits, views, model weights) need gradients.
struct Batch {
  dl::LossBatch batch;
  std::vector<at::Tensor> leaves;
};

Batch batch_for(dl::LossInput input) {
  torch::manual_seed(3);
  Batch b;
  switch (input) {
    case dl::LossInput::classification: {
      at::Tensor logits = torch::randn({kSamples, 4}, torch::kDouble).requires_grad_(true);
      b.batch = dl::LossBatch::classification(logits, torch::randint(0, 4, {kSamples}));
      b.leaves = {logits};
      break;
    }
    case dl::LossInput::views:
    case dl::LossInput::views_and_ids: {
      at::Tensor z1 = torch::randn({12, 5}, torch::kDouble).requires_grad_(true);
      at::Tensor z2 =
          (z1.detach() + 0.3 * torch::randn({12, 5}, torch::kDouble)).requires_grad_(true);
      b.batch = dl::LossBatch::views(z1, z2, torch::randperm(kSamples).narrow(0, 0, 12));
      b.leaves = {z1, z2};
      break;
    }
    case dl::LossInput::model: {
      auto linear = std::make_shared<torch::nn::LinearImpl>(3, 4);
      linear->to(torch::kDouble);
      b.batch = dl::LossBatch::adversarial(
          [linear](const at::Tensor& x) { return linear->forward(x); },
          torch::randn({kSamples, 3}, torch::kDouble), torch::randint(0, 4, {kSamples}));
      b.leaves = linear->parameters();
      break;
    }
  }
  return b;
}

}  // namespace

TEST(LossRegistry, EveryLossOfTheLibraryIsRegistered) {
  const std::vector<std::string> expected{"cross-entropy",
                                          "comp-sum",
                                          "sum-exp",
                                          "gce",
                                          "mae",
                                          "anyloss-accuracy",
                                          "anyloss-f1",
                                          "anyloss-fbeta",
                                          "anyloss-gmean",
                                          "anyloss-balanced-accuracy",
                                          "anyloss-mcc",
                                          "z-loss",
                                          "mw",
                                          "nt-xent",
                                          "groco",
                                          "isogclr",
                                          "adversarial-comp-sum"};
  // (Other tests may have registered more after these.)
  const std::vector<std::string> names = dl::loss_names();
  ASSERT_GE(names.size(), expected.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 17), expected);
  const std::vector<std::string> classification = dl::classification_loss_names();
  ASSERT_GE(classification.size(), 13u);
  EXPECT_EQ(std::vector<std::string>(classification.begin(), classification.begin() + 13),
            std::vector<std::string>(expected.begin(), expected.begin() + 13));
  for (const std::string& name : expected) {
    const dl::LossEntry& e = dl::loss_entry(name);
    EXPECT_FALSE(e.summary.empty()) << name;
    EXPECT_EQ(e.defaults.count("reduction"), 1u) << name;
  }
}

TEST(LossRegistry, EveryNameConstructsAndEvaluates) {
  for (const std::string& name : dl::loss_names()) {
    SCOPED_TRACE(name);
    const dl::Loss loss = dl::make_loss(name, required_settings(name));
    EXPECT_EQ(loss.name(), name);
    EXPECT_EQ(loss.input(), dl::loss_entry(name).input);
    const Batch b = batch_for(loss.input());
    const at::Tensor value = loss(b.batch);
    ASSERT_EQ(value.dim(), 0);
    EXPECT_TRUE(std::isfinite(value.item<double>()));
    double gradient = 0;
    for (const at::Tensor& g : torch::autograd::grad({value}, b.leaves, {}, {}, false, true))
      if (g.defined()) gradient += g.abs().sum().item<double>();
    EXPECT_GT(gradient, 0);
    // Every default, given back as a setting, reads as it is; kNone keeps one value per item.
    dl::Settings all = dl::loss_defaults(name);
    for (auto& kv : required_settings(name)) all[kv.first] = kv.second;
    if (!all.count("reduction")) continue;
    all["reduction"] = "none";
    EXPECT_GE(dl::make_loss(name, all)(batch_for(loss.input()).batch).dim(), 1);
  }
}

TEST(LossRegistry, NamesAndSettingsMapToTheirLosses) {
  const Batch v = batch_for(dl::LossInput::views);
  const at::Tensor& z1 = v.batch.input;
  const at::Tensor& z2 = v.batch.second;
  EXPECT_EQ(dl::make_loss("NT_Xent", {{"temperature", "0.5"}})(z1, z2).item<double>(),
            F::nt_xent_loss(z1, z2, dl::NTXentOptions(0.5)).item<double>());
  EXPECT_EQ(dl::make_loss("groco", {{"topk_neg", "3"}, {"relaxation", "logistic-phi"}})(z1, z2)
                .item<double>(),
            F::groco_loss(
                z1, z2, dl::GroCoOptions().topk_neg(3).relaxation(dl::SortRelaxation::logistic_phi))
                .item<double>());
  EXPECT_EQ(dl::make_loss("ce").name(), "cross-entropy");

  // mw with query ids: pairs within each query.
  const at::Tensor s = f64({2, 0.5, 1, -1, 0.3, 0.1});
  const at::Tensor y = f64({1, 1, 0, 0, 1, 0});
  const at::Tensor q = torch::tensor({0, 0, 0, 0, 1, 1});
  EXPECT_EQ(dl::make_loss("mw")(dl::LossBatch::classification(s, y, q)).item<double>(),
            F::mann_whitney_loss(s, y, q).item<double>());

  // The adversarial loss draws its random start from LibTorch's generator.
  const Batch m = batch_for(dl::LossInput::model);
  torch::manual_seed(9);
  const double registered =
      dl::make_loss("adversarial-comp-sum", {{"p", "2"}, {"steps", "3"}, {"nu", "0.5"}})(m.batch)
          .item<double>();
  torch::manual_seed(9);
  EXPECT_EQ(registered,
            F::adversarial_comp_sum_loss(m.batch.model, m.batch.input, m.batch.target,
                                         dl::AdversarialCompSumOptions().p(2).steps(3).nu(0.5))
                .item<double>());
}

TEST(LossRegistry, AStatefulLossExposesItsStateAsAModule) {
  const dl::Loss loss = dl::make_loss("isogclr", {{"num_samples", "16"}, {"bimodal", "true"}});
  ASSERT_NE(loss.state(), nullptr);
  auto isogclr = std::dynamic_pointer_cast<dl::ISogCLRImpl>(loss.state());
  ASSERT_NE(isogclr, nullptr);
  EXPECT_EQ(isogclr->tau.sizes(), (std::vector<std::int64_t>{2, 16}));
  // A model that registers the loss saves its temperatures; training updates them.
  torch::nn::Module model;
  model.register_module("loss", loss.state());
  EXPECT_EQ(model.named_buffers().size(), 4u);
  loss(batch_for(dl::LossInput::views_and_ids).batch);
  EXPECT_GT(isogclr->seen.sum().item<double>(), 0);
  EXPECT_EQ(dl::make_loss("nt-xent").state(), nullptr);
}

TEST(LossRegistry, OtherLibrariesRegisterTheirOwnLosses) {
  dl::LossEntry e;
  e.name = "Test_Square";
  e.input = dl::LossInput::classification;
  e.summary = "mean squared logit (a test)";
  e.defaults = {{"scale", "1"}};
  e.make = [](const dl::SettingsReader& r) {
    const double scale = r.positive("scale");
    return dl::Loss([scale](const dl::LossBatch& b) { return scale * b.input.square().mean(); });
  };
  dl::register_loss(e);
  EXPECT_TRUE(dl::is_loss_name("test-square"));
  EXPECT_EQ(dl::make_loss("test-square", {{"scale", "2"}})(f64({1, 2}), f64({0, 1})).item<double>(),
            5.0);
  expect_error<std::invalid_argument>([&] { dl::register_loss(e); },
                                      {"register_loss", "'test-square' is taken"});
  e.name = "ce";
  expect_error<std::invalid_argument>([&] { dl::register_loss(e); }, {"'ce' is taken"});
}

TEST(LossRegistry, Misuse) {
  expect_error<std::invalid_argument>(
      [] { dl::make_loss("focal"); },
      {"unknown loss 'focal'", "cross-entropy", "groco", "isogclr"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("nt-xent", {{"tau", "0.5"}});
      },
      {"make_loss('nt-xent'): unknown setting 'tau' (valid: eps, reduction, temperature)"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("nt-xent", {{"temperature", "0"}});
      },
      {"temperature must be > 0", "0"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("gce", {{"gce_q", "fast"}});
      },
      {"setting gce_q: expected a finite number, got 'fast'"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("mae", {{"reduction", "avg"}});
      },
      {"setting reduction", "avg"});
  expect_error<std::invalid_argument>([] { dl::make_loss("isogclr"); },
                                      {"setting num_samples: required"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("groco", {{"relaxation", "sigmoid"}});
      },
      {"setting relaxation", "unknown sort relaxation 'sigmoid'"});
  expect_error<std::invalid_argument>(
      [] {
        dl::make_loss("adversarial-comp-sum", {{"p", "1"}});
      },
      {"setting p: must be 2 or inf, got '1'"});
  expect_error<std::invalid_argument>([] { dl::make_classification_loss("groco"); },
                                      {"unknown classification loss 'groco'", "mw"});
  const at::Tensor z = torch::randn({4, 3});
  expect_error<std::invalid_argument>([&] { dl::make_loss("groco")(dl::LossBatch::views(z, {})); },
                                      {"loss 'groco' (views) needs two views"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_loss("isogclr", {{"num_samples", "8"}})(z, z);
      },
      {"loss 'isogclr' (views-and-ids) needs the samples' ids"});
  expect_error<std::invalid_argument>(
      [&] { dl::make_loss("adversarial-comp-sum")(dl::LossBatch::classification(z, {})); },
      {"needs a model"});
  expect_error<std::invalid_argument>([&] { dl::Loss()(z, z); }, {"an empty Loss"});
}
