// deepsolve::learned on one process: shuffling, progress lines, metrics logs, atomic files,
// checkpoints (round trip, every load error) and exact resume through the trainer.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/device.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/optim/registry.hpp"
#include "deepsolve/learned/training/checkpoint.hpp"
#include "deepsolve/learned/training/metrics_log.hpp"
#include "deepsolve/learned/training/progress.hpp"
#include "deepsolve/learned/training/shuffle.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "tiny_model.hpp"

namespace dl = deepsolve::learned;
namespace fs = std::filesystem;
using learned_test::make_tiny;
using learned_test::Regression;
using learned_test::Tiny;

namespace {

using deepsolve_test::TempDir;

using deepsolve_test::expect_error;

std::string slurp(const std::string& path) {
  return dl::read_whole_file(path);
}

bool same_tensors(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa)
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& p : ba)
    if (!torch::equal(p.value(), bb[p.key()])) return false;
  return pa.size() == pb.size() && ba.size() == bb.size();
}

// A few Adam steps on the regression task, so the optimizer has state.
void take_steps(Tiny& model, torch::optim::Optimizer& opt, int steps) {
  Regression data(8, 0);
  const auto task = data.task(model);
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    task.loss_sum(torch::arange(8)).backward();
    opt.step();
  }
}

}  // namespace

// ~~~ Shuffling ~~~

TEST(Device, ResolvesNames) {
  EXPECT_EQ(dl::resolve_device("cpu"), "cpu");
  if (torch::cuda::is_available()) {
    const int count = static_cast<int>(torch::cuda::device_count());
    EXPECT_EQ(dl::resolve_device("auto", 3), "cuda:" + std::to_string(3 % count));
    EXPECT_EQ(dl::resolve_device("cuda"), "cuda:0");
  } else {
    EXPECT_EQ(dl::resolve_device("auto", 3), "cpu");
    EXPECT_THROW(dl::resolve_device("cuda"), std::invalid_argument);
  }
  EXPECT_THROW(dl::resolve_device("cuda:99"), std::invalid_argument);
  EXPECT_THROW(dl::resolve_device("gpu"), std::invalid_argument);
  EXPECT_THROW(dl::resolve_device("cuda:x"), std::invalid_argument);
  EXPECT_THROW(dl::resolve_device("cuda:99999999999"), std::invalid_argument);
  expect_error<std::invalid_argument>([] { dl::resolve_device("gpu"); },
                                      "unknown device 'gpu' (valid: cpu, cuda, cuda:N, auto)");
}

TEST(Shuffle, PermutationDependsOnlyOnSeedAndCounter) {
  const auto a = dl::seeded_permutation(50, 3, 1), b = dl::seeded_permutation(50, 3, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, dl::seeded_permutation(50, 3, 2));
  EXPECT_NE(a, dl::seeded_permutation(50, 4, 1));
  std::set<std::int64_t> values(a.begin(), a.end());
  EXPECT_EQ(values.size(), 50u);
  EXPECT_EQ(*values.begin(), 0);
  EXPECT_EQ(*values.rbegin(), 49);
  EXPECT_TRUE(dl::seeded_permutation(0, 1, 1).empty());
  // The order is part of the checkpoint contract (a resumed run recomputes it): pin it.
  EXPECT_EQ(dl::seeded_permutation(8, 0, 1), (std::vector<std::int64_t>{6, 4, 2, 5, 0, 1, 3, 7}));
  EXPECT_EQ(dl::SplitMix64(0).next(), 0xe220a8397b1dcdafULL);  // the reference SplitMix64
}

TEST(Shuffle, ShardsAreContiguousAndBalanced) {
  std::vector<std::pair<std::int64_t, std::int64_t>> got;
  for (int r = 0; r < 3; ++r)
    got.emplace_back(dl::shard_of(10, r, 3).begin, dl::shard_of(10, r, 3).end);
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 4}, {4, 7}, {7, 10}}));
  EXPECT_EQ(dl::shard_of(1, 1, 2).size(), 0);
  EXPECT_EQ(dl::shard_of(1, 0, 2).size(), 1);
  EXPECT_THROW(dl::shard_of(5, 2, 2), std::invalid_argument);
}

