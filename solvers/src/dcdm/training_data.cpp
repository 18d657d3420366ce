#include "deepsolve/solvers/dcdm/training_data.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/memory.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/krylov/lanczos.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"

namespace deepsolve::solvers::dcdm {

namespace {

constexpr const char* kMagic = "deepsolve-dcdm-dataset";
constexpr int kVersion = 1;
constexpr std::size_t kMaxHeaderBytes = 4096;
// The archive kind the header line and samples are stored in (learned/io/archive.hpp).
constexpr const char* kArchiveKind = "dataset";
// Ritz values below this fraction of the largest belong to the null space (the reference drops
// values below an absolute 1e-8 on a matrix scaled to O(1); ours scales like 1/h^2).
constexpr double kNullRitzValue = 1e-8;
// Independent random streams for the start vector and the coefficients of one seed.
constexpr std::uint64_t kStartStream = 0x5354415254ULL;  // "START"
constexpr std::uint64_t kCoefStream = 0x434f4546ULL;     // "COEF"
constexpr std::int64_t kSampleChunk = 256;               // samples formed per matrix product

bool host_is_little_endian() {
  const std::uint32_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

void byte_swap_floats(float* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto* b = reinterpret_cast<unsigned char*>(data + i);
    std::swap(b[0], b[3]);
    std::swap(b[1], b[2]);
  }
}

std::string shape_string(int dim, const std::array<int, 3>& n) {
  return std::to_string(dim) + "D " + std::to_string(n[0]) + "x" + std::to_string(n[1]) +
         (dim == 3 ? "x" + std::to_string(n[2]) : "");
}

std::array<int, 3> grid_size(const Grid& grid) {
  return {grid.size()[0], grid.size()[1], grid.dim() == 3 ? grid.size()[2] : 1};
}

std::vector<std::int64_t> tensor_shape(int dim, const std::array<int, 3>& n, std::int64_t count) {
  std::vector<std::int64_t> s{count, 1};
  if (dim == 3) s.push_back(n[2]);
  s.push_back(n[1]);
  s.push_back(n[0]);
  return s;
}

std::string cell_string(int dim, const std::array<int, 3>& n, std::int64_t c) {
  const std::int64_t i = c % n[0], j = (c / n[0]) % n[1], k = c / (std::int64_t{n[0]} * n[1]);
  return "(" + std::to_string(i) + ", " + std::to_string(j) +
         (dim == 3 ? ", " + std::to_string(k) : "") + ")";
}

void check_options(const RitzDatasetOptions& o) {
  if (o.lanczos_steps() < 1)
    throw std::invalid_argument("RitzDatasetOptions: lanczos_steps must be >= 1, got " +
                                std::to_string(o.lanczos_steps()));
  if (o.samples() < 1)
    throw std::invalid_argument("RitzDatasetOptions: samples must be >= 1, got " +
                                std::to_string(o.samples()));
  if (o.theta() < -1)
    throw std::invalid_argument("RitzDatasetOptions: theta must be >= 0 (or -1 for m/20), got " +
                                std::to_string(o.theta()));
  if (!(o.low_mode_scale() > 0.0) || !std::isfinite(o.low_mode_scale()))
    throw std::invalid_argument(
        "RitzDatasetOptions: low_mode_scale must be positive and finite, got " +
        std::to_string(o.low_mode_scale()));
}

/// Lanczos holds its basis and the Ritz vectors at once (m vectors each, at most one per fluid
/// cell) and the m x m eigenvectors of T. A run that cannot fit would grind for hours before
/// the system kills it, so refuse it up front.
void check_memory(const Grid& grid, const RitzDatasetOptions& options) {
  const double m = static_cast<double>(
      std::min<std::int64_t>(options.lanczos_steps(), grid.count(CellType::fluid)));
  const double needed = 8.0 * m * (2.0 * static_cast<double>(grid.num_cells()) + m);
  learned::check_memory("compute_ritz_basis: " + std::to_string(options.lanczos_steps()) +
                            " Lanczos steps on the grid (" + grid.describe() + ")",
                        static_cast<std::uint64_t>(std::min(needed, 1.8e19)),
                        "2 x steps x cells x 8 bytes of vectors, plus steps^2 x 8",
                        "lower lanczos_steps");
}

}  // namespace

RitzBasis compute_ritz_basis(const Grid& grid, const RitzDatasetOptions& options) {
  check_options(options);
  const std::int64_t n = grid.num_cells();
  if (grid.count(CellType::fluid) == 0)
    throw std::invalid_argument("compute_ritz_basis: the grid (" + grid.describe() +
                                ") has no fluid cells");
  check_memory(grid, options);
  const StencilOperator op(grid);
  auto apply = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) {
    op.apply(in.data(), out.data());
  };
  // The reference starts Lanczos from A x, x ~ N(0, I) (datasetcreate.py). Here x lives on the
  // fluid cells only: A maps such vectors to such vectors (solid/air rows are decoupled), so the
  // whole Krylov space, and every sample, is zero on solid and air cells. A x is also orthogonal
  // to the null space of A, so no null vector enters the basis except through round-off.
  const std::uint64_t start_seed = splitmix64(options.seed() ^ kStartStream);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  for (std::int64_t c = 0; c < n; ++c)
    if (grid.cells()[static_cast<std::size_t>(c)] == CellType::fluid)
      x[c] = hashed_normal(start_seed, static_cast<std::uint64_t>(c));
  Eigen::VectorXd start(n);
  apply(x, start);

