#include "deepsolve/learned/training/trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "deepsolve/learned/training/shuffle.hpp"

namespace deepsolve::learned {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The stored log in the trainer's columns, matched by name: a column it lacks (lr, in a log from
// before it was logged) is NaN. Empty when it has a column the trainer does not know.
MetricsLog restore_log(const MetricsLog& stored) {
  MetricsLog log(trainer_log_columns());
  std::vector<int> from;  // for each column, its index in `stored` or -1
  for (const auto& c : log.columns()) {
    const auto it = std::find(stored.columns().begin(), stored.columns().end(), c);
    from.push_back(it == stored.columns().end() ? -1
                                                : static_cast<int>(it - stored.columns().begin()));
  }
  for (const auto& c : stored.columns())
    if (std::find(log.columns().begin(), log.columns().end(), c) == log.columns().end())
      return MetricsLog(trainer_log_columns());
  for (const auto& row : stored.rows()) {
    std::vector<double> out;
    for (const int i : from)
      out.push_back(i < 0 ? std::numeric_limits<double>::quiet_NaN()
                          : row[static_cast<std::size_t>(i)]);
    log.add(std::move(out));
  }
  return log;
}

// The base learning rate of every param group (NaN where the options lack get_lr), and puts them
// back when fit() returns or throws.
class BaseLearningRates {
 public:
  explicit BaseLearningRates(torch::optim::Optimizer& optimizer) : optimizer_(optimizer) {
    for (auto& group : optimizer.param_groups()) {
      try {
        rates_.push_back(group.options().get_lr());
      } catch (const c10::Error&) {
        rates_.push_back(std::numeric_limits<double>::quiet_NaN());
      }
    }
  }
  ~BaseLearningRates() {
    if (!changed_) return;
    auto& groups = optimizer_.param_groups();
    for (std::size_t i = 0; i < groups.size() && i < rates_.size(); ++i)
      groups[i].options().set_lr(rates_[i]);
  }
  BaseLearningRates(const BaseLearningRates&) = delete;
  BaseLearningRates& operator=(const BaseLearningRates&) = delete;

  bool all_known() const {
    return std::none_of(rates_.begin(), rates_.end(), [](double r) { return std::isnan(r); });
  }
  double first() const {
    return rates_.empty() ? std::numeric_limits<double>::quiet_NaN() : rates_[0];
  }
  /// Sets every group's rate for `epoch`; returns the first group's.
  double apply(const LrSchedule& schedule, std::int64_t epoch, std::int64_t epochs) {
    changed_ = true;
    auto& groups = optimizer_.param_groups();
    double first_lr = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const double lr = scheduled_lr(schedule, rates_[i], epoch, epochs);
      groups[i].options().set_lr(lr);
      if (i == 0) first_lr = lr;
    }
    return first_lr;
  }

 private:
  torch::optim::Optimizer& optimizer_;
  std::vector<double> rates_;
  bool changed_ = false;
};

}  // namespace

std::vector<std::string> trainer_log_columns() {
  return {"epoch",           "step",        "train_loss",
          "validation_loss", "lr",          "samples_per_second",
          "epoch_seconds",   "wall_seconds"};
}

