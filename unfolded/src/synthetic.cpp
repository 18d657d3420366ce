// Seeded sparse-recovery data (synthetic.hpp): the Bernoulli-Gaussian signals, Gaussian matrices
// and white noise of the LISTA-CPSS / TISTA experiments, each value a hash of its key.
//
// Keys: every draw is learned::hashed_normal or learned::SplitMix64 on a key derived from
// (seed, purpose, ...) by SplitMix64 mixing, never a running generator shared between samples,
// so a sample depends on (seed, stream, index) alone. A x is summed in C++ in a fixed order
// (over the nonzeros of x, ascending) rather than by a BLAS matmul, whose rounding may depend on
// the batch size: a sample is then the same bit for bit in any batch.
#include "deepsolve/unfolded/synthetic.hpp"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "deepsolve/learned/memory.hpp"
#include "deepsolve/learned/random.hpp"

namespace deepsolve::unfolded {

// A named namespace: the library is built in unity batches, where anonymous-namespace helpers of
// different files share one translation unit.
namespace synthetic_detail {

// Purposes, so that the matrix, the samples and the per-batch matrices of one seed never share
// a key.
constexpr std::uint64_t kMatrixPurpose = 1;
constexpr std::uint64_t kSamplePurpose = 2;
constexpr std::uint64_t kBatchMatrixPurpose = 3;
// The parts of one sample.
constexpr std::uint64_t kSupportPart = 0;
constexpr std::uint64_t kValuePart = 1;
constexpr std::uint64_t kNoisePart = 2;

/// A key for (key, value): SplitMix64's stream for that counter, first output.
std::uint64_t mix(std::uint64_t key, std::uint64_t value) {
  return learned::SplitMix64(key, value).next();
}

std::string sizes_text(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

/// A double as a message shows it ("1e-09", "nan", "-inf"; std::to_string would print 0.000000).
std::string number_text(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

/// The key of one sample's draws.
std::uint64_t sample_key(std::uint64_t seed, DataStream stream, std::int64_t index) {
  return mix(mix(mix(seed, kSamplePurpose), static_cast<std::uint64_t>(stream)),
             static_cast<std::uint64_t>(index));
}

/// The key gaussian_matrix gets for the A of a batch starting at `first` (redraw_matrix).
std::uint64_t batch_matrix_key(DataStream stream, std::int64_t first) {
  return mix(mix(kBatchMatrixPurpose, static_cast<std::uint64_t>(stream)),
             static_cast<std::uint64_t>(first));
}

/// Checks `indices` for batch(): defined, 1-D, int64, not empty, nonnegative.
torch::Tensor checked_indices(const torch::Tensor& indices) {
  if (!indices.defined())
    throw std::invalid_argument("SyntheticData::batch: the indices are an undefined tensor");
  if (indices.dim() != 1 || indices.scalar_type() != torch::kInt64)
    throw std::invalid_argument(
        "SyntheticData::batch: the indices must be a 1-D int64 tensor, got " +
        std::string(c10::toString(indices.scalar_type())) + " " + sizes_text(indices));
  if (indices.numel() == 0)
    throw std::invalid_argument("SyntheticData::batch: no indices (an empty batch)");
  torch::Tensor cpu = indices.to(torch::kCPU).contiguous();
  const std::int64_t smallest = cpu.min().item<std::int64_t>();
  if (smallest < 0)
    throw std::invalid_argument("SyntheticData::batch: negative sample index " +
                                std::to_string(smallest));
  return cpu;
}

}  // namespace synthetic_detail

void SyntheticSetup::validate() const {
  if (measurements < 1)
    throw std::invalid_argument("SyntheticSetup.measurements (m) must be >= 1, got " +
                                std::to_string(measurements));
  if (signal_size < 1)
    throw std::invalid_argument("SyntheticSetup.signal_size (n) must be >= 1, got " +
                                std::to_string(signal_size));
  if (!(sparsity > 0.0 && sparsity <= 1.0))  // also NaN
    throw std::invalid_argument("SyntheticSetup.sparsity must be in (0, 1], got " +
                                synthetic_detail::number_text(sparsity));
  // -inf would make the noise infinite.
  if (std::isnan(snr_db) || snr_db == -std::numeric_limits<double>::infinity())
    throw std::invalid_argument(
        "SyntheticSetup.snr_db must be a number of dB or +inf (noiseless), got " +
        synthetic_detail::number_text(snr_db));
}

torch::Tensor gaussian_matrix(std::int64_t m, std::int64_t n, std::uint64_t seed,
                              std::uint64_t key) {
  using synthetic_detail::mix;
  if (m < 1 || n < 1)
    throw std::invalid_argument("gaussian_matrix: sizes must be >= 1, got " + std::to_string(m) +
                                " x " + std::to_string(n));
  learned::check_memory(
      "a " + std::to_string(m) + " x " + std::to_string(n) + " Gaussian matrix",
      learned::checked_product({static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(n), 8},
                               "the Gaussian matrix's size"),
      "8 bytes per entry");
  torch::Tensor A = torch::empty({m, n}, torch::kFloat64);
  double* a = A.data_ptr<double>();
  const std::uint64_t matrix_seed = mix(mix(seed, synthetic_detail::kMatrixPurpose), key);
  // Column by column (each its own key, so columns can be drawn in parallel). The entries are
  // N(0, 1) rather than N(0, 1/m): the variance cancels in the normalisation.
  at::parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      const std::uint64_t column_seed = mix(matrix_seed, static_cast<std::uint64_t>(j));
      double norm2 = 0.0;
      for (std::int64_t i = 0; i < m; ++i) {
        const double v = learned::hashed_normal(column_seed, static_cast<std::uint64_t>(i));
        a[i * n + j] = v;
        norm2 += v * v;
      }
      // All m draws exactly 0 (each has probability 2^-53): the column becomes e_1.
      if (norm2 == 0.0) {
        a[j] = 1.0;
        continue;
      }
      const double scale = 1.0 / std::sqrt(norm2);
      for (std::int64_t i = 0; i < m; ++i) a[i * n + j] *= scale;
    }
  });
  return A;
}

