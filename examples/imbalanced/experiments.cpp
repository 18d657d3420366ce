#include "experiments.hpp"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "deepsolve/learned/training/shuffle.hpp"

namespace imbalanced {

namespace dl = deepsolve::learned;

namespace {

// The shortest of %.15g and %.17g that reads back as v ("0.1", not "0.10000000000000001").
std::string text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", v);
  if (std::strtod(buffer, nullptr) != v) std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// The seeds of the initial weights and of the batch order: the same for every loss (optimizer)
// of one problem, so that the runs differ only in what is compared.
std::uint64_t weights_seed(std::uint64_t seed, const Problem& p) {
  return dl::SplitMix64(seed, p.binary() ? 100 : 101).next() >> 1;
}
std::uint64_t order_seed(std::uint64_t seed, const Problem& p) {
  return dl::SplitMix64(seed, p.binary() ? 200 : 201).next();
}

Metrics evaluate(Mlp& net, const Problem& p) {
  const at::Tensor logits = predict(net, p.test);
  return p.binary() ? binary_metrics(logits, p.test.y) : multiclass_metrics(logits, p.test.y);
}

TrainSpec spec_of(const Problem& p, const Options& o, std::int64_t epochs) {
  TrainSpec spec;
  spec.epochs = epochs;
  spec.batch = o.batch;
  spec.seed = order_seed(o.seed, p);
  return spec;
}

}  // namespace

dl::OptimizerSettings curve_settings(const std::string& name, const Options& o) {
  const auto defaults = dl::optimizer_defaults(name);
  dl::OptimizerSettings s;
  if (defaults.count("lr"))
    s["lr"] = text(name.find("adam") != std::string::npos ? o.adam_lr : o.sgd_lr);
  if (defaults.count("momentum")) s["momentum"] = text(o.momentum);
  if (defaults.count("dampening")) s["dampening"] = text(o.momentum);
  if (defaults.count("clip")) s["clip"] = text(o.clip);
  return s;
}

std::vector<LossRun> compare_losses(const Problem& p, const Options& o) {
  std::vector<LossRun> runs;
  for (const std::string& name : o.losses) {
    LossRun run;
    run.loss = name;
    Mlp net = make_model(p.train.x.size(1), o.hidden, p.outputs(), weights_seed(o.seed, p));
    const auto optimizer = dl::make_optimizer(o.optimizer, net->parameters(), {{"lr", text(o.lr)}});
    run.curve =
        train(net, *optimizer, dl::make_classification_loss(name), p, spec_of(p, o, o.epochs));
    run.metrics = evaluate(net, p);
    runs.push_back(std::move(run));
  }
  return runs;
}

std::vector<OptimizerRun> compare_optimizers(const Problem& p, const Options& o) {
  std::vector<OptimizerRun> runs;
  const dl::ClassificationLoss loss = dl::make_classification_loss(curve_loss());
  for (const std::string& name : o.optimizers) {
    OptimizerRun run;
    run.optimizer = name;
    run.settings = curve_settings(name, o);
    Mlp net = make_model(p.train.x.size(1), o.hidden, p.outputs(), weights_seed(o.seed, p));
    const auto optimizer = dl::make_optimizer(name, net->parameters(), run.settings);
    run.curve = train(net, *optimizer, loss, p, spec_of(p, o, o.curve_epochs));
    run.metrics = evaluate(net, p);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace imbalanced
