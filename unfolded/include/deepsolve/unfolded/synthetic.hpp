// Seeded sparse-recovery data, generated on the fly (nothing is downloaded or stored): the
// standard setup of the unfolding literature (LISTA-CPSS, Chen et al. NeurIPS 2018; TISTA, Ito et
// al. 2019): a Gaussian A with unit-norm columns, Bernoulli-Gaussian signals and white noise at a
// given SNR, y = A x + w.
//
// Every sample is a function of (seed, stream, index) only, through learned::SplitMix64, so a
// batch is the same whatever the batch size, rank count or resume point:
//   x_i: entry j is nonzero with probability `sparsity`, its value N(0, 1);
//   w_i: N(0, sigma_i^2) per entry with sigma_i = ||A x_i|| / sqrt(m) * 10^(-snr_db / 20) (the
//        signal-to-noise ratio ||A x_i||^2 / E||w_i||^2 is snr_db for every sample; snr_db = inf
//        gives noiseless data);
//   A:  one fixed matrix (gaussian_matrix(m, n, seed, 0), or the user's), or with `redraw_matrix`
//       a new one per batch, gaussian_matrix(m, n, seed, key) with the key a hash of (stream, the
//       batch's first index), shared by its samples (so with redraw_matrix y depends on the
//       batch; x never does).
// Streams separate the training, validation and test sets. A x is summed in a fixed order, not
// by BLAS: a sample is the same bit for bit in any batch.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <torch/types.h>

namespace deepsolve::unfolded {

struct SyntheticSetup {
  std::int64_t measurements = 250;  ///< m
  std::int64_t signal_size = 500;   ///< n
  double sparsity = 0.1;            ///< probability that an entry of x is nonzero, in (0, 1]
  double snr_db = 40.0;             ///< +inf: noiseless
  std::uint64_t seed = 0;
  bool redraw_matrix = false;  ///< a new A per batch (true) or one fixed A (false)

  /// Throws std::invalid_argument naming the field: sizes < 1, sparsity outside (0, 1], a NaN SNR.
  void validate() const;
};

/// The streams of a data set.
enum class DataStream : std::uint64_t { train = 0, validation = 1, test = 2 };

/// A Gaussian m x n matrix with unit-norm columns (N(0, 1/m) entries, then each column scaled to
/// norm 1), float64, a function of (seed, key) only.
torch::Tensor gaussian_matrix(std::int64_t m, std::int64_t n, std::uint64_t seed,
                              std::uint64_t key = 0);

struct SparseBatch {
  torch::Tensor A;  ///< [m, n], shared by the batch
  torch::Tensor x;  ///< [B, n], the true signals
  torch::Tensor y;  ///< [B, m], the measurements
};

class SyntheticData {
 public:
  /// `matrix`: the user's A ([m, n], finite), or undefined to generate one from the seed (unless
  /// redraw_matrix). Throws std::invalid_argument for a bad setup, or a matrix of another shape,
  /// with non-finite entries, or given together with redraw_matrix.
  explicit SyntheticData(SyntheticSetup setup, torch::Tensor matrix = {});

  const SyntheticSetup& setup() const { return setup_; }
  /// The fixed A (float64, CPU); undefined with redraw_matrix.
  const torch::Tensor& matrix() const { return matrix_; }

  /// Samples `indices` (a 1-D int64 tensor, nonnegative, not empty; repeats allowed) of
  /// `stream`, as float64 CPU tensors; A is a copy. Throws std::invalid_argument on bad indices.
  SparseBatch batch(const torch::Tensor& indices, DataStream stream) const;
  /// Samples [begin, end) of `stream`.
  SparseBatch range(std::int64_t begin, std::int64_t end, DataStream stream) const;

 private:
  SyntheticSetup setup_;
  torch::Tensor matrix_;
};

}  // namespace deepsolve::unfolded