// ~~~ Progress ~~~

TEST(Progress, Durations) {
  EXPECT_EQ(dl::format_duration(0), "0:00:00");
  EXPECT_EQ(dl::format_duration(59.4), "0:00:59");
  EXPECT_EQ(dl::format_duration(59.6), "0:01:00");
  EXPECT_EQ(dl::format_duration(3723), "1:02:03");
  EXPECT_EQ(dl::format_duration(100000), "27:46:40");
  EXPECT_EQ(dl::format_duration(std::nan("")), "?");
  EXPECT_EQ(dl::format_duration(-1), "?");
  EXPECT_EQ(dl::format_duration(std::numeric_limits<double>::infinity()), "?");
}

TEST(Progress, Line) {
  dl::EpochProgress p;
  p.epoch = 3;
  p.epochs = 20;
  p.train_loss = 0.0123456;
  p.validation_loss = 0.013012;
  p.samples_per_second = 812.44;
  p.elapsed_seconds = 83;
  p.eta_seconds = 471;
  EXPECT_EQ(dl::format_progress(p),
            "epoch  3/20  train 1.2346e-02  val 1.3012e-02  812.4 samples/s  elapsed 0:01:23  "
            "ETA 0:07:51");
  p.validation_loss = std::nan("");
  p.eta_seconds = std::nan("");
  EXPECT_EQ(dl::format_progress(p),
            "epoch  3/20  train 1.2346e-02  val -  812.4 samples/s  elapsed 0:01:23  ETA ?");
  p.lr = 1e-4;
  EXPECT_EQ(dl::format_progress(p),
            "epoch  3/20  train 1.2346e-02  val -  lr 1.000e-04  812.4 samples/s  elapsed 0:01:23  "
            "ETA ?");
}

TEST(Progress, EtaFromThisRunsEpochs) {
  double now = 100.0;
  dl::ProgressMeter meter(2, 10, [&] { return now; });  // resumed after 2 of 10 epochs
  now = 105.0;
  auto p = meter.epoch_done(3, 0.5, 0.25, 1000, 2.0);
  EXPECT_EQ(p.epoch, 3);
  EXPECT_EQ(p.epochs, 10);
  EXPECT_DOUBLE_EQ(p.elapsed_seconds, 5.0);
  EXPECT_DOUBLE_EQ(p.eta_seconds, 35.0);  // 5 s per epoch, 7 to go
  EXPECT_DOUBLE_EQ(p.samples_per_second, 500.0);
  now = 111.0;
  p = meter.epoch_done(4, 0.5, 0.25, 1000, 2.0);
  EXPECT_DOUBLE_EQ(p.eta_seconds, 33.0);  // 5.5 s per epoch, 6 to go
  now = 150.0;
  p = meter.epoch_done(10, 0.5, 0.25, 1000, 2.0);
  EXPECT_DOUBLE_EQ(p.eta_seconds, 0.0);
  EXPECT_NE(dl::format_progress(p).find("epoch 10/10"), std::string::npos);
  EXPECT_THROW(dl::ProgressMeter(5, 4), std::invalid_argument);
}

// ~~~ Metrics log and atomic files ~~~

