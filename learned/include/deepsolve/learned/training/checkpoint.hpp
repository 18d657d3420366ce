// Training checkpoints: everything needed to continue a training run exactly where it stopped.
//
// A checkpoint holds
//   * the model's parameters and buffers, by name (loading matches them by name, so the order in
//     which a module registers them does not matter), with their shapes and dtypes;
//   * the optimizer's state (LibTorch's own serialisation, e.g. Adam's step count and moment
//     estimates) and the optimizer's kind ("adam", "sgd", ...);
//   * the random state. Trainers here draw their randomness from a seed and a counter
//     (shuffle.hpp: the order of epoch e is a function of (seed, e)), so the seed and the counter
//     are what matter; the state of LibTorch's default CPU generator is stored as well and put
//     back by load_checkpoint, for trainers that draw with torch::randn and friends;
//   * the epoch and optimizer-step counters, the best metric so far, the training wall time so far;
//   * the early-stopping counter and the validation loss it compares against (trainer.hpp; a
//     checkpoint written before they existed loads with 0 and NaN);
//   * a free-form metadata string (JSON by convention: the settings a resumed run must match) and
//     the per-epoch metrics table (MetricsLog CSV), so a resumed run's log continues seamlessly.
//
// File format ("deepsolve-checkpoint", version 2): a checksummed archive of kind "checkpoint"
// (io/archive.hpp: header and CRC-32 checked before the payload is used) whose payload is a
// LibTorch archive (torch::serialize::OutputArchive), written to a temporary file in the same
// folder and renamed into place (atomic_file.hpp), so a run killed while saving leaves the
// previous checkpoint intact. Version 1 files (a bare LibTorch archive) are refused.
//
// Exact resume: with the same inputs, training N epochs in one go and training k epochs, stopping,
// loading the checkpoint into a freshly built model and optimizer and training to N give the same
// parameters bit for bit (on one rank, with the same number of threads; LibTorch's CPU kernels
// are deterministic for a fixed thread count). tests/learned/test_learned.cpp
// (Trainer.ResumeIsBitForBit) checks it.
//
// Every failure to load is a std::runtime_error that starts with the path: missing file,
// truncated or corrupt archive, a file that is not a checkpoint, a checkpoint of another network
// (names, shapes or dtypes of the parameters differ) or of another optimizer.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace torch {
namespace nn {
class Module;
}
namespace optim {
class Optimizer;
}
}  // namespace torch

namespace deepsolve::learned {

struct CheckpointState {
  std::int64_t epoch = 0;  ///< epochs completed
  std::int64_t step = 0;   ///< optimizer steps taken
  /// Best value of the monitored metric so far (lower is better); NaN before the first.
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  double wall_seconds = 0.0;  ///< training wall time so far, all runs together
  /// Early stopping (trainer.hpp): epochs since the validation loss last improved by more than
  /// min_delta, and the validation loss of that epoch (NaN before the first).
  std::int64_t epochs_without_improvement = 0;
  double improvement_reference = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t seed = 0;         ///< the run's seed
  std::uint64_t rng_counter = 0;  ///< how far the counter-based streams have gone (e.g. the epoch)
  std::string metadata;           ///< free-form, JSON by convention
  std::string metrics_csv;        ///< MetricsLog::to_csv() of the epochs so far
  std::string optimizer;          ///< the optimizer's kind (filled in by save/load)
};

/// Writes a checkpoint of `model`, `optimizer` and `state` to `path` atomically (tensors from any
/// device). Throws std::runtime_error naming the path when it cannot.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state);

/// Loads a checkpoint into `model` (parameters and buffers are copied into the existing tensors,
/// keeping their device) and `optimizer` (its state is replaced; its options, e.g. the learning
/// rate, are kept), restores LibTorch's default CPU generator, and returns the counters and
/// strings. Throws std::runtime_error naming the path for every problem listed above; the model
/// is checked completely before anything is changed.
CheckpointState load_checkpoint(const std::string& path, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer);

/// Reads only the counters and strings (to check a checkpoint's settings before building a model
/// for it). Same errors as load_checkpoint for the file itself.
CheckpointState read_checkpoint_state(const std::string& path);

/// "adam", "adamw", "sgd", "rmsprop", "adagrad", "lbfgs", or the C++ type name of another
/// optimizer.
std::string optimizer_kind(const torch::optim::Optimizer& optimizer);

}  // namespace deepsolve::learned
