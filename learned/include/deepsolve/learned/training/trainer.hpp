// The epoch loop shared by deepsolve's trainers (train_dcdm; later the unfolded networks and the
// diffusion models): minibatch training over a fixed set of samples with the pieces of this
// module, so that every trainer gets exact resume, data parallelism, progress lines and a metrics
// log without writing them again.
//
// For epoch e = first+1 .. epochs:
//   0. with a learning-rate schedule (lr_schedule.hpp), every param group's learning rate is set
//      to scheduled_lr(schedule, its base rate, e, epochs) (OptimizerOptions::set_lr); the base
//      rates are the groups' rates when fit() is called, and are put back when it returns;
//   1. the training samples are put in the order seeded_permutation(train_size, seed, e) (or kept
//      in order without shuffling); every rank computes the same order;
//   2. each batch of batch_size consecutive samples of that order (the last one may be smaller)
//      is split between the ranks (shard_of); each rank computes the SUM of its samples' losses
//      with task.loss_sum, scales it by ranks / batch, and backpropagates; the gradients are
//      averaged over the ranks (DataParallel::average_gradients), which makes them the gradient
//      of the batch mean. This evaluation is the closure given to optimizer.step(closure), which
//      calls it once (LibTorch's optimizers) or more (SAM: twice); the batch loss recorded is the
//      first evaluation's. A non-finite batch loss stops the training with TrainingDiverged
//      before the step, so the parameters and the last checkpoint stay finite;
//   3. the validation loss (mean over the validation samples, split between the ranks) is
//      computed with the model in eval mode;
//   4. early stopping: the epoch improves when its validation loss is below the reference minus
//      min_delta; the reference is the validation loss of the last epoch that improved (the
//      first epoch always improves). With patience n > 0, training stops after n epochs in a row
//      without improvement (TrainResult::stopped_early);
//   5. rank 0 writes the checkpoint (every checkpoint_every epochs, after the last one and when
//      stopping early) and the metrics log, and prints the progress line (progress.hpp).
//
// The metrics log has the columns epoch, step, train_loss (the mean of the batch losses over the
// epoch, weighted by batch size), validation_loss (NaN without a validation set), lr (the first
// param group's learning rate in the epoch; NaN if its options lack get_lr), samples_per_second,
// epoch_seconds and wall_seconds (training time so far, all runs together).
//
// Resume (options.resume): every rank loads the checkpoint (load_checkpoint) into the model and
// the optimizer after task.check_resume has accepted its state (the trainer itself checks the
// seed, the caller its own settings through the metadata). Training then continues at the
// checkpoint's epoch + 1 with nothing lost: on one rank the result is bit for bit that of an
// uninterrupted run (the learning rate is a function of the epoch; the early-stopping counter is
// in the checkpoint, so a run that stopped early stays stopped). Without resume, rank 0's initial
// parameters are broadcast to every rank.
//
// Errors that one rank meets (a checkpoint it cannot read or write, a refused checkpoint) are
// agreed on (DataParallel::agree) and thrown on every rank as CollectiveError, so no rank waits
// forever. An exception from task.loss_sum on some ranks only is not caught: the program should
// abort the job then (train_dcdm calls MPI_Abort).
#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "deepsolve/learned/training/checkpoint.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/learned/training/metrics_log.hpp"
#include "deepsolve/learned/training/progress.hpp"

