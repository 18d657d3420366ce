// fit()'s learning-rate schedule and early stopping: schedule values against hand-computed ones,
// parsing and its errors, the rates fit() sets, early stopping on a scripted validation sequence,
// bit-for-bit resume with both on, and bad options.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/training/checkpoint.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "tiny_model.hpp"

namespace dl = deepsolve::learned;
namespace fs = std::filesystem;
using deepsolve_test::expect_error;
using learned_test::make_tiny;
using learned_test::Regression;
using learned_test::Tiny;

namespace {

double lr_of(const std::string& text, double base, std::int64_t epoch, std::int64_t epochs) {
  return dl::scheduled_lr(dl::parse_lr_schedule(text), base, epoch, epochs);
}

}  // namespace

TEST(LrSchedule, ValuesAtGivenEpochs) {
  EXPECT_EQ(lr_of("constant", 0.1, 7, 10), 0.1);
  // step: base * gamma^floor((e-1)/every)
  EXPECT_EQ(lr_of("step:every=2,gamma=0.5", 1.0, 1, 10), 1.0);
  EXPECT_EQ(lr_of("step:every=2,gamma=0.5", 1.0, 2, 10), 1.0);
  EXPECT_EQ(lr_of("step:every=2,gamma=0.5", 1.0, 3, 10), 0.5);
  EXPECT_EQ(lr_of("step:every=2,gamma=0.5", 1.0, 5, 10), 0.25);
  EXPECT_DOUBLE_EQ(lr_of("step:every=3", 1.0, 4, 10), 0.1);  // gamma defaults to 0.1
  // exponential: base * gamma^(e-1)
  EXPECT_EQ(lr_of("exponential:gamma=0.5", 2.0, 1, 10), 2.0);
  EXPECT_DOUBLE_EQ(lr_of("exponential:gamma=0.9", 2.0, 3, 10), 1.62);
  // cosine from base at epoch 1 to min at the last: min + (base-min)(1 + cos(pi (e-1)/(E-1)))/2
  EXPECT_DOUBLE_EQ(lr_of("cosine:min=0.1", 1.1, 1, 5), 1.1);
  EXPECT_DOUBLE_EQ(lr_of("cosine:min=0.1", 1.1, 2, 5), 0.1 + (1.0 + std::sqrt(0.5)) / 2.0);
  EXPECT_DOUBLE_EQ(lr_of("cosine:min=0.1", 1.1, 3, 5), 0.6);
  EXPECT_DOUBLE_EQ(lr_of("cosine:min=0.1", 1.1, 5, 5), 0.1);
  EXPECT_EQ(lr_of("cosine", 0.3, 1, 1), 0.3);  // one epoch: the base
  EXPECT_DOUBLE_EQ(lr_of("cosine", 1.0, 3, 5), 0.5);
  // warm-up: lr(e) * e/(W+1) for e <= W
  EXPECT_EQ(lr_of("constant:warmup=3", 1.0, 1, 10), 0.25);
  EXPECT_EQ(lr_of("constant:warmup=3", 1.0, 3, 10), 0.75);
  EXPECT_EQ(lr_of("constant:warmup=3", 1.0, 4, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_of("cosine:warmup=1", 1.0, 1, 5), 0.5);
  EXPECT_DOUBLE_EQ(lr_of("cosine:warmup=1", 1.0, 2, 5), (1.0 + std::sqrt(0.5)) / 2.0);
  expect_error<std::invalid_argument>([] { lr_of("constant", 1.0, 0, 5); },
                                      "epoch 0 is outside 1..5");
  expect_error<std::invalid_argument>([] { lr_of("constant", 1.0, 6, 5); },
                                      "epoch 6 is outside 1..5");
}

TEST(LrSchedule, ParsesAndPrints) {
  EXPECT_TRUE(dl::is_constant(dl::parse_lr_schedule("constant")));
  EXPECT_TRUE(dl::is_constant(dl::LrSchedule()));
  EXPECT_FALSE(dl::is_constant(dl::parse_lr_schedule("constant:warmup=2")));
  const dl::LrSchedule s = dl::parse_lr_schedule("step:gamma=0.5,every=10,warmup=2");
  EXPECT_EQ(s.kind, dl::LrSchedule::Kind::step);
  EXPECT_EQ(s.every, 10);
  EXPECT_EQ(s.gamma, 0.5);
  EXPECT_EQ(s.warmup, 2);
  EXPECT_EQ(dl::to_string(s), "step:every=10,gamma=0.5,warmup=2");
  EXPECT_EQ(dl::to_string(dl::parse_lr_schedule("cosine")), "cosine:min=0");
  EXPECT_EQ(dl::to_string(dl::parse_lr_schedule("cosine:min=1e-5")), "cosine:min=1e-05");
  EXPECT_EQ(dl::to_string(dl::parse_lr_schedule("exponential:gamma=0.95")),
            "exponential:gamma=0.95");
  for (const char* text : {"constant", "constant:warmup=4", "step:every=3,gamma=0.25",
                           "exponential:gamma=0.5", "cosine:min=0.001,warmup=1"}) {
    const auto once = dl::to_string(dl::parse_lr_schedule(text));
    EXPECT_EQ(dl::to_string(dl::parse_lr_schedule(once)), once) << text;
  }
}

TEST(LrSchedule, ErrorsNameTheBadPart) {
  const auto bad = [](const std::string& text, const std::string& expected) {
    expect_error<std::invalid_argument>([&] { dl::parse_lr_schedule(text); }, expected);
  };
  bad("linear",
      "learning-rate schedule 'linear': unknown schedule 'linear' (valid: constant, "
      "step, exponential, cosine)");
  bad("", "unknown schedule ''");
  bad("step:every=10,gama=0.5",
      "'step:every=10,gama=0.5': unknown key 'gama' for step (valid: every, gamma, warmup)");
  bad("cosine:gamma=0.5", "unknown key 'gamma' for cosine (valid: min, warmup)");
  bad("step:every=ten", "every=ten is not an integer >= 1");
  bad("step:every=0", "every=0 is not an integer >= 1");
  bad("step:every=2.5", "every=2.5 is not an integer >= 1");
  bad("step:gamma=0.5", "step needs every=K");
  bad("exponential", "exponential needs gamma=G");
  bad("exponential:gamma=0", "gamma=0 is not positive and finite");
  bad("exponential:gamma=abc", "gamma=abc is not a finite number");
  bad("cosine:min=-1e-5", "min=-1e-05 is not >= 0 and finite");
  bad("cosine:min=", "min= is not a finite number");
  bad("cosine:warmup=-1", "warmup=-1 is not an integer >= 0");
  bad("cosine:", "'' is not key=value");
  bad("cosine:min", "'min' is not key=value");
  bad("cosine:min=1,min=2", "key 'min' given twice");
}

// ~~~ Through fit() ~~~

namespace {

using deepsolve_test::TempDir;

bool same_parameters(const torch::nn::Module& a, const torch::nn::Module& b) {
  auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters())
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  return true;
}

// The validation loss of epoch e is values[e-1] (one call per epoch on one rank).
dl::TrainTask scripted_task(const Regression& data, Tiny& model, const std::vector<double>& values,
                            std::size_t& calls) {
  dl::TrainTask task = data.task(model);
  task.validation_loss_sum = [&values, &calls, &data](std::int64_t, std::int64_t) {
    const double v = values.at(calls++);
    return v * static_cast<double>(data.validation);  // fit() divides by the validation size
  };
  return task;
}

}  // namespace

