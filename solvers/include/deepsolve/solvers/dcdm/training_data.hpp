// DCDM training data (Kaneda et al., ICML 2023, arXiv 2205.10763; from
// ayano721/2023_DCDM src/datasetcreate.py): right-hand sides that are random combinations of the
// Ritz vectors of the problem matrix, with the low end of the spectrum boosted.
//
//   1. Lanczos with full reorthogonalisation (krylov/lanczos.hpp) for m steps on A, started from
//      A x with x ~ N(0, I) on the fluid cells (seeded).
//   2. Ritz pairs in ascending order; those with a Ritz value below 1e-8 times the largest are
//      dropped (null space of a floating fluid region).
//   3. b = sum_j c_j y_j over the k kept Ritz vectors, c_j ~ N(0, 1) (seeded), with the
//      coefficients of the lowest m/2 + theta kept Ritz vectors (m: steps taken) multiplied by
//      low_mode_scale (9).
//   4. Each b is normalised to unit 2-norm, set to zero on solid and air cells, stored as float32.
//
// Cost, for N cells and m steps: Lanczos holds its m basis vectors and then the m Ritz vectors,
// 2 m N doubles at the peak (64^2 cells, m = 1000: 66 MB; 64^3 cells, m = 1000: 4.2 GB; the
// reference's 128^3 with m = 10,000 would be 340 GB, which is why these sizes are scaled down);
// time about 6 m^2 N flops (4 for the reorthogonalisation, 2 for the Ritz vectors) plus 2 k N
// flops per sample (64^2 cells, m = 500, 1000 samples: about 4 s on one core). The dataset itself
// is count * N floats.
//
// On-disk format: a checksummed archive of kind "dataset" (deepsolve/learned/io/archive.hpp:
// header and CRC-32 checked before the samples are used) whose payload is
// ("deepsolve-dcdm-dataset 1") one text header line then raw data:
//
//   deepsolve-dcdm-dataset 1 dim <d> size <nx> <ny> <nz> count <S> lanczos_steps <m> theta <t>
//   low_mode_scale <s> seed <seed>\n                                   (one line, single spaces)
//   S * nx*ny*nz float32 values, little-endian, sample after sample, cells in natural order
//   (x fastest), nothing after them.
//
// nz is 1 for a 2D grid. lanczos_steps is the number of Lanczos steps taken (fewer than asked
// when the Krylov space became invariant), theta the resolved theta, low_mode_scale printed with
// 17 significant digits. Files are written through a temporary file and a rename, so a reader
// never sees half a dataset.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <Eigen/Core>

#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::solvers::dcdm {

struct RitzDatasetOptions {
  /// Lanczos steps m: the number of Ritz vectors the samples are made of (the reference: 10,000).
  DEEPSOLVE_ARG(int, lanczos_steps) = 500;
  /// Number of right-hand sides (the reference: 20,000).
  DEEPSOLVE_ARG(int, samples) = 1000;
  /// Extra low modes: the lowest m/2 + theta kept Ritz vectors get the boost. -1 (the default)
  /// means m/20, the reference's proportion (theta = 500 for m = 10,000: 55% boosted).
  DEEPSOLVE_ARG(int, theta) = -1;
  /// Factor on the coefficients of the boosted Ritz vectors (the reference: 9).
  DEEPSOLVE_ARG(double, low_mode_scale) = 9.0;
  /// Seeds the Lanczos start vector and the coefficients.
  DEEPSOLVE_ARG(std::uint64_t, seed) = 0;

 public:
  /// theta with -1 resolved: m/20.
  int resolved_theta() const { return theta_ >= 0 ? theta_ : lanczos_steps_ / 20; }
};

/// The Ritz vectors a dataset is drawn from (steps 1 and 2 above).
struct RitzBasis {
  Eigen::MatrixXd vectors;     ///< N x k, orthonormal columns, ascending Ritz values
  std::vector<double> values;  ///< the k kept Ritz values, ascending
  int lanczos_steps = 0;       ///< steps taken
  int dropped = 0;             ///< Ritz values dropped as null space
  int boosted = 0;             ///< min(k, steps/2 + theta): the first columns get the boost
};

/// Runs the Lanczos part. Throws std::invalid_argument for bad options (steps < 1, theta < -1,
/// scale not positive and finite) or a grid without fluid cells.
RitzBasis compute_ritz_basis(const Grid& grid, const RitzDatasetOptions& options);

class RitzDataset;

/// Draws options.samples() right-hand sides from `basis` (steps 3 and 4); the result depends only
/// on the basis and (seed, samples, low_mode_scale).
RitzDataset sample_ritz_dataset(const Grid& grid, const RitzBasis& basis,
                                const RitzDatasetOptions& options);

/// compute_ritz_basis then sample_ritz_dataset.
RitzDataset generate_ritz_dataset(const Grid& grid, const RitzDatasetOptions& options);

/// A set of float32 right-hand sides on one grid, held as one contiguous tensor.
class RitzDataset {
 public:
  struct Info {
    int dim = 2;
    std::array<int, 3> size{1, 1, 1};  ///< nx, ny, nz (nz = 1 in 2D)
    int lanczos_steps = 0;
    int theta = 0;
    double low_mode_scale = 1.0;
    std::uint64_t seed = 0;
  };

  /// Takes `samples` of shape (count, 1, [nz,] ny, nx), float32, on the CPU (checked).
  RitzDataset(const Info& info, torch::Tensor samples);

  const Info& info() const { return info_; }
  int dim() const { return info_.dim; }
  const std::array<int, 3>& size() const { return info_.size; }
  std::int64_t num_cells() const {
    return static_cast<std::int64_t>(info_.size[0]) * info_.size[1] * info_.size[2];
  }
  std::int64_t count() const { return samples_.size(0); }

  /// All samples, shape (count, 1, [nz,] ny, nx), float32, contiguous, on the CPU. Shares storage
  /// with the dataset (reference counted, so it stays valid after the dataset is gone); clone it
  /// before writing into it. Batches: tensor().narrow(0, first, batch).
  const torch::Tensor& tensor() const { return samples_; }
  /// Sample i as num_cells() floats in natural ordering.
  const float* sample(std::int64_t i) const;

  /// Throws std::invalid_argument unless the dataset's dimension and size are the grid's.
  void check_shape(const Grid& grid) const;

  /// Writes the documented format through a temporary file and a rename; throws
  /// std::runtime_error naming the file when it cannot.
  void save(const std::string& path) const;

  /// Reads and checks a dataset file. Throws std::runtime_error naming the file when it is
  /// missing, has the wrong magic or a malformed header, is truncated ("holds 37 of 100 samples")
  /// or has trailing bytes, or holds a NaN/Inf value.
  static RitzDataset load(const std::string& path);
  /// As above, and the dataset must have the grid's shape and be zero on its solid and air cells
  /// (else it was made for another geometry).
  static RitzDataset load(const std::string& path, const Grid& expected);

 private:
  Info info_;
  torch::Tensor samples_;
};

}  // namespace deepsolve::solvers::dcdm