TEST(MetricsLog, CsvAndJson) {
  dl::MetricsLog log({"epoch", "loss", "val"});
  log.add({1, 0.1, std::nan("")});
  log.add({2, 1.0 / 3.0, 2.5e-7});
  EXPECT_EQ(log.to_csv(), "epoch,loss,val\n1,0.1,nan\n2,0.3333333333333333,2.5e-07\n");
  EXPECT_EQ(log.to_json(),
            "[\n {\"epoch\": 1, \"loss\": 0.1, \"val\": null},\n"
            " {\"epoch\": 2, \"loss\": 0.3333333333333333, \"val\": 2.5e-07}\n]\n");
  const auto back = dl::MetricsLog::from_csv(log.to_csv());
  EXPECT_EQ(back.columns(), log.columns());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at(1, "loss"), 1.0 / 3.0);  // exact
  EXPECT_TRUE(std::isnan(back.at(0, "val")));
  EXPECT_THROW(log.add({1, 2}), std::invalid_argument);
  EXPECT_THROW(log.at(0, "nope"), std::out_of_range);
  expect_error<std::invalid_argument>([] { dl::MetricsLog::from_csv("a,b\n1,2\n3\n"); },
                                      "metrics CSV line 3 has 1 values, the header 2");
  expect_error<std::invalid_argument>([] { dl::MetricsLog::from_csv("a\nx1\n"); },
                                      "'x1' is not a number");
  log.truncate(1);
  EXPECT_EQ(log.size(), 1u);
}

TEST(MetricsLog, SavesAtomically) {
  TempDir dir;
  dl::MetricsLog log({"epoch"});
  log.add({1});
  log.save(dir.file("log.csv"));
  log.save(dir.file("log.json"));
  log.add({2});
  log.save(dir.file("log.csv"));  // overwrite
  EXPECT_EQ(slurp(dir.file("log.csv")), "epoch\n1\n2\n");
  EXPECT_EQ(slurp(dir.file("log.json")), "[\n {\"epoch\": 1}\n]\n");
  EXPECT_EQ(dir.files(), (std::set<std::string>{"log.csv", "log.json"}));  // no temporaries
  expect_error<std::runtime_error>([&] { log.save(dir.file("missing/log.csv")); },
                                   "missing/log.csv: cannot write (cannot create a temporary file");
  expect_error<std::runtime_error>([&] { dl::read_whole_file(dir.file("nope"), "metrics log"); },
                                   "nope: cannot open metrics log (No such file or directory)");
}

// ~~~ Checkpoints ~~~

TEST(Checkpoint, RoundTripRestoresEverything) {
  TempDir dir;
  const std::string path = dir.file("run.ckpt");
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
  take_steps(model, adam, 3);
  model->scale.fill_(0.75);  // a buffer that differs from a fresh model's
  dl::CheckpointState state;
  state.epoch = 4;
  state.step = 12;
  state.best_metric = 0.125;
  state.wall_seconds = 3.5;
  state.seed = 0xfedcba9876543210ULL;  // above INT64_MAX: stored through the sign bit
  state.rng_counter = 4;
  state.metadata = R"({"net": "tiny"})";
  state.metrics_csv = "epoch\n1\n2\n3\n4\n";
  torch::manual_seed(99);
  dl::save_checkpoint(path, *model, adam, state);
  const torch::Tensor next_random = torch::randn({4});  // the draw after the checkpoint
  EXPECT_EQ(dir.files(), std::set<std::string>{"run.ckpt"});

  Tiny fresh = make_tiny(2);
  torch::optim::Adam fresh_adam(fresh->parameters(), torch::optim::AdamOptions(1e-2));
  EXPECT_FALSE(same_tensors(*model, *fresh));
  torch::manual_seed(5);
  const dl::CheckpointState back = dl::load_checkpoint(path, *fresh, fresh_adam);
  EXPECT_TRUE(same_tensors(*model, *fresh));
  EXPECT_TRUE(torch::equal(torch::randn({4}), next_random));  // generator restored
  EXPECT_EQ(back.epoch, 4);
  EXPECT_EQ(back.step, 12);
  EXPECT_EQ(back.best_metric, 0.125);
  EXPECT_EQ(back.wall_seconds, 3.5);
  EXPECT_EQ(back.seed, 0xfedcba9876543210ULL);
  EXPECT_EQ(back.rng_counter, 4u);
  EXPECT_EQ(back.metadata, state.metadata);
  EXPECT_EQ(back.metrics_csv, state.metrics_csv);
  EXPECT_EQ(back.optimizer, "adam");
  EXPECT_EQ(dl::read_checkpoint_state(path).metadata, state.metadata);

  // The optimizer state came back: the next step is the same in both.
  take_steps(model, adam, 1);
  take_steps(fresh, fresh_adam, 1);
  EXPECT_TRUE(same_tensors(*model, *fresh));
}