SyntheticData::SyntheticData(SyntheticSetup setup, torch::Tensor matrix)
    : setup_(std::move(setup)) {
  setup_.validate();
  const std::int64_t m = setup_.measurements, n = setup_.signal_size;
  const std::string wanted = "[" + std::to_string(m) + ", " + std::to_string(n) + "]";
  if (!matrix.defined()) {
    if (!setup_.redraw_matrix) matrix_ = gaussian_matrix(m, n, setup_.seed, 0);
    return;
  }
  if (setup_.redraw_matrix)
    throw std::invalid_argument(
        "SyntheticData: a user matrix and SyntheticSetup.redraw_matrix exclude each other (the "
        "matrix would never be used)");
  if (matrix.dim() != 2 || matrix.size(0) != m || matrix.size(1) != n)
    throw std::invalid_argument("SyntheticData: the matrix is " +
                                synthetic_detail::sizes_text(matrix) + ", the setup's [m, n] is " +
                                wanted);
  if (matrix.is_complex())
    throw std::invalid_argument("SyntheticData: the " + wanted + " matrix is complex; A is real");
  matrix_ = matrix.detach().to(torch::kCPU, torch::kFloat64).contiguous().clone();
  if (!torch::isfinite(matrix_).all().item<bool>())
    throw std::invalid_argument("SyntheticData: the " + wanted + " matrix has non-finite entries");
}

SparseBatch SyntheticData::batch(const torch::Tensor& indices, DataStream stream) const {
  const torch::Tensor index = synthetic_detail::checked_indices(indices);
  const std::int64_t B = index.numel();
  const std::int64_t m = setup_.measurements, n = setup_.signal_size;
  const std::int64_t* idx = index.data_ptr<std::int64_t>();

  learned::check_memory("a batch of " + std::to_string(B) + " samples (m = " + std::to_string(m) +
                            ", n = " + std::to_string(n) + ")",
                        learned::checked_product(
                            {static_cast<std::uint64_t>(B), static_cast<std::uint64_t>(m + n), 8},
                            "the batch's size"),
                        "8 bytes per entry of x and y", "draw it in smaller batches");

  SparseBatch out;
  out.A = setup_.redraw_matrix ? gaussian_matrix(m, n, setup_.seed,
                                                 synthetic_detail::batch_matrix_key(stream, idx[0]))
                               : matrix_.clone();  // a copy: the caller may change it in place
  // A^T row by row, so that y accumulates contiguous rows of it.
  const torch::Tensor At = out.A.t().contiguous();
  const double* at = At.data_ptr<double>();
  out.x = torch::zeros({B, n}, torch::kFloat64);
  out.y = torch::zeros({B, m}, torch::kFloat64);
  double* xs = out.x.data_ptr<double>();
  double* ys = out.y.data_ptr<double>();
  // sigma_i = ||A x_i|| / sqrt(m) * 10^(-snr/20); 0 for snr = +inf.
  const double noise_factor = std::pow(10.0, -setup_.snr_db / 20.0) / std::sqrt(double(m));
  const double sparsity = setup_.sparsity;
  const std::uint64_t seed = setup_.seed;

  at::parallel_for(0, B, 8, [&](std::int64_t begin, std::int64_t end) {
    std::vector<std::int64_t> support;
    for (std::int64_t b = begin; b < end; ++b) {
      using synthetic_detail::mix;
      const std::uint64_t key = synthetic_detail::sample_key(seed, stream, idx[b]);
      double* x = xs + b * n;
      double* y = ys + b * m;
      learned::SplitMix64 coin(mix(key, synthetic_detail::kSupportPart));
      const std::uint64_t value_key = mix(key, synthetic_detail::kValuePart);
      support.clear();
      for (std::int64_t j = 0; j < n; ++j)
        if (coin.uniform() < sparsity) {
          x[j] = learned::hashed_normal(value_key, static_cast<std::uint64_t>(j));
          support.push_back(j);
        }
      for (const std::int64_t j : support) {
        const double xj = x[j];
        const double* column = at + j * m;
        for (std::int64_t i = 0; i < m; ++i) y[i] += xj * column[i];
      }
      if (noise_factor == 0.0) continue;
      double norm2 = 0.0;
      for (std::int64_t i = 0; i < m; ++i) norm2 += y[i] * y[i];
      const double sigma = std::sqrt(norm2) * noise_factor;
      if (sigma == 0.0) continue;  // x = 0: no signal, no noise
      const std::uint64_t noise_key = mix(key, synthetic_detail::kNoisePart);
      for (std::int64_t i = 0; i < m; ++i)
        y[i] += sigma * learned::hashed_normal(noise_key, static_cast<std::uint64_t>(i));
    }
  });
  return out;
}

SparseBatch SyntheticData::range(std::int64_t begin, std::int64_t end, DataStream stream) const {
  if (begin < 0 || end <= begin)
    throw std::invalid_argument("SyntheticData::range: [" + std::to_string(begin) + ", " +
                                std::to_string(end) +
                                ") is not a nonempty range of nonnegative indices");
  return batch(torch::arange(begin, end, torch::kInt64), stream);
}

}  // namespace deepsolve::unfolded