  auto lz = lanczos(EigenSpace{}, apply, start,
                    LanczosOptions().steps(options.lanczos_steps()).compute_vectors(true));
  const int m = lz.steps;
  const double largest = std::abs(lz.ritz_values.back());
  int dropped = 0;
  while (dropped < m && lz.ritz_values[dropped] < kNullRitzValue * largest) ++dropped;

  RitzBasis basis;
  basis.lanczos_steps = m;
  basis.dropped = dropped;
  const int k = m - dropped;
  basis.boosted = std::min(k, m / 2 + options.resolved_theta());
  basis.vectors.resize(n, k);
  for (int j = 0; j < k; ++j) {
    basis.vectors.col(j) = lz.ritz_vectors[dropped + j];
    lz.ritz_vectors[dropped + j] = Eigen::VectorXd();  // keep the peak at about 2 m N doubles
    basis.values.push_back(lz.ritz_values[dropped + j]);
  }
  return basis;
}

RitzDataset sample_ritz_dataset(const Grid& grid, const RitzBasis& basis,
                                const RitzDatasetOptions& options) {
  check_options(options);
  const std::int64_t n = grid.num_cells();
  const auto k = static_cast<std::int64_t>(basis.vectors.cols());
  if (basis.vectors.rows() != n || k < 1 || basis.boosted < 0 || basis.boosted > k)
    throw std::invalid_argument("sample_ritz_dataset: the basis (" +
                                std::to_string(basis.vectors.rows()) + " x " + std::to_string(k) +
                                ", " + std::to_string(basis.boosted) +
                                " boosted) does not fit the grid (" + grid.describe() + ")");
  const std::int64_t count = options.samples();
  RitzDataset::Info info;
  info.dim = grid.dim();
  info.size = grid_size(grid);
  info.lanczos_steps = basis.lanczos_steps;
  info.theta = options.resolved_theta();
  info.low_mode_scale = options.low_mode_scale();
  info.seed = options.seed();
  torch::Tensor samples = torch::empty(tensor_shape(info.dim, info.size, count), torch::kFloat32);
  float* out = samples.data_ptr<float>();

  Eigen::ArrayXd fluid(n);
  for (std::int64_t c = 0; c < n; ++c)
    fluid[c] = grid.cells()[static_cast<std::size_t>(c)] == CellType::fluid ? 1.0 : 0.0;

  // Kaneda et al. (reference section 3, datasetcreate.py: coef_matrix[0:cut_idx] *= 9 with
  // cut_idx = m/2 + theta): the network must learn to approximate A^{-1}, whose action is
  // dominated by the low end of the spectrum, and the residuals DCDM feeds it late in a solve are
  // made mostly of low modes (high modes are removed first). Multiplying the coefficients of the
  // lowest m/2 + theta Ritz vectors by 9 gives those modes 81x the expected energy of the others,
  // so the training set weights the part of the spectrum the solver needs most. Coefficients come
  // from a counter-based generator indexed by (sample, Ritz vector): sample s is the same whatever
  // the chunking.
  const std::uint64_t coef_seed = splitmix64(options.seed() ^ kCoefStream);
  for (std::int64_t first = 0; first < count; first += kSampleChunk) {
    const std::int64_t chunk = std::min(kSampleChunk, count - first);
    Eigen::MatrixXd coef(k, chunk);
    for (std::int64_t s = 0; s < chunk; ++s)
      for (std::int64_t j = 0; j < k; ++j) {
        const double c = hashed_normal(coef_seed, static_cast<std::uint64_t>((first + s) * k + j));
        coef(j, s) = j < basis.boosted ? options.low_mode_scale() * c : c;
      }
    const Eigen::MatrixXd b = basis.vectors * coef;  // N x chunk
    for (std::int64_t s = 0; s < chunk; ++s) {
      const Eigen::VectorXd v = b.col(s).array() * fluid;
      const double norm = v.norm();
      if (!(norm > 0.0) || !std::isfinite(norm))
        throw std::runtime_error("sample_ritz_dataset: sample " + std::to_string(first + s) +
                                 " has norm " + std::to_string(norm));
      float* dst = out + (first + s) * n;
      for (std::int64_t c = 0; c < n; ++c) dst[c] = static_cast<float>(v[c] / norm);
    }
  }
  return RitzDataset(info, std::move(samples));
}