TEST(Checkpoint, SgdMomentumRoundTrip) {
  TempDir dir;
  Tiny model = make_tiny(1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(1e-2).momentum(0.9));
  take_steps(model, sgd, 2);
  dl::save_checkpoint(dir.file("sgd.ckpt"), *model, sgd, {});
  Tiny fresh = make_tiny(3);
  torch::optim::SGD fresh_sgd(fresh->parameters(), torch::optim::SGDOptions(1e-2).momentum(0.9));
  const auto back = dl::load_checkpoint(dir.file("sgd.ckpt"), *fresh, fresh_sgd);
  EXPECT_EQ(back.optimizer, "sgd");
  EXPECT_TRUE(std::isnan(back.best_metric));
  take_steps(model, sgd, 2);
  take_steps(fresh, fresh_sgd, 2);
  EXPECT_TRUE(same_tensors(*model, *fresh));
}

TEST(Checkpoint, LoadErrorsNameTheFile) {
  TempDir dir;
  const std::string good = dir.file("good.ckpt");
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  take_steps(model, adam, 1);
  dl::save_checkpoint(good, *model, adam, {});
  const std::string bytes = slurp(good);

  Tiny target = make_tiny(4);
  torch::optim::Adam target_adam(target->parameters());
  Tiny untouched = make_tiny(4);
  auto load = [&](const std::string& path) { dl::load_checkpoint(path, *target, target_adam); };

  expect_error<std::runtime_error>(
      [&] { load(dir.file("missing.ckpt")); },
      "missing.ckpt: cannot open checkpoint (No such file or directory)");
  dl::write_file_atomically(dir.file("empty.ckpt"), "");
  expect_error<std::runtime_error>([&] { load(dir.file("empty.ckpt")); },
                                   "empty.ckpt: not a deepsolve checkpoint (the file is empty)");
  dl::write_file_atomically(dir.file("half.ckpt"), bytes.substr(0, bytes.size() / 2));
  expect_error<std::runtime_error>([&] { load(dir.file("half.ckpt")); },
                                   "half.ckpt: truncated checkpoint: the file has");
  dl::write_file_atomically(dir.file("text.ckpt"), "epoch=3\n");
  expect_error<std::runtime_error>([&] { load(dir.file("text.ckpt")); },
                                   "text.ckpt: not a deepsolve checkpoint (it does not start");
  // A bare LibTorch archive (a saved module; also what checkpoints were before the archive).
  torch::save(model, dir.file("module.pt"));
  expect_error<std::runtime_error>([&] { load(dir.file("module.pt")); },
                                   "module.pt: not a deepsolve checkpoint (a bare zip/LibTorch");
  // The same inside an intact archive of the right kind: the payload's own header check.
  dl::write_archive(dir.file("wrapped.ckpt"), "checkpoint", {slurp(dir.file("module.pt"))});
  expect_error<std::runtime_error>([&] { load(dir.file("wrapped.ckpt")); },
                                   "wrapped.ckpt: not a deepsolve checkpoint (no");
  // A flipped byte anywhere: in the archive header (the magic says "not a checkpoint", the other
  // fields fail the header's CRC), at the start, middle and end of the payload.
  std::string bad_magic = bytes;
  bad_magic[5] = static_cast<char>(bad_magic[5] ^ 0x01);
  dl::write_file_atomically(dir.file("magic.ckpt"), bad_magic);
  expect_error<std::runtime_error>([&] { load(dir.file("magic.ckpt")); },
                                   "magic.ckpt: not a deepsolve checkpoint");
  for (const std::size_t at :
       {std::size_t{12}, std::size_t{40}, std::size_t{60}, bytes.size() / 2, bytes.size() - 1}) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    dl::write_file_atomically(dir.file("flipped.ckpt"), flipped);
    expect_error<std::runtime_error>([&] { load(dir.file("flipped.ckpt")); },
                                     {"flipped.ckpt: ", "CRC-32 check failed"});
  }

  // Another network: other shapes, another layer.
  Tiny wide = make_tiny(1, 8);
  torch::optim::Adam wide_adam(wide->parameters());
  expect_error<std::runtime_error>(
      [&] { dl::load_checkpoint(good, *wide, wide_adam); },
      "good.ckpt: the checkpoint is of a different network: parameter 'conv.weight' is [4, 1, 3, "
      "3] Float in the checkpoint, [8, 1, 3, 3] Float in the model");
  Tiny bigger = make_tiny(1);
  bigger->register_parameter("extra", torch::zeros({2}));
  torch::optim::Adam bigger_adam(bigger->parameters());
  expect_error<std::runtime_error>([&] { dl::load_checkpoint(good, *bigger, bigger_adam); },
                                   "the checkpoint is of a different network: it has no parameter "
                                   "'extra' [2] Float (it holds 4 parameters, the model 5)");
  // Another optimizer.
  torch::optim::SGD sgd(target->parameters(), torch::optim::SGDOptions(0.1));
  expect_error<std::runtime_error>([&] { dl::load_checkpoint(good, *target, sgd); },
                                   "good.ckpt: the checkpoint holds the state of a 'adam' "
                                   "optimizer, this run uses 'sgd'");
  // Nothing was changed by the failed loads.
  EXPECT_TRUE(same_tensors(*target, *untouched));
  EXPECT_TRUE(target_adam.state().empty());
}