TEST(TrainerSchedule, SetsEveryEpochsRateAndPutsTheBaseBack) {
  const Regression data(8, 2);
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.1));
  std::vector<double> seen;
  const auto options =
      dl::TrainerOptions().epochs(5).batch_size(4).print_progress(false).lr_schedule(
          dl::parse_lr_schedule("step:every=2,gamma=0.5,warmup=1"));
  const auto r = dl::fit(*model, adam, data.task(model), options, dl::DataParallel(),
                         [&](const dl::EpochResult& e) {
                           seen.push_back(adam.param_groups()[0].options().get_lr());
                           EXPECT_EQ(e.lr, seen.back());
                           EXPECT_EQ(e.progress.lr, seen.back());
                         });
  const std::vector<double> expected{0.05, 0.1, 0.05, 0.05, 0.025};
  EXPECT_EQ(seen, expected);
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(r.log.at(i, "lr"), expected[i]);
  EXPECT_EQ(adam.param_groups()[0].options().get_lr(), 0.1);  // the base rate again

  // Without a schedule the rate is left alone and logged.
  const auto plain = dl::fit(*model, adam, data.task(model),
                             dl::TrainerOptions().epochs(2).batch_size(4).print_progress(false));
  EXPECT_EQ(plain.log.at(1, "lr"), 0.1);
}

TEST(TrainerSchedule, StopsEarlyOnAScriptedValidationSequence) {
  const Regression data(8, 2);
  // min_delta 0.05: epoch 2 improves (4 < 5 - 0.05); 3, 4 (3.99 is not below 3.95) and 5 do not.
  const std::vector<double> values{5.0, 4.0, 4.5, 3.99, 4.2, 4.1, 4.0, 1.0, 1.0, 1.0};
  std::size_t calls = 0;
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  std::vector<std::int64_t> counters;
  const auto options =
      dl::TrainerOptions().epochs(10).batch_size(4).print_progress(false).patience(3).min_delta(
          0.05);
  const auto r =
      dl::fit(*model, adam, scripted_task(data, model, values, calls), options, dl::DataParallel(),
              [&](const dl::EpochResult& e) { counters.push_back(e.epochs_without_improvement); });
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.stopped_epoch, 5);
  EXPECT_EQ(r.epochs, 5);
  EXPECT_EQ(r.steps, 10);
  EXPECT_EQ(r.log.size(), 5u);
  EXPECT_EQ(r.validation_loss, 4.2);
  EXPECT_EQ(r.state.best_metric, 3.99);
  EXPECT_EQ(r.state.improvement_reference, 4.0);
  EXPECT_EQ(counters, (std::vector<std::int64_t>{0, 0, 1, 2, 3}));

  // min_delta 0: 3.99 improves on 4, then 4.2, 4.1, 4.0 do not: stop after epoch 7.
  calls = 0;
  const auto r0 = dl::fit(*model, adam, scripted_task(data, model, values, calls),
                          dl::TrainerOptions(options).min_delta(0.0));
  EXPECT_TRUE(r0.stopped_early);
  EXPECT_EQ(r0.stopped_epoch, 7);

  // Patience 0: all 10 epochs.
  calls = 0;
  const auto off = dl::fit(*model, adam, scripted_task(data, model, values, calls),
                           dl::TrainerOptions(options).patience(0));
  EXPECT_FALSE(off.stopped_early);
  EXPECT_EQ(off.stopped_epoch, 0);
  EXPECT_EQ(off.epochs, 10);

  // Running out of patience on the last epoch is not stopping early.
  calls = 0;
  const auto last = dl::fit(*model, adam, scripted_task(data, model, values, calls),
                            dl::TrainerOptions(options).epochs(5));
  EXPECT_FALSE(last.stopped_early);
  EXPECT_EQ(last.epochs, 5);
}

