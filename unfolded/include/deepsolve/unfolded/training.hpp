// Training deepsolve's unfolded networks (network.hpp) on seeded synthetic data (synthetic.hpp)
// through the shared trainer learned::fit (learned/training/trainer.hpp), which brings
// checkpoints, exact resume, MPI data parallelism, progress lines, the metrics log and early
// stopping.
//
// Two losses (Nagahisa, Hayakawa & Iiguni 2025, "supervised vs. unsupervised deep unfolding"):
//   supervised:    ||x_T - x||^2 per sample, against the true signal x;
//   unsupervised:  the problem's objective 1/2 ||y - A x_T||^2 + lambda R(x_T) per sample
//                  (penalty.hpp), which needs no ground truth.
// The trainer averages the per-sample losses over each batch.
//
// Incremental (layer-by-layer) training, as in TISTA (Ito, Takabe & Wadayama 2019) and
// LISTA-CPSS (Chen et al. 2018): stage t = 1 .. T lasts epochs_per_layer epochs and trains with
// the loss at x_t (the network run up to layer t only); epochs after stage T train at x_T. The
// stage is a function of the epoch alone, so a resumed run is in the same stage as the run it
// continues.
//
// Data: every epoch trains on train_size samples of the training stream. With fresh_samples
// (the literature's on-the-fly generation) epoch e takes samples (e-1)*train_size ..
// e*train_size - 1, so no sample is seen twice; otherwise every epoch takes the same 0 ..
// train_size-1. Either way the samples are functions of (data seed, index), so resume stays
// exact. Validation uses samples 0 .. validation_size-1 of the validation stream.
#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/synthetic.hpp"

namespace deepsolve::unfolded {

enum class TrainingLoss { supervised, unsupervised };

/// "supervised" or "unsupervised".
std::string training_loss_name(TrainingLoss loss);
/// Parses "supervised" / "unsupervised"; throws std::invalid_argument naming `what` otherwise.
TrainingLoss parse_training_loss(const std::string& name, const std::string& what = "loss");

struct UnfoldedTrainingOptions {
  // (validate() comes first: TORCH_ARG leaves the struct's access private after it.)
  /// Throws std::invalid_argument naming the option: sizes or epochs < 1 (validation_size,
  /// epochs < 0), batch_size larger than train_size, a learning rate that is not positive and
  /// finite, epochs_per_layer < 1, checkpoint_every < 1, resume without a checkpoint, patience
  /// < 0, patience without validation samples or with incremental training.
  void validate() const;

  TORCH_ARG(TrainingLoss, loss) = TrainingLoss::supervised;
  /// Training samples per epoch.
  TORCH_ARG(std::int64_t, train_size) = 1000;
  /// New training samples every epoch (true) or the same train_size samples every epoch.
  TORCH_ARG(bool, fresh_samples) = true;
  /// Validation samples (0: none).
  TORCH_ARG(std::int64_t, validation_size) = 200;
  /// Total number of epochs (a resumed run continues up to this one).
  TORCH_ARG(std::int64_t, epochs) = 10;
  TORCH_ARG(std::int64_t, batch_size) = 64;
  /// Adam's learning rate.
  TORCH_ARG(double, learning_rate) = 1e-3;
  /// The learning rate per epoch (learned/training/lr_schedule.hpp); constant by default.
  TORCH_ARG(learned::LrSchedule, lr_schedule) = {};
  /// Layer-by-layer training (see above), epochs_per_layer epochs per stage.
  TORCH_ARG(bool, incremental) = false;
  TORCH_ARG(std::int64_t, epochs_per_layer) = 1;
  /// Seeds the order of the samples in each epoch (the data has its own seed).
  TORCH_ARG(std::uint64_t, seed) = 0;
  /// "cpu", "cuda", "cuda:N" or "auto" (learned/device.hpp).
  TORCH_ARG(std::string, device) = "cpu";
  /// Checkpoint file ("" for none), written every checkpoint_every epochs and after the last.
  TORCH_ARG(std::string, checkpoint) = "";
  TORCH_ARG(std::int64_t, checkpoint_every) = 1;
  /// Continue from `checkpoint`; refused when it was made with other settings.
  TORCH_ARG(bool, resume) = false;
  /// Metrics log ("" for none; JSON when the name ends in .json, CSV otherwise).
  TORCH_ARG(std::string, log) = "";
  TORCH_ARG(bool, print_progress) = true;
  /// Early stopping after this many epochs without a better validation loss; 0: never. Not
  /// with incremental training (each stage's validation loss is at its own layer).
  TORCH_ARG(std::int64_t, patience) = 0;
  /// Set the network's initial parameters from A (UnfoldedModule::initialise) before a new
  /// training; false keeps the network's own (fine-tuning a trained network).
  TORCH_ARG(bool, initialise) = true;
};

/// The layer whose output the loss of `epoch` (1-based) uses in incremental training:
/// min(layers, ceil(epoch / epochs_per_layer)).
std::int64_t incremental_stage(std::int64_t epoch, std::int64_t epochs_per_layer,
                               std::int64_t layers);

/// Trains `net` on `data` as `options` say; every rank of `parallel` calls it. Before a new
/// training (not a resume) the network is initialised from the data's fixed A, or with
/// redraw_matrix from gaussian_matrix(m, n, data seed) (a matrix of the same ensemble); on resume
/// everything comes from the checkpoint. Throws std::invalid_argument for bad options, a network
/// whose sizes differ from the data's, or a fixed-matrix network with data that redraws A (or,
/// with initialise(false), holds another A); learned::CollectiveError for checkpoints made with
/// other settings (the message names the setting) and the trainer's other errors
/// (trainer.hpp). `on_epoch` is called on every rank after each epoch. The network stays on the
/// device it was trained on. With redraw_matrix on several ranks, each rank's share of a batch
/// has the A of its own first sample (SyntheticData::batch), a valid draw but not the one-rank
/// run's; with a fixed A the ranks reproduce the one-rank training up to round-off.
learned::TrainResult train_unfolded(
    UnfoldedModule& net, const SyntheticData& data, const UnfoldedTrainingOptions& options,
    const learned::DataParallel& parallel = learned::DataParallel(),
    const std::function<void(const learned::EpochResult&)>& on_epoch = {});

/// The settings a resumed training must share with the checkpoint, one "key=value" per line (the
/// checkpoint's metadata): the network (type, options, sizes, penalty, lambda), the data (sizes,
/// sparsity, SNR, seed, matrix redraw or the CRC-32 of the fixed A) and the training options that
/// change the result (all but epochs, device, checkpoint, checkpoint_every, log, print_progress
/// and initialise).
std::string training_settings(const UnfoldedModule& net, const SyntheticData& data,
                              const UnfoldedTrainingOptions& options);

/// What a network reaches at layer t = 1 .. T on a batch of problems.
struct LayerMetrics {
  std::int64_t layer = 0;
  double objective = 0.0;  ///< mean over the batch of 1/2 ||y - A x_t||^2 + lambda R(x_t)
  double nmse_db = 0.0;    ///< penalty.hpp's nmse_db(x_t, x)
};

/// Runs `net` on `batch` (any dtype and device) in float32 on the network's device, without
/// gradients and in eval mode, and measures every layer's output in float64 against the batch's
/// A, y and x. A fixed-matrix network needs the batch's A to be its own (in float32); throws
/// std::invalid_argument otherwise, or for a batch of other sizes.
std::vector<LayerMetrics> evaluate_layers(UnfoldedModule& net, const SparseBatch& batch);

}  // namespace deepsolve::unfolded