TEST(Checkpoint, WriteErrorNamesTheFile) {
  TempDir dir;
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  expect_error<std::runtime_error>(
      [&] { dl::save_checkpoint(dir.file("no/such/dir/x.ckpt"), *model, adam, {}); },
      "no/such/dir/x.ckpt: cannot write");
}

// ~~~ The trainer: exact resume ~~~

namespace {

struct TrainedRun {
  Tiny model;
  std::unique_ptr<torch::optim::Adam> adam;
  dl::TrainResult result;
};

TrainedRun train(const Regression& data, std::uint64_t init_seed, dl::TrainerOptions options) {
  TrainedRun r{make_tiny(init_seed), nullptr, {}};
  r.adam =
      std::make_unique<torch::optim::Adam>(r.model->parameters(), torch::optim::AdamOptions(1e-2));
  r.result = dl::fit(*r.model, *r.adam, data.task(r.model), options.print_progress(false));
  return r;
}

}  // namespace

TEST(Trainer, ResumeIsBitForBit) {
  TempDir dir;
  const Regression data(23, 5);  // batch 4: five batches of 4 and one of 3 per epoch
  const auto options = dl::TrainerOptions().batch_size(4).seed(11);

  TrainedRun whole = train(
      data, 1,
      dl::TrainerOptions(options).epochs(5).checkpoint(dir.file("a.ckpt")).log(dir.file("a.csv")));
  EXPECT_EQ(whole.result.epochs, 5);
  EXPECT_EQ(whole.result.steps, 30);
  EXPECT_LT(whole.result.train_loss, whole.result.log.at(0, "train_loss"));

  TrainedRun first = train(
      data, 1,
      dl::TrainerOptions(options).epochs(2).checkpoint(dir.file("b.ckpt")).log(dir.file("b.csv")));
  EXPECT_EQ(dl::read_checkpoint_state(dir.file("b.ckpt")).epoch, 2);
  // A fresh process would build the model from scratch: use other initial weights to be sure
  // everything comes from the checkpoint.
  TrainedRun rest = train(data, 9,
                          dl::TrainerOptions(options)
                              .epochs(5)
                              .checkpoint(dir.file("b.ckpt"))
                              .log(dir.file("b.csv"))
                              .resume(true));
  EXPECT_EQ(rest.result.first_epoch, 2);
  EXPECT_EQ(rest.result.epochs, 5);
  EXPECT_EQ(rest.result.steps, 30);
  EXPECT_TRUE(same_tensors(*whole.model, *rest.model));
  EXPECT_EQ(rest.result.train_loss, whole.result.train_loss);
  EXPECT_EQ(rest.result.validation_loss, whole.result.validation_loss);
  EXPECT_EQ(rest.result.state.best_metric, whole.result.state.best_metric);

  // The logs agree on everything but the timings.
  const auto a = dl::MetricsLog::from_csv(slurp(dir.file("a.csv")));
  const auto b = dl::MetricsLog::from_csv(slurp(dir.file("b.csv")));
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), 5u);
  for (std::size_t r = 0; r < 5; ++r)
    for (const char* c : {"epoch", "step", "train_loss", "validation_loss"})
      EXPECT_EQ(a.at(r, c), b.at(r, c)) << "row " << r << " " << c;
  EXPECT_GT(b.at(4, "wall_seconds"), b.at(1, "wall_seconds"));

  // Resuming a finished run trains nothing and keeps the result.
  TrainedRun again = train(
      data, 9, dl::TrainerOptions(options).epochs(5).checkpoint(dir.file("b.ckpt")).resume(true));
  EXPECT_EQ(again.result.first_epoch, 5);
  EXPECT_TRUE(same_tensors(*whole.model, *again.model));
  EXPECT_EQ(again.result.train_loss, whole.result.train_loss);
}