TEST(TrainerSchedule, ResumeWithBothIsBitForBit) {
  TempDir dir;
  const Regression data(13, 4);
  // min_delta so large that no epoch after the first improves: patience 3 stops after epoch 4.
  // The checkpoints of an interrupted run hold the counter; losing it would stop after epoch 5+.
  const auto options = dl::TrainerOptions()
                           .epochs(8)
                           .batch_size(4)
                           .seed(5)
                           .print_progress(false)
                           .patience(3)
                           .min_delta(1e9)
                           .lr_schedule(dl::parse_lr_schedule("cosine:min=1e-3,warmup=1"));
  const auto train = [&](std::uint64_t init, const dl::TrainerOptions& o, int interrupt_after) {
    Tiny model = make_tiny(init);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
    dl::TrainResult r;
    try {
      r = dl::fit(*model, adam, data.task(model), o, dl::DataParallel(),
                  [&](const dl::EpochResult& e) {
                    if (e.epoch == interrupt_after) throw std::runtime_error("killed");
                  });
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "killed");
    }
    EXPECT_EQ(adam.param_groups()[0].options().get_lr(), 1e-2);
    return std::make_pair(model, r);
  };
  const auto [whole_model, whole] =
      train(1, dl::TrainerOptions(options).checkpoint(dir.file("a.ckpt")), 0);
  EXPECT_TRUE(whole.stopped_early);
  EXPECT_EQ(whole.stopped_epoch, 4);
  EXPECT_EQ(dl::read_checkpoint_state(dir.file("a.ckpt")).epoch, 4);

  for (const int cut : {1, 2, 3}) {
    const std::string ckpt = dir.file("b" + std::to_string(cut) + ".ckpt");
    train(1, dl::TrainerOptions(options).checkpoint(ckpt), cut);
    const auto state = dl::read_checkpoint_state(ckpt);
    EXPECT_EQ(state.epoch, cut);
    EXPECT_EQ(state.epochs_without_improvement, cut - 1);
    const auto [model, rest] =
        train(9, dl::TrainerOptions(options).checkpoint(ckpt).resume(true), 0);
    EXPECT_EQ(rest.first_epoch, cut);
    EXPECT_TRUE(rest.stopped_early) << "cut after " << cut;
    EXPECT_EQ(rest.stopped_epoch, 4) << "cut after " << cut;
    EXPECT_TRUE(same_parameters(*whole_model, *model)) << "cut after " << cut;
    EXPECT_EQ(rest.train_loss, whole.train_loss);
    EXPECT_EQ(rest.validation_loss, whole.validation_loss);
    ASSERT_EQ(rest.log.size(), 4u);
    for (std::size_t row = 0; row < 4; ++row)
      for (const char* c : {"epoch", "step", "train_loss", "validation_loss", "lr"})
        EXPECT_EQ(rest.log.at(row, c), whole.log.at(row, c)) << "row " << row << " " << c;
  }

  // Resuming a run that stopped early trains nothing and says so.
  const auto [again_model, again] =
      train(9, dl::TrainerOptions(options).checkpoint(dir.file("a.ckpt")).resume(true), 0);
  EXPECT_TRUE(again.stopped_early);
  EXPECT_EQ(again.stopped_epoch, 4);
  EXPECT_EQ(again.epochs, 4);
  EXPECT_TRUE(same_parameters(*whole_model, *again_model));
}

TEST(TrainerSchedule, BadOptions) {
  const Regression data(6, 0);
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  const auto task = data.task(model);
  const auto options = dl::TrainerOptions().batch_size(2).print_progress(false);
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions(options).patience(2)); },
      "early stopping (patience 2) needs a validation set; there is none");
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions(options).patience(-1)); },
      "patience must be >= 0, got -1");
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions(options).min_delta(-1)); },
      "min_delta must be >= 0 and finite");
}
