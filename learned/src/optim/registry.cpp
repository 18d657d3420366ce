#include "deepsolve/learned/optim/registry.hpp"

#include <torch/torch.h>

#include <functional>
#include <stdexcept>

#include "deepsolve/learned/optim/adagrad.hpp"
#include "deepsolve/learned/optim/adagrad_norm.hpp"
#include "deepsolve/learned/optim/adam_clip.hpp"
#include "deepsolve/learned/optim/normalized_gd.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"
#include "deepsolve/learned/optim/sam.hpp"
#include "deepsolve/learned/optim/sgd_clip.hpp"

namespace deepsolve::learned {

namespace {

using Params = std::vector<at::Tensor>;
using Defaults = std::map<std::string, std::string>;

using Reader = SettingsReader;

struct Entry {
  Defaults defaults;
  bool needs_closure = false;
  std::function<std::unique_ptr<torch::optim::Optimizer>(Params, const Reader&)> make;
};

const Defaults kSgd{{"lr", "0.01"},
                    {"momentum", "0"},
                    {"dampening", "0"},
                    {"weight_decay", "0"},
                    {"nesterov", "false"}};
const Defaults kAdam{{"lr", "0.001"},  {"beta1", "0.9"},      {"beta2", "0.999"},
                     {"eps", "1e-08"}, {"weight_decay", "0"}, {"amsgrad", "false"}};

Defaults with(Defaults base, const Defaults& extra) {
  for (const auto& kv : extra) base[kv.first] = kv.second;
  return base;
}

std::unique_ptr<torch::optim::Optimizer> make_sgd(Params p, const Reader& r) {
  auto o = torch::optim::SGDOptions(r.nonnegative("lr"))
               .momentum(r.nonnegative("momentum"))
               .dampening(r.nonnegative("dampening"))
               .weight_decay(r.nonnegative("weight_decay"))
               .nesterov(r.boolean("nesterov"));
  return std::make_unique<torch::optim::SGD>(std::move(p), o);
}

std::unique_ptr<torch::optim::Optimizer> make_adam(Params p, const Reader& r) {
  auto o = torch::optim::AdamOptions(r.nonnegative("lr"))
               .betas(std::make_tuple(r.below_one("beta1"), r.below_one("beta2")))
               .eps(r.nonnegative("eps"))
               .weight_decay(r.nonnegative("weight_decay"))
               .amsgrad(r.boolean("amsgrad"));
  return std::make_unique<torch::optim::Adam>(std::move(p), o);
}

AdaptiveBatchOptions batch_options(const Reader& r) {
  AdaptiveBatchOptions b;
  try {
    b.test(batch_test_from_string(r.text("batch_test")));
  } catch (const std::invalid_argument& e) {
    r.fail("batch_test", e.what());
  }
  b.eta(r.nonnegative("eta"))
      .theta(r.nonnegative("theta"))
      .nu(r.nonnegative("nu"))
      .initial_batch(r.integer("initial_batch", 1))
      .max_batch(r.integer("max_batch", 1))
      .test_interval(r.integer("test_interval", 1));
  return b;
}

const Defaults kBatch{{"batch_test", "norm"}, {"eta", "0.1"},          {"theta", "0.1"},
                      {"nu", "0.1"},          {"initial_batch", "32"}, {"max_batch", "50000"},
                      {"test_interval", "1"}};

std::unique_ptr<torch::optim::Optimizer> make_sam(bool adaptive, bool adam, Params p,
                                                  const Reader& r) {
  auto base = adam ? make_adam(std::move(p), r) : make_sgd(std::move(p), r);
  return std::make_unique<SAM>(std::move(base),
                               SAMOptions(r.nonnegative("rho")).adaptive(adaptive));
}

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> entries = [] {
    std::map<std::string, Entry> e;
    e["sgd"] = {kSgd, false, make_sgd};
    e["adam"] = {kAdam, false, make_adam};
    e["adamw"] = {with(kAdam, {{"weight_decay", "0.01"}}), false, [](Params p, const Reader& r) {
                    auto o = torch::optim::AdamWOptions(r.nonnegative("lr"))
                                 .betas(std::make_tuple(r.below_one("beta1"), r.below_one("beta2")))
                                 .eps(r.nonnegative("eps"))
                                 .weight_decay(r.nonnegative("weight_decay"))
                                 .amsgrad(r.boolean("amsgrad"));
                    return std::unique_ptr<torch::optim::Optimizer>(
                        std::make_unique<torch::optim::AdamW>(std::move(p), o));
                  }};
    e["sgd-clip"] = {{{"lr", "0.01"},
                      {"momentum", "0.9"},
                      {"weight_decay", "0"},
                      {"clip", "0.1"},
                      {"threshold_scale", "1"}},
                     false,
                     [](Params p, const Reader& r) {
                       auto o = SGDClipOptions(r.nonnegative("lr"))
                                    .momentum(r.below_one("momentum"))
                                    .weight_decay(r.nonnegative("weight_decay"))
                                    .coordinate_clip(r.unit("clip"))
                                    .threshold_scale(r.nonnegative("threshold_scale"));
                       return std::unique_ptr<torch::optim::Optimizer>(
                           std::make_unique<SGDClip>(std::move(p), o));
                     }};
    Defaults adam_clip =
        with(kAdam, {{"clip", "0.5"}, {"threshold_scale", "1"}, {"clip_update", "false"}});
    adam_clip.erase("amsgrad");
    e["adam-clip"] = {adam_clip, false, [](Params p, const Reader& r) {
                        auto o =
                            AdamClipOptions(r.nonnegative("lr"))
                                .betas(std::make_tuple(r.below_one("beta1"), r.below_one("beta2")))
                                .eps(r.nonnegative("eps"))
                                .weight_decay(r.nonnegative("weight_decay"))
                                .coordinate_clip(r.unit("clip"))
                                .threshold_scale(r.nonnegative("threshold_scale"))
                                .clip_update(r.boolean("clip_update"));
                        return std::unique_ptr<torch::optim::Optimizer>(
                            std::make_unique<AdamClip>(std::move(p), o));
                      }};
    e["adagrad-norm"] = {
        with(kBatch, {{"lr", "1"},
                      {"initial_accumulator_value", "0.01"},
                      {"eps", "1e-10"},
                      {"weight_decay", "0"}}),
        false, [](Params p, const Reader& r) {
          auto o = AdaGradNormOptions(r.nonnegative("lr"))
                       .initial_accumulator_value(r.nonnegative("initial_accumulator_value"))
                       .eps(r.nonnegative("eps"))
                       .weight_decay(r.nonnegative("weight_decay"));
          return std::unique_ptr<torch::optim::Optimizer>(
              std::make_unique<AdaGradNorm>(std::move(p), o, batch_options(r)));
        }};
    e["adagrad"] = {with(kBatch, {{"lr", "0.01"},
                                  {"initial_accumulator_value", "0"},
                                  {"eps", "1e-10"},
                                  {"weight_decay", "0"}}),
                    false, [](Params p, const Reader& r) {
                      auto o =
                          AdaGradOptions(r.nonnegative("lr"))
                              .initial_accumulator_value(r.nonnegative("initial_accumulator_value"))
                              .eps(r.nonnegative("eps"))
                              .weight_decay(r.nonnegative("weight_decay"));
                      return std::unique_ptr<torch::optim::Optimizer>(
                          std::make_unique<AdaGrad>(std::move(p), o, batch_options(r)));
                    }};
    for (bool adaptive : {false, true})
      for (bool adam : {false, true}) {
        const std::string name = std::string(adaptive ? "asam-" : "sam-") + (adam ? "adam" : "sgd");
        e[name] = {with(adam ? kAdam : kSgd, {{"rho", adaptive ? "2" : "0.05"}}), true,
                   [adaptive, adam](Params p, const Reader& r) {
                     return make_sam(adaptive, adam, std::move(p), r);
                   }};
      }
    e["normalized-gd"] = {
        {{"lr", "1"}}, true, [](Params p, const Reader& r) {
          return std::unique_ptr<torch::optim::Optimizer>(std::make_unique<NormalizedGD>(
              std::move(p), NormalizedGDOptions(r.nonnegative("lr"))));
        }};
    return e;
  }();
  return entries;
}

const Entry& entry(const std::string& name) {
  const auto& r = registry();
  auto it = r.find(name);
  if (it == r.end()) {
    std::string valid;
    for (const auto& n : optimizer_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown optimizer '" + name + "' (valid: " + valid + ")");
  }
  return it->second;
}

}  // namespace

OptimizerSettings parse_optimizer_settings(const std::string& text) {
  return parse_settings(text, "optimizer settings");
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  return names;
}

bool is_optimizer_name(const std::string& name) {
  return registry().count(name) > 0;
}

bool optimizer_needs_closure(const std::string& name) {
  return entry(name).needs_closure;
}

std::map<std::string, std::string> optimizer_defaults(const std::string& name) {
  return entry(name).defaults;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& name,
                                                        std::vector<at::Tensor> params,
                                                        const OptimizerSettings& settings) {
  const Entry& e = entry(name);
  const Reader reader("make_optimizer('" + name + "')", e.defaults, settings);
  try {
    return e.make(std::move(params), reader);
  } catch (const c10::Error& err) {
    throw std::invalid_argument("make_optimizer('" + name + "'): " + err.what_without_backtrace());
  }
}

}  // namespace deepsolve::learned