TrainResult fit(torch::nn::Module& model, torch::optim::Optimizer& optimizer, const TrainTask& task,
                const TrainerOptions& options, const DataParallel& dp,
                const std::function<void(const EpochResult&)>& on_epoch) {
  const std::int64_t epochs = options.epochs(), batch = options.batch_size();
  if (epochs < 0) throw std::invalid_argument("epochs must be >= 0, got " + std::to_string(epochs));
  if (batch < 1)
    throw std::invalid_argument("the batch size must be >= 1, got " + std::to_string(batch));
  if (task.train_size < 1) throw std::invalid_argument("there are no training samples");
  if (batch > task.train_size)
    throw std::invalid_argument("the batch size " + std::to_string(batch) + " is larger than the " +
                                std::to_string(task.train_size) + " training samples");
  if (task.validation_size < 0) throw std::invalid_argument("negative validation size");
  if (!task.loss_sum) throw std::invalid_argument("TrainTask::loss_sum is not set");
  if (task.validation_size > 0 && !task.validation_loss_sum)
    throw std::invalid_argument("TrainTask::validation_loss_sum is not set");
  if (options.resume() && options.checkpoint().empty())
    throw std::invalid_argument("resume needs a checkpoint file");
  if (options.checkpoint_every() < 1) throw std::invalid_argument("checkpoint_every must be >= 1");
  if (options.patience() < 0)
    throw std::invalid_argument("patience must be >= 0, got " + std::to_string(options.patience()));
  if (options.patience() > 0 && task.validation_size == 0)
    throw std::invalid_argument("early stopping (patience " + std::to_string(options.patience()) +
                                ") needs a validation set; there is none");
  if (!(options.min_delta() >= 0.0) || !std::isfinite(options.min_delta()))
    throw std::invalid_argument("min_delta must be >= 0 and finite, got " +
                                std::to_string(options.min_delta()));
  const LrSchedule& schedule = options.lr_schedule();
  const bool scheduled = !is_constant(schedule);
  // Read before a checkpoint is loaded (loading keeps the options, but be sure).
  BaseLearningRates base_lrs(optimizer);
  if (scheduled && !base_lrs.all_known())
    throw std::invalid_argument("the learning-rate schedule " + to_string(schedule) +
                                " needs an optimizer whose options implement get_lr/set_lr");

  TrainResult result;
  CheckpointState& state = result.state;
  MetricsLog& log = result.log;
  log = MetricsLog(trainer_log_columns());
  if (options.resume()) {
    collectively(dp, [&] {
      CheckpointState peek = read_checkpoint_state(options.checkpoint());
      if (peek.seed != options.seed())
        throw std::runtime_error(options.checkpoint() + ": the checkpoint was made with seed " +
                                 std::to_string(peek.seed) + ", this run has seed " +
                                 std::to_string(options.seed()));
      if (peek.epoch > epochs)
        throw std::runtime_error(options.checkpoint() + ": the checkpoint holds " +
                                 std::to_string(peek.epoch) + " epochs, more than the " +
                                 std::to_string(epochs) + " asked for");
      if (task.check_resume) task.check_resume(peek);
      state = load_checkpoint(options.checkpoint(), model, optimizer);
      log = restore_log(MetricsLog::from_csv(state.metrics_csv));
      log.truncate(static_cast<std::size_t>(state.epoch));
    });
  } else {
    dp.broadcast_parameters(model);
    state.seed = options.seed();
  }
  state.metadata = options.metadata();
  result.first_epoch = state.epoch;
  result.train_loss = std::numeric_limits<double>::quiet_NaN();
  result.validation_loss = std::numeric_limits<double>::quiet_NaN();
  if (log.size() > 0) {
    result.train_loss = log.rows().back()[2];
    result.validation_loss = log.rows().back()[3];
  }

  const auto stop_now = [&] {
    return options.patience() > 0 && state.epochs_without_improvement >= options.patience();
  };
  if (stop_now() && state.epoch < epochs) {  // a resumed run that had stopped early
    result.stopped_early = true;
    result.stopped_epoch = state.epoch;
  }

  const double run_start = now_seconds();
  const double wall_before = state.wall_seconds;
  ProgressMeter meter(state.epoch, epochs);

  for (std::int64_t epoch = state.epoch + 1; epoch <= epochs && !result.stopped_early; ++epoch) {
    const double epoch_start = now_seconds();
    const double lr = scheduled ? base_lrs.apply(schedule, epoch, epochs) : base_lrs.first();
    model.train();
    std::vector<std::int64_t> order;
    if (options.shuffle()) {
      order =
          seeded_permutation(task.train_size, options.seed(), static_cast<std::uint64_t>(epoch));
    } else {
      order.resize(static_cast<std::size_t>(task.train_size));
      for (std::int64_t i = 0; i < task.train_size; ++i) order[static_cast<std::size_t>(i)] = i;
    }
    const torch::Tensor all = torch::from_blob(order.data(), {task.train_size}, torch::kInt64);
    double loss_total = 0.0;  // sum over the epoch's samples of the per-sample loss
    for (std::int64_t first = 0, b = 0; first < task.train_size; first += batch, ++b) {
      const std::int64_t count = std::min(batch, task.train_size - first);
      const Shard mine = dp.shard(count);
      const double scale = static_cast<double>(dp.size()) / static_cast<double>(count);
      // The optimizer evaluates the batch through the closure: once for most, twice for SAM
      // (at w and at w + e). The first evaluation, at the current parameters, is the batch loss.
      double batch_loss = 0.0;
      int evaluations = 0;
      if (task.begin_step) task.begin_step(epoch, state.step);
      const auto closure = [&]() -> torch::Tensor {
        optimizer.zero_grad();
        double local = 0.0;
        if (mine.size() > 0) {
          const torch::Tensor indices = all.narrow(0, first + mine.begin, mine.size()).clone();
          torch::Tensor loss = task.loss_sum(indices);
          local = loss.item<double>() * scale;
          (loss * scale).backward();
        }
        const double mean = dp.average_gradients(model, local);  // the batch mean
        ++evaluations;
        if (!std::isfinite(mean))
          throw TrainingDiverged(
              "the training loss is " + std::to_string(mean) + " at epoch " +
              std::to_string(epoch) + ", batch " + std::to_string(b + 1) + " (step " +
              std::to_string(state.step + 1) + ")" +
              (evaluations == 1 ? ": training stopped before that step"
                                : " in the optimizer's evaluation " + std::to_string(evaluations) +
                                      " of that step: training stopped inside it") +
              (options.checkpoint().empty()
                   ? std::string()
                   : "; " + options.checkpoint() + " holds epoch " + std::to_string(state.epoch)));
        if (evaluations == 1) batch_loss = mean;
        return torch::tensor(mean, torch::kFloat64);
      };
      optimizer.step(closure);
      if (evaluations == 0)
        throw std::logic_error("the optimizer's step() did not call the closure fit() gave it");
      ++state.step;
      if (task.end_step) task.end_step(state.step);
      loss_total += batch_loss * static_cast<double>(count);
    }
    const double train_seconds = now_seconds() - epoch_start;
    const double train_loss = loss_total / static_cast<double>(task.train_size);

    double validation_loss = std::numeric_limits<double>::quiet_NaN();
    if (task.validation_size > 0) {
      model.eval();
      torch::NoGradGuard no_grad;
      const Shard mine = dp.shard(task.validation_size);
      const double local = mine.size() > 0 ? task.validation_loss_sum(mine.begin, mine.end) : 0.0;
      validation_loss = dp.sum(local) / static_cast<double>(task.validation_size);
      model.train();
    }
    const double metric = task.validation_size > 0 ? validation_loss : train_loss;
    if (std::isnan(state.best_metric) || metric < state.best_metric) state.best_metric = metric;
    if (task.validation_size > 0) {
      if (!std::isnan(validation_loss) &&
          (std::isnan(state.improvement_reference) ||
           validation_loss < state.improvement_reference - options.min_delta())) {
        state.improvement_reference = validation_loss;
        state.epochs_without_improvement = 0;
      } else {
        ++state.epochs_without_improvement;
      }
    }
    if (stop_now() && epoch < epochs) {
      result.stopped_early = true;
      result.stopped_epoch = epoch;
    }

    state.epoch = epoch;
    state.rng_counter = static_cast<std::uint64_t>(epoch);
    const double epoch_seconds = now_seconds() - epoch_start;
    state.wall_seconds = wall_before + (now_seconds() - run_start);
    EpochResult er;
    er.epoch = epoch;
    er.step = state.step;
    er.train_loss = train_loss;
    er.validation_loss = validation_loss;
    er.lr = lr;
    er.epochs_without_improvement = state.epochs_without_improvement;
    er.progress =
        meter.epoch_done(epoch, train_loss, validation_loss, task.train_size, train_seconds);
    er.progress.lr = lr;
    log.add({static_cast<double>(epoch), static_cast<double>(state.step), train_loss,
             validation_loss, lr, er.progress.samples_per_second, epoch_seconds,
             state.wall_seconds});
    state.metrics_csv = log.to_csv();

    const bool save = !options.checkpoint().empty() && (epoch % options.checkpoint_every() == 0 ||
                                                        epoch == epochs || result.stopped_early);
    std::string error;
    if (dp.is_root()) {
      try {
        if (save) save_checkpoint(options.checkpoint(), model, optimizer, state);
        if (!options.log().empty()) log.save(options.log());
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    dp.raise_if_any(error);
    if (options.print_progress() && dp.is_root()) {
      std::printf("%s\n", format_progress(er.progress).c_str());
      std::fflush(stdout);
    }
    if (on_epoch) on_epoch(er);
    result.train_loss = train_loss;
    result.validation_loss = validation_loss;
  }
  if (result.stopped_early && options.print_progress() && dp.is_root()) {
    std::printf(
        "early stopping: the validation loss has not improved for %lld epochs; stopped "
        "after epoch %lld of %lld\n",
        static_cast<long long>(state.epochs_without_improvement),
        static_cast<long long>(result.stopped_epoch), static_cast<long long>(epochs));
    std::fflush(stdout);
  }
  result.epochs = state.epoch;
  result.steps = state.step;
  result.run_seconds = now_seconds() - run_start;
  return result;
}

}  // namespace deepsolve::learned
