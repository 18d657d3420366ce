// The optimizer registry: names, settings (text map and "k=v" parsing), every optimizer built by
// name stepping a quadratic downhill, settings reaching the options, and the errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deepsolve/learned/optim/adagrad_norm.hpp"
#include "deepsolve/learned/optim/adam_clip.hpp"
#include "deepsolve/learned/optim/registry.hpp"
#include "deepsolve/learned/optim/sam.hpp"
#include "deepsolve/learned/optim/sgd_clip.hpp"
#include "optim_test_util.hpp"

namespace dl = deepsolve::learned;
using namespace optim_test;

TEST(OptimizerRegistry, Names) {
  const std::vector<std::string> expected{"adagrad",  "adagrad-norm", "adam",     "adam-clip",
                                          "adamw",    "asam-adam",    "asam-sgd", "normalized-gd",
                                          "sam-adam", "sam-sgd",      "sgd",      "sgd-clip"};
  EXPECT_EQ(dl::optimizer_names(), expected);
  EXPECT_TRUE(dl::is_optimizer_name("adam-clip"));
  EXPECT_FALSE(dl::is_optimizer_name("rmsprop"));
  EXPECT_TRUE(dl::optimizer_needs_closure("sam-sgd"));
  EXPECT_TRUE(dl::optimizer_needs_closure("normalized-gd"));
  EXPECT_FALSE(dl::optimizer_needs_closure("adagrad-norm"));
  EXPECT_EQ(dl::optimizer_defaults("sgd-clip").at("clip"), "0.1");
  EXPECT_EQ(dl::optimizer_defaults("adam-clip").at("clip"), "0.5");
  EXPECT_EQ(dl::optimizer_defaults("asam-sgd").at("rho"), "2");
}

TEST(OptimizerRegistry, EveryOptimizerGoesDownhill) {
  for (const auto& name : dl::optimizer_names()) {
    Quadratic q;
    const double before = q.loss().item<double>();
    dl::OptimizerSettings s{{"lr", name == "normalized-gd" ? "0.01" : "0.05"}};
    auto opt = dl::make_optimizer(name, q.params, s);
    for (int i = 0; i < 5; ++i) opt->step(q.closure());
    EXPECT_LT(q.loss().item<double>(), before) << name;
  }
}

TEST(OptimizerRegistry, SettingsReachTheOptions) {
  Quadratic q;
  auto opt = dl::make_optimizer("sgd-clip", q.params,
                                dl::parse_optimizer_settings("lr=0.2, momentum=0.5 clip=0.3"));
  auto* sgd = dynamic_cast<dl::SGDClip*>(opt.get());
  ASSERT_NE(sgd, nullptr);
  const auto& o = static_cast<const dl::SGDClipOptions&>(sgd->defaults());
  EXPECT_DOUBLE_EQ(o.lr(), 0.2);
  EXPECT_DOUBLE_EQ(o.momentum(), 0.5);
  EXPECT_DOUBLE_EQ(o.coordinate_clip(), 0.3);

  auto adam =
      dl::make_optimizer("adam-clip", q.params, {{"clip_update", "true"}, {"beta1", "0.8"}});
  const auto& ao = static_cast<const dl::AdamClipOptions&>(adam->defaults());
  EXPECT_TRUE(ao.clip_update());
  EXPECT_DOUBLE_EQ(std::get<0>(ao.betas()), 0.8);

  auto ada = dl::make_optimizer("adagrad-norm", q.params,
                                {{"batch_test", "augmented"}, {"initial_batch", "8"}});
  auto* an = dynamic_cast<dl::AdaGradNorm*>(ada.get());
  ASSERT_NE(an, nullptr);
  EXPECT_EQ(an->recommended_batch_size(), 8);
  EXPECT_EQ(an->adaptive_batch().options().test(), dl::BatchTest::augmented);

  auto sam = dl::make_optimizer("asam-adam", q.params, {{"rho", "1.5"}});
  auto* s = dynamic_cast<dl::SAM*>(sam.get());
  ASSERT_NE(s, nullptr);
  const auto& so = static_cast<const dl::SAMOptions&>(s->param_groups()[0].options());
  EXPECT_TRUE(so.adaptive());
  EXPECT_DOUBLE_EQ(so.rho(), 1.5);
  EXPECT_NE(dynamic_cast<torch::optim::Adam*>(&s->base()), nullptr);
}

TEST(OptimizerRegistry, Errors) {
  Quadratic q;
  expect_error<std::invalid_argument>([&] { dl::make_optimizer("rmsprop", q.params); },
                                      {"unknown optimizer 'rmsprop' (valid: adagrad, "
                                       "adagrad-norm, adam, adam-clip, adamw",
                                       "sgd-clip)"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("sgd", q.params, {{"betas", "0.9"}});
      },
      {"make_optimizer('sgd'): unknown setting 'betas' (valid: dampening, lr, momentum, "
       "nesterov, weight_decay)"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("adam-clip", q.params, {{"amsgrad", "true"}});
      },
      {"unknown setting 'amsgrad'"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("adam", q.params, {{"lr", "fast"}});
      },
      {"make_optimizer('adam'): setting lr: expected a finite number, got 'fast'"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("sgd", q.params, {{"lr", "-0.1"}});
      },
      {"setting lr: must be >= 0, got -0.1"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("sgd-clip", q.params, {{"clip", "2"}});
      },
      {"setting clip: must be in [0, 1], got 2"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("sam-sgd", q.params, {{"rho", "-1"}});
      },
      {"setting rho: must be >= 0, got -1"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("adagrad", q.params, {{"batch_test", "variance"}});
      },
      {"setting batch_test: unknown batch-size test 'variance'"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("adagrad", q.params, {{"max_batch", "2.5"}});
      },
      {"setting max_batch: expected an integer, got '2.5'"});
  expect_error<std::invalid_argument>(
      [&] {
        dl::make_optimizer("adam", q.params, {{"amsgrad", "maybe"}});
      },
      {"setting amsgrad: expected true or false, got 'maybe'"});
  expect_error<std::invalid_argument>([] { dl::parse_optimizer_settings("lr=0.1,momentum"); },
                                      {"'momentum' is not KEY=VALUE"});
  expect_error<std::invalid_argument>([] { dl::parse_optimizer_settings("lr=0.1 lr=0.2"); },
                                      {"lr given twice"});
  EXPECT_EQ(dl::parse_optimizer_settings(""), dl::OptimizerSettings{});
}