RitzDataset generate_ritz_dataset(const Grid& grid, const RitzDatasetOptions& options) {
  return sample_ritz_dataset(grid, compute_ritz_basis(grid, options), options);
}

// ---------------------------------------------------------------------------------------------
// RitzDataset

RitzDataset::RitzDataset(const Info& info, torch::Tensor samples) : info_(info) {
  if (info.dim != 2 && info.dim != 3)
    throw std::invalid_argument("RitzDataset: dim must be 2 or 3, got " + std::to_string(info.dim));
  for (int d = 0; d < 3; ++d)
    if (info.size[d] < 1)
      throw std::invalid_argument("RitzDataset: sizes must be >= 1, got " +
                                  shape_string(info.dim, info.size));
  if (info.dim == 2 && info.size[2] != 1)
    throw std::invalid_argument("RitzDataset: a 2D dataset has nz = 1, got " +
                                std::to_string(info.size[2]));
  const std::int64_t count = samples.dim() > 0 ? samples.size(0) : 0;
  if (count < 1 || samples.sizes() != torch::IntArrayRef(tensor_shape(info.dim, info.size, count)))
    throw std::invalid_argument("RitzDataset: samples must have shape (count >= 1, 1, " +
                                std::string(info.dim == 3 ? "nz, " : "") + "ny, nx) for " +
                                shape_string(info.dim, info.size));
  if (samples.scalar_type() != torch::kFloat32 || !samples.device().is_cpu())
    throw std::invalid_argument("RitzDataset: samples must be float32 on the CPU");
  samples_ = samples.contiguous();
}

const float* RitzDataset::sample(std::int64_t i) const {
  if (i < 0 || i >= count())
    throw std::out_of_range("RitzDataset: sample " + std::to_string(i) + " of " +
                            std::to_string(count()));
  return samples_.data_ptr<float>() + i * num_cells();
}

void RitzDataset::check_shape(const Grid& grid) const {
  if (grid.dim() != dim() || grid_size(grid) != size())
    throw std::invalid_argument("RitzDataset: the dataset is " + shape_string(dim(), size()) +
                                ", the grid is " + shape_string(grid.dim(), grid_size(grid)));
}

void RitzDataset::save(const std::string& path) const {
  char scale[64];
  std::snprintf(scale, sizeof scale, "%.17g", info_.low_mode_scale);
  std::ostringstream header;
  header << kMagic << ' ' << kVersion << " dim " << info_.dim << " size " << info_.size[0] << ' '
         << info_.size[1] << ' ' << info_.size[2] << " count " << count() << " lanczos_steps "
         << info_.lanczos_steps << " theta " << info_.theta << " low_mode_scale " << scale
         << " seed " << info_.seed << '\n';
  const std::string head = header.str();

  const float* data = samples_.data_ptr<float>();
  const auto total = static_cast<std::size_t>(samples_.numel());
  std::vector<float> swapped;  // a big-endian host writes a little-endian copy
  if (!host_is_little_endian()) {
    swapped.assign(data, data + total);
    byte_swap_floats(swapped.data(), total);
    data = swapped.data();
  }
  learned::write_archive(
      path, kArchiveKind,
      {std::string_view(head),
       std::string_view(reinterpret_cast<const char*>(data), total * sizeof(float))});
}