TEST(Trainer, RefusesWhatItCannotResume) {
  TempDir dir;
  const Regression data(12, 0);
  const auto options =
      dl::TrainerOptions().batch_size(4).seed(3).checkpoint(dir.file("c.ckpt")).epochs(2);
  train(data, 1, options);
  expect_error<dl::CollectiveError>(
      [&] { train(data, 1, dl::TrainerOptions(options).seed(4).resume(true)); },
      "c.ckpt: the checkpoint was made with seed 3, this run has seed 4");
  expect_error<dl::CollectiveError>(
      [&] { train(data, 1, dl::TrainerOptions(options).epochs(1).resume(true)); },
      "c.ckpt: the checkpoint holds 2 epochs, more than the 1 asked for");
  expect_error<dl::CollectiveError>(
      [&] {
        train(data, 1, dl::TrainerOptions(options).checkpoint(dir.file("none.ckpt")).resume(true));
      },
      "none.ckpt: cannot open checkpoint");
  // The caller's own check.
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  auto task = data.task(model);
  task.check_resume = [](const dl::CheckpointState&) {
    throw std::runtime_error("other settings");
  };
  expect_error<dl::CollectiveError>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions(options).resume(true)); },
      "other settings");
}

TEST(Trainer, BadOptions) {
  const Regression data(6, 0);
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  const auto task = data.task(model);
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions().batch_size(7)); },
      "the batch size 7 is larger than the 6 training samples");
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions().batch_size(0)); },
      "the batch size must be >= 1, got 0");
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions().epochs(-1)); },
      "epochs must be >= 0, got -1");
  expect_error<std::invalid_argument>(
      [&] { dl::fit(*model, adam, task, dl::TrainerOptions().batch_size(2).resume(true)); },
      "resume needs a checkpoint file");
}

