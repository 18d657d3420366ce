// Data-parallel training over an MPI communicator: every rank holds the whole model, takes its
// part of each batch, and the gradients are averaged before the optimizer step, so every rank
// takes the same step (that of the whole batch, up to the order of the floating-point sums).
//
//   * broadcast_parameters: rank 0's initial parameters and buffers to every rank;
//   * average_gradients: MPI_Allreduce(SUM) of every parameter's gradient (all of them in one
//     buffer, summed in float64), divided by the number of ranks; a scalar (the loss) rides along
//     in the same reduction and is averaged the same way;
//   * sum/average of scalars, broadcast of a tensor, agree() on errors, barrier().
//
// Averaging by the number of ranks is the mean of the ranks' gradients. For the mean over the
// samples of a batch that the ranks split unevenly, each rank scales its summed loss by
// ranks / batch_size before the backward pass (Trainer does): the average is then exactly the
// gradient of the batch mean.
//
// Without MPI in the build (DEEPSOLVE_LEARNED_WITH_MPI 0), or when MPI is not initialised, or on
// one rank, every call is a no-op (rank 0 of 1) and nothing is copied: one-rank results are bit
// for bit those of a program that never heard of MPI. The default constructor uses
// MPI_COMM_WORLD; the program initialises and finalises MPI itself.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

#include "deepsolve/learned/config.hpp"
#include "deepsolve/learned/training/shuffle.hpp"

#if DEEPSOLVE_LEARNED_WITH_MPI
#include <mpi.h>
#endif

namespace at {
class Tensor;
}
namespace torch {
namespace nn {
class Module;
}
}  // namespace torch

namespace deepsolve::learned {

/// An error that every rank of a DataParallel knows about (thrown on all of them at the same
/// point), so a program may report it once and exit normally instead of aborting the job.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DataParallel {
 public:
  /// MPI_COMM_WORLD when MPI is built in and initialised (and not finalised); one rank otherwise.
  DataParallel();
#if DEEPSOLVE_LEARNED_WITH_MPI
  /// Uses `comm` (not duplicated; it must outlive this object and be used in the same order of
  /// collective calls on every rank).
  explicit DataParallel(MPI_Comm comm);
  /// MPI_COMM_NULL when running without MPI.
  MPI_Comm comm() const {
    return comm_;
  }
#endif

  int rank() const {
    return rank_;
  }
  int size() const {
    return size_;
  }
  bool is_root() const {
    return rank_ == 0;
  }
  /// True when there is more than one rank (the calls below communicate).
  bool active() const {
    return size_ > 1;
  }

  /// Copies rank `root`'s parameters and buffers into every rank's model (any device).
  void broadcast_parameters(torch::nn::Module& model, int root = 0) const;

  /// Replaces every parameter's gradient by its average over the ranks (a missing gradient counts
  /// as zero and becomes a zero tensor), and returns the average of `local_value` over the ranks.
  /// On one rank: returns local_value and touches nothing.
  double average_gradients(torch::nn::Module& model, double local_value = 0.0) const;

  double sum(double value) const;
  double average(double value) const {
    return sum(value) / size_;
  }
  /// Logical or over the ranks.
  bool any(bool value) const;

  /// Copies rank `root`'s tensor into every rank's `tensor`, which must already have the same
  /// shape, dtype and device everywhere (a CPU or CUDA tensor; staged through the CPU).
  void broadcast(at::Tensor& tensor, int root = 0) const;
  /// Rank root's string on every rank.
  std::string broadcast(const std::string& text, int root = 0) const;

  /// Every rank calls this at the same point with its own error message (empty: no error).
  /// Returns the message of the lowest rank that has one, on every rank; "" when none has.
  std::string agree(const std::string& local_error) const;
  /// agree(), then throws CollectiveError with that message on every rank if there is one.
  void raise_if_any(const std::string& local_error) const;

  /// This rank's contiguous part of `count` items (shard_of(count, rank(), size())).
  Shard shard(std::int64_t count) const {
    return shard_of(count, rank_, size_);
  }

  void barrier() const;

 private:
  int rank_ = 0;
  int size_ = 1;
#if DEEPSOLVE_LEARNED_WITH_MPI
  MPI_Comm comm_ = MPI_COMM_NULL;
#endif
};

/// Runs f() on every rank of `dp`; if it threw on any rank, throws CollectiveError with the
/// message of the lowest such rank on every rank.
template <class F>
void collectively(const DataParallel& dp, F&& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  dp.raise_if_any(error);
}

}  // namespace deepsolve::learned