RitzDataset RitzDataset::load(const std::string& path) {
  // Header and CRC-32 checked before the samples are used (io/archive.hpp).
  const std::string payload = learned::read_archive(path, kArchiveKind, "DCDM dataset");
  const auto file_size = static_cast<std::uint64_t>(payload.size());
  const std::string prefix = payload.substr(
      0, static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kMaxHeaderBytes)));
  const std::string magic_prefix = std::string(kMagic) + ' ';
  if (prefix.compare(0, magic_prefix.size(), magic_prefix) != 0)
    throw std::runtime_error(path + ": not a deepsolve DCDM dataset (expected header '" +
                             std::string(kMagic) + " " + std::to_string(kVersion) + " ...')");
  const auto eol = prefix.find('\n');
  if (eol == std::string::npos)
    throw std::runtime_error(path +
                             ": malformed DCDM dataset header (no end of line in the first " +
                             std::to_string(prefix.size()) + " bytes)");
  std::istringstream header(prefix.substr(0, eol));
  std::string magic;
  int version = 0;
  header >> magic >> version;
  if (!header || version != kVersion)
    throw std::runtime_error(path + ": unsupported DCDM dataset version (this build reads '" +
                             std::string(kMagic) + " " + std::to_string(kVersion) + "')");
  Info info;
  std::int64_t count = 0;
  std::string kw[7];
  header >> kw[0] >> info.dim >> kw[1] >> info.size[0] >> info.size[1] >> info.size[2] >> kw[2] >>
      count >> kw[3] >> info.lanczos_steps >> kw[4] >> info.theta >> kw[5] >> info.low_mode_scale >>
      kw[6] >> info.seed;
  std::string rest;
  const bool keywords = kw[0] == "dim" && kw[1] == "size" && kw[2] == "count" &&
                        kw[3] == "lanczos_steps" && kw[4] == "theta" && kw[5] == "low_mode_scale" &&
                        kw[6] == "seed";
  if (!header || !keywords || (header >> rest))
    throw std::runtime_error(
        path +
        ": malformed DCDM dataset header (expected 'deepsolve-dcdm-dataset 1 dim <d> size <nx> "
        "<ny> <nz> count <S> lanczos_steps <m> theta <t> low_mode_scale <s> seed <seed>')");
  const bool shape_ok = (info.dim == 2 || info.dim == 3) && info.size[0] >= 1 &&
                        info.size[1] >= 1 && info.size[2] >= 1 &&
                        (info.dim == 3 || info.size[2] == 1);
  // Bound the sizes so the byte counts below cannot overflow (2^50 floats is 4 PiB).
  const bool size_ok = shape_ok && static_cast<std::uint64_t>(info.size[0]) * info.size[1] <=
                                       (std::uint64_t{1} << 50) / info.size[2];
  if (!size_ok || count < 1)
    throw std::runtime_error(path + ": DCDM dataset header has an invalid shape (" +
                             std::to_string(info.dim) + "D " + std::to_string(info.size[0]) + "x" +
                             std::to_string(info.size[1]) + "x" + std::to_string(info.size[2]) +
                             ", count " + std::to_string(count) + ")");

  const std::uint64_t cells =
      static_cast<std::uint64_t>(info.size[0]) * info.size[1] * info.size[2];
  const std::uint64_t sample_bytes = 4 * cells;
  const std::uint64_t data_offset = eol + 1;
  const std::uint64_t available = file_size - data_offset;
  const auto ucount = static_cast<std::uint64_t>(count);
  if (available / sample_bytes < ucount)
    throw std::runtime_error(path + ": truncated DCDM dataset: it holds " +
                             std::to_string(available / sample_bytes) + " of " +
                             std::to_string(count) + " samples (" + std::to_string(available) +
                             " of " + std::to_string(ucount * sample_bytes) + " data bytes)");
  if (available > ucount * sample_bytes)
    throw std::runtime_error(path + ": DCDM dataset has " +
                             std::to_string(available - ucount * sample_bytes) +
                             " bytes after its " + std::to_string(count) + " samples");

  torch::Tensor samples = torch::empty(tensor_shape(info.dim, info.size, count), torch::kFloat32);
  float* data = samples.data_ptr<float>();
  std::memcpy(data, payload.data() + data_offset, static_cast<std::size_t>(ucount * sample_bytes));
  const auto total = static_cast<std::size_t>(ucount * cells);
  if (!host_is_little_endian()) byte_swap_floats(data, total);
  for (std::size_t v = 0; v < total; ++v)
    if (!std::isfinite(data[v])) {
      const auto s = static_cast<std::int64_t>(v / cells);
      const auto c = static_cast<std::int64_t>(v % cells);
      throw std::runtime_error(path + ": DCDM dataset sample " + std::to_string(s) + " holds " +
                               std::to_string(data[v]) + " at cell " +
                               cell_string(info.dim, info.size, c));
    }
  return RitzDataset(info, std::move(samples));
}

RitzDataset RitzDataset::load(const std::string& path, const Grid& expected) {
  RitzDataset data = load(path);
  if (expected.dim() != data.dim() || grid_size(expected) != data.size())
    throw std::runtime_error(path + ": DCDM dataset is " + shape_string(data.dim(), data.size()) +
                             ", the grid is " + shape_string(expected.dim(), grid_size(expected)));
  const std::int64_t n = data.num_cells();
  const auto& cells = expected.cells();
  for (std::int64_t s = 0; s < data.count(); ++s) {
    const float* b = data.sample(s);
    for (std::int64_t c = 0; c < n; ++c)
      if (b[c] != 0.0f && cells[static_cast<std::size_t>(c)] != CellType::fluid)
        throw std::runtime_error(path + ": DCDM dataset sample " + std::to_string(s) +
                                 " is nonzero at cell " + cell_string(data.dim(), data.size(), c) +
                                 ", which is " + to_string(cells[static_cast<std::size_t>(c)]) +
                                 " in the grid: the dataset was made for another geometry");
  }
  return data;
}

}  // namespace deepsolve::solvers::dcdm