namespace deepsolve::learned {

struct TrainerOptions {
  /// Total number of epochs (a resumed run trains from the checkpoint's epoch to this one).
  TORCH_ARG(std::int64_t, epochs) = 1;
  /// Samples per optimizer step, over all ranks together.
  TORCH_ARG(std::int64_t, batch_size) = 10;
  /// Seeds the epoch orders (shuffle.hpp).
  TORCH_ARG(std::uint64_t, seed) = 0;
  /// False: every epoch takes the samples in order.
  TORCH_ARG(bool, shuffle) = true;
  /// Checkpoint file, written by rank 0 atomically; "" for none.
  TORCH_ARG(std::string, checkpoint) = "";
  /// Write the checkpoint every this many epochs (and always after the last one).
  TORCH_ARG(std::int64_t, checkpoint_every) = 1;
  /// Continue from `checkpoint`.
  TORCH_ARG(bool, resume) = false;
  /// Metrics log (JSON when the name ends in .json, CSV otherwise), rewritten atomically by rank 0
  /// after every epoch; "" for none.
  TORCH_ARG(std::string, log) = "";
  /// Stored in every checkpoint (the caller's settings, JSON by convention).
  TORCH_ARG(std::string, metadata) = "";
  /// Print the progress line of every epoch on rank 0's stdout.
  TORCH_ARG(bool, print_progress) = true;
  /// The learning rate per epoch (lr_schedule.hpp); the default leaves the optimizer's alone.
  TORCH_ARG(LrSchedule, lr_schedule) = {};
  /// Early stopping: stop after this many epochs without improvement; 0: never. Needs a
  /// validation set.
  TORCH_ARG(std::int64_t, patience) = 0;
  /// How much the validation loss must fall below the reference to count as an improvement.
  TORCH_ARG(double, min_delta) = 0.0;
};

/// What the trainer needs to know about the data and the loss.
struct TrainTask {
  std::int64_t train_size = 0;
  std::int64_t validation_size = 0;
  /// The sum over the training samples `indices` (a 1-D int64 CPU tensor, values in
  /// [0, train_size), never empty) of the per-sample loss: a scalar tensor to backpropagate.
  std::function<at::Tensor(const at::Tensor& indices)> loss_sum;
  /// The sum of the per-sample loss over validation samples [begin, end) (0 <= begin < end <=
  /// validation_size); called in no-grad mode. May be empty when validation_size is 0.
  std::function<double(std::int64_t begin, std::int64_t end)> validation_loss_sum;
  /// On resume, called with the checkpoint's state before anything is loaded: throw
  /// (std::runtime_error) to refuse a checkpoint made with other settings.
  std::function<void(const CheckpointState& state)> check_resume;
  /// Optional: called on every rank before each optimizer step with the epoch and the number of
  /// steps taken before it (the step's 0-based index over the whole training, resumes included).
  /// A task that draws fresh randomness per step (diffusion: noise levels and noise) seeds it from
  /// these, so that a resumed run draws exactly what the uninterrupted one did.
  std::function<void(std::int64_t epoch, std::int64_t step)> begin_step;
  /// Optional: called on every rank after each optimizer step with the number of steps taken
  /// (e.g. to update an exponential moving average of the weights; keep such state in buffers of
  /// the model, so that the checkpoint holds it and resume stays exact).
  std::function<void(std::int64_t steps)> end_step;
};

struct EpochResult {
  std::int64_t epoch = 0;
  std::int64_t step = 0;
  double train_loss = 0.0;
  double validation_loss = 0.0;  ///< NaN without a validation set
  double lr = 0.0;               ///< the first param group's learning rate (NaN if unknown)
  std::int64_t epochs_without_improvement = 0;
  EpochProgress progress;
};

struct TrainResult {
  std::int64_t first_epoch = 0;    ///< epochs done before this run (the checkpoint's, or 0)
  std::int64_t epochs = 0;         ///< epochs done in total
  std::int64_t steps = 0;          ///< optimizer steps in total
  double train_loss = 0.0;         ///< of the last epoch (NaN when this run trained none)
  double validation_loss = 0.0;    ///< of the last epoch (NaN without validation or epochs)
  double run_seconds = 0.0;        ///< this run's training time
  bool stopped_early = false;      ///< early stopping ended the training before `epochs` ...
  std::int64_t stopped_epoch = 0;  ///< ... after this epoch (0 when it did not)
  CheckpointState state;           ///< the final counters (wall_seconds: all runs together)
  MetricsLog log;                  ///< every epoch so far
};

/// A batch whose loss is not finite: the training stopped before applying it. Every rank sees
/// the same averaged loss, so every rank throws it.
class TrainingDiverged : public CollectiveError {
 public:
  using CollectiveError::CollectiveError;
};

/// Trains `model` with `optimizer` as described above. Every rank of `parallel` calls it.
/// `on_epoch` (optional) is called on every rank after each epoch. Throws std::invalid_argument
/// for bad options (epochs < 0, batch_size < 1 or larger than train_size, resume without a
/// checkpoint file, patience < 0 or without a validation set, min_delta < 0, a schedule with an
/// optimizer whose options lack get_lr/set_lr), std::runtime_error for checkpoint and log
/// problems, TrainingDiverged.
TrainResult fit(torch::nn::Module& model, torch::optim::Optimizer& optimizer, const TrainTask& task,
                const TrainerOptions& options, const DataParallel& parallel = DataParallel(),
                const std::function<void(const EpochResult&)>& on_epoch = {});

/// The columns of the metrics log.
std::vector<std::string> trainer_log_columns();

}  // namespace deepsolve::learned