TEST(Trainer, StopsOnANonFiniteLossBeforeTheStep) {
  TempDir dir;
  const Regression data(8, 0);
  Tiny model = make_tiny(1);
  torch::optim::Adam adam(model->parameters());
  auto task = data.task(model);
  int calls = 0;
  const auto finite = task.loss_sum;
  task.loss_sum = [&](const torch::Tensor& idx) {
    auto loss = finite(idx);
    return ++calls == 5 ? loss * std::numeric_limits<double>::quiet_NaN() : loss;
  };
  torch::Tensor before;
  const auto options = dl::TrainerOptions()
                           .batch_size(4)
                           .epochs(5)
                           .checkpoint(dir.file("d.ckpt"))
                           .print_progress(false);
  expect_error<dl::TrainingDiverged>(
      [&] {
        dl::fit(*model, adam, task, options, dl::DataParallel(), [&](const dl::EpochResult& e) {
          if (e.epoch == 2) before = model->conv->weight.clone();
        });
      },
      "the training loss is nan at epoch 3, batch 1 (step 5): training stopped before that step; " +
          dir.file("d.ckpt") + " holds epoch 2");
  EXPECT_TRUE(torch::equal(model->conv->weight, before));  // the NaN step was not taken
  EXPECT_EQ(dl::read_checkpoint_state(dir.file("d.ckpt")).epoch, 2);
}

// Optimizers that evaluate the batch twice per step (SAM/ASAM) or need the loss value (normalized
// GD) get a closure from fit(): one fit() step is one step(closure) by hand on the same batch, and
// the recorded loss is the first evaluation's, at the parameters before the step.
TEST(Trainer, DrivesClosureOptimizers) {
  const Regression data(8, 0);
  const torch::Tensor all = torch::arange(8, torch::kInt64);
  for (const std::string name : {"sam-sgd", "asam-adam", "normalized-gd", "adam"}) {
    SCOPED_TRACE(name);
    Tiny fitted = make_tiny(1), by_hand = make_tiny(1);
    auto fit_optimizer = dl::make_optimizer(name, fitted->parameters(), {{"lr", "0.05"}});
    auto hand_optimizer = dl::make_optimizer(name, by_hand->parameters(), {{"lr", "0.05"}});
    auto task = data.task(fitted);
    int evaluations = 0;
    const auto loss_sum = task.loss_sum;
    task.loss_sum = [&](const torch::Tensor& idx) {
      ++evaluations;
      return loss_sum(idx);
    };
    const auto hand_task = data.task(by_hand);
    const double before = hand_task.loss_sum(all).item<double>() / 8.0;

    const auto result =
        dl::fit(*fitted, *fit_optimizer, task,
                dl::TrainerOptions().batch_size(8).epochs(1).shuffle(false).print_progress(false));
    hand_optimizer->step([&] {
      hand_optimizer->zero_grad();
      torch::Tensor loss = hand_task.loss_sum(all) * 0.125;
      loss.backward();
      return loss;
    });

    EXPECT_EQ(result.steps, 1);
    EXPECT_EQ(evaluations, dl::optimizer_needs_closure(name) && name != "normalized-gd" ? 2 : 1);
    EXPECT_EQ(result.train_loss, before);
    EXPECT_TRUE(same_tensors(*fitted, *by_hand));
    EXPECT_FALSE(same_tensors(*fitted, *make_tiny(1)));  // it did step
  }
}

TEST(Trainer, StopsOnANonFiniteLossInsideATwoEvaluationStep) {
  const Regression data(8, 0);
  Tiny model = make_tiny(1);
  auto sam = dl::make_optimizer("sam-sgd", model->parameters(), {{"lr", "0.05"}});
  auto task = data.task(model);
  int calls = 0;
  const auto finite = task.loss_sum;
  task.loss_sum = [&](const torch::Tensor& idx) {
    auto loss = finite(idx);
    return ++calls == 2 ? loss * std::numeric_limits<double>::infinity() : loss;
  };
  expect_error<dl::TrainingDiverged>(
      [&] {
        dl::fit(*model, *sam, task,
                dl::TrainerOptions().batch_size(8).epochs(1).print_progress(false));
      },
      "the training loss is inf at epoch 1, batch 1 (step 1) in the optimizer's evaluation 2 of "
      "that step: training stopped inside it");
}
