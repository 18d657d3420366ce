// DCDM training data and loss: the batched, dtype-aware tensor operator; Ritz-vector datasets
// (determinism, unit norm, boosted low modes, zero on solid/air cells, the file format and each of
// its load errors); the scale-invariant loss (invariance, zero at the exact solve, gradients
// against finite differences, the degenerate-direction guard).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>

#include <unistd.h>

#include <Eigen/SparseCholesky>

#include "../support/expect_error.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/solvers/dcdm/loss.hpp"
#include "deepsolve/solvers/dcdm/training_data.hpp"
#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
using namespace deepsolve::solvers::dcdm;
using deepsolve::testing::test_grids;
using deepsolve_test::expect_error;

namespace {

/// A 2D grid with an obstacle and a layer of air cells on top: every kind of cell.
Grid obstacle_grid() {
  Grid g = Grid::unit_box(2, 16);
  apply_geometry(g, "sphere");
  for (int i = 0; i < 16; ++i) g.set_cell(i, 15, 0, CellType::air);
  return g;
}

/// (batch, N) float64 N(0,1) tensor, zero on cells that are not fluid.
torch::Tensor random_batch(const Grid& grid, std::int64_t batch, std::uint64_t seed) {
  const std::int64_t n = grid.num_cells();
  torch::Tensor t = torch::zeros({batch, n}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (std::int64_t s = 0; s < batch; ++s)
    for (std::int64_t c = 0; c < n; ++c)
      if (grid.cells()[static_cast<std::size_t>(c)] == CellType::fluid)
        a[s][c] = hashed_normal(seed, static_cast<std::uint64_t>(s * n + c));
  return t;
}

Eigen::VectorXd row_to_eigen(const torch::Tensor& t, std::int64_t s) {
  const torch::Tensor r = t.reshape({t.size(0), -1})[s].to(torch::kFloat64).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(r.data_ptr<double>(), r.numel());
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) /
          ("deepsolve_dcdm_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

RitzDatasetOptions small_options() {
  return RitzDatasetOptions().lanczos_steps(60).samples(24).seed(1);
}

}  // namespace

// ----------------------------------------------------------------------------------------------
// The batched operator

TEST(DcdmTensorOperator, BatchedApplyMatchesPerSampleAndEigenMatrix) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const TorchStencilOperator op(grid);
    torch::Tensor x = random_batch(grid, 3, 17);
    x += 0.5;  // nonzero on solid and air cells too: their rows must be right as well
    const torch::Tensor y = op.apply(x);
    ASSERT_EQ(y.sizes(), x.sizes());
    const torch::Tensor y_grid = op.apply(x.reshape(op.batch_shape(3)));
    ASSERT_EQ(y_grid.sizes(), torch::IntArrayRef(op.batch_shape(3)));
    EXPECT_TRUE(torch::equal(y_grid.reshape({3, -1}), y));
    for (std::int64_t s = 0; s < 3; ++s) {
      const Eigen::VectorXd expected = A * row_to_eigen(x, s);
      EXPECT_LE((row_to_eigen(y, s) - expected).norm(), 1e-13 * expected.norm());
      torch::Tensor single = torch::empty({grid.num_cells()}, torch::kFloat64);
      op(x[s].contiguous(), single);
      EXPECT_TRUE(torch::equal(single, y[s]));
    }
  }
}

TEST(DcdmTensorOperator, Float32MatchesFloat64ToSinglePrecision) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const TorchStencilOperator op64(grid);
    const TorchStencilOperator op32(grid, torch::kCPU, torch::kFloat32);
    EXPECT_EQ(op32.dtype(), torch::kFloat32);
    const torch::Tensor x = random_batch(grid, 2, 5);
    const torch::Tensor y64 = op64.apply(x);
    const torch::Tensor y32 = op32.apply(x.to(torch::kFloat32));
    EXPECT_EQ(y32.scalar_type(), torch::kFloat32);
    EXPECT_LE((y32.to(torch::kFloat64) - y64).norm().item<double>(),
              1e-6 * y64.norm().item<double>());
  }
}

TEST(DcdmTensorOperator, GradientsFlowThroughApply) {
  // d/dx sum(w * A x) = A^T w = A w.
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const TorchStencilOperator op(grid);
    torch::Tensor x = random_batch(grid, 2, 3).reshape(op.batch_shape(2)).requires_grad_(true);
    const torch::Tensor w = random_batch(grid, 2, 4).reshape(op.batch_shape(2)) + 0.25;
    (w * op.apply(x)).sum().backward();
    ASSERT_TRUE(x.grad().defined());
    const torch::Tensor expected = op.apply(w);
    EXPECT_LE((x.grad() - expected).norm().item<double>(), 1e-13 * expected.norm().item<double>());
  }
}

TEST(DcdmTensorOperator, RejectsWhatDoesNotFit) {
  const Grid grid = obstacle_grid();
  const TorchStencilOperator op(grid);
  expect_error<std::invalid_argument>(
      [&] {
        op.apply(torch::zeros({2, 1, 16, 15}, torch::kFloat64));
      },
      {"shape", "[2, 1, 16, 15]"});
  expect_error<std::invalid_argument>(
      [&] {
        op.apply(torch::zeros({2, 256}, torch::kFloat32));
      },
      {"Float", "Double"});
  expect_error<std::invalid_argument>(
      [&] { TorchStencilOperator(grid, torch::kCPU, torch::kInt32); }, {"float64 or float32"});
}

// ----------------------------------------------------------------------------------------------
// Training data

TEST(DcdmDataset, SameSeedSameBytesOtherSeedDifferent) {
  const Grid grid = obstacle_grid();
  const RitzDataset a = generate_ritz_dataset(grid, small_options());
  const RitzDataset b = generate_ritz_dataset(grid, small_options());
  const RitzDataset c = generate_ritz_dataset(grid, small_options().seed(2));
  EXPECT_EQ(a.count(), 24);
  EXPECT_EQ(a.tensor().sizes(), torch::IntArrayRef({24, 1, 16, 16}));
  const std::string pa = temp_path("a.bin"), pb = temp_path("b.bin"), pc = temp_path("c.bin");
  a.save(pa);
  b.save(pb);
  c.save(pc);
  EXPECT_EQ(read_bytes(pa), read_bytes(pb));
  EXPECT_NE(read_bytes(pa), read_bytes(pc));
  EXPECT_FALSE(torch::allclose(a.tensor(), c.tensor()));
  for (const auto& p : {pa, pb, pc}) std::remove(p.c_str());
}

TEST(DcdmDataset, SamplesAreUnitNormAndZeroOffTheFluid) {
  const Grid grid = obstacle_grid();
  ASSERT_GT(grid.count(CellType::solid), 0);
  ASSERT_GT(grid.count(CellType::air), 0);
  const RitzDataset data = generate_ritz_dataset(grid, small_options());
  EXPECT_EQ(data.tensor().scalar_type(), torch::kFloat32);
  for (std::int64_t s = 0; s < data.count(); ++s) {
    const float* b = data.sample(s);
    double norm2 = 0.0;
    for (std::int64_t c = 0; c < data.num_cells(); ++c) {
      norm2 += double(b[c]) * b[c];
      if (grid.cells()[static_cast<std::size_t>(c)] != CellType::fluid) {
        EXPECT_EQ(b[c], 0.0f) << "sample " << s << " cell " << c;
      }
    }
    EXPECT_NEAR(std::sqrt(norm2), 1.0, 1e-6);
  }
}

TEST(DcdmDataset, LowModesAreBoosted) {
  const Grid grid = obstacle_grid();
  const RitzDatasetOptions options = small_options().samples(200);
  const RitzBasis basis = compute_ritz_basis(grid, options);
  const int k = static_cast<int>(basis.vectors.cols());
  EXPECT_EQ(basis.lanczos_steps, 60);
  EXPECT_EQ(basis.dropped, 0);  // Dirichlet problem: no null space
  EXPECT_EQ(k, 60);
  EXPECT_EQ(basis.boosted, 60 / 2 + 60 / 20);
  EXPECT_TRUE(std::is_sorted(basis.values.begin(), basis.values.end()));
  // Orthonormal basis.
  const Eigen::MatrixXd gram = basis.vectors.transpose() * basis.vectors;
  EXPECT_LE((gram - Eigen::MatrixXd::Identity(k, k)).norm(), 1e-10);

  // Mean fraction of each sample's energy in the span of the boosted (lowest) Ritz vectors.
  auto low_fraction = [&](double scale) {
    const RitzDataset data =
        sample_ritz_dataset(grid, basis, RitzDatasetOptions(options).low_mode_scale(scale));
    const Eigen::MatrixXd low = basis.vectors.leftCols(basis.boosted);
    double sum = 0.0;
    for (std::int64_t s = 0; s < data.count(); ++s) {
      const Eigen::VectorXd b = row_to_eigen(data.tensor(), s);
      sum += (low.transpose() * b).squaredNorm() / b.squaredNorm();
    }
    return sum / static_cast<double>(data.count());
  };
  const double boosted = low_fraction(9.0), plain = low_fraction(1.0);
  // Expected: 33 / 60 = 0.55 without the boost, 81 * 33 / (81 * 33 + 27) = 0.99 with it.
  EXPECT_NEAR(plain, 0.55, 0.08);
  EXPECT_GT(boosted, 0.97);
  EXPECT_GT(boosted, plain + 0.3);
}

TEST(DcdmDataset, FloatingRegionNullSpaceStaysOut) {
  // Pure Neumann box: the constant is a null vector; samples must be orthogonal to it.
  Grid grid = Grid::unit_box(2, 12);
  grid.set_all_boundaries(Boundary::neumann);
  const RitzDataset data =
      generate_ritz_dataset(grid, RitzDatasetOptions().lanczos_steps(40).samples(10));
  for (std::int64_t s = 0; s < data.count(); ++s) {
    double sum = 0.0;
    for (std::int64_t c = 0; c < data.num_cells(); ++c) sum += data.sample(s)[c];
    EXPECT_LE(std::abs(sum) / std::sqrt(double(data.num_cells())), 1e-5);
  }
}

TEST(DcdmDataset, ThreeDimensionalAndSmallKrylovSpace) {
  // 3D shape, and more steps than the Krylov space has: Lanczos stops on an invariant subspace.
  Grid grid = Grid::unit_box(3, 4);
  const RitzDataset data =
      generate_ritz_dataset(grid, RitzDatasetOptions().lanczos_steps(200).samples(5));
  EXPECT_EQ(data.tensor().sizes(), torch::IntArrayRef({5, 1, 4, 4, 4}));
  EXPECT_LT(data.info().lanczos_steps, 64);
}

TEST(DcdmDataset, RejectsBadOptions) {
  const Grid grid = obstacle_grid();
  expect_error<std::invalid_argument>(
      [&] { generate_ritz_dataset(grid, RitzDatasetOptions().lanczos_steps(0)); },
      {"lanczos_steps"});
  expect_error<std::invalid_argument>(
      [&] { generate_ritz_dataset(grid, RitzDatasetOptions().samples(0)); }, {"samples"});
  expect_error<std::invalid_argument>(
      [&] { generate_ritz_dataset(grid, RitzDatasetOptions().theta(-2)); }, {"theta"});
  expect_error<std::invalid_argument>(
      [&] { generate_ritz_dataset(grid, RitzDatasetOptions().low_mode_scale(0.0)); },
      {"low_mode_scale"});
  Grid solid = Grid::unit_box(2, 4);
  solid.set_cells(std::vector<CellType>(16, CellType::solid));
  expect_error<std::invalid_argument>([&] { generate_ritz_dataset(solid, RitzDatasetOptions()); },
                                      {"no fluid cells"});
  // 10^6 steps on 128^3 would need about 38 TiB: refused before Lanczos starts.
  Grid large = Grid::unit_box(3, 128);
  expect_error<std::invalid_argument>(
      [&] { compute_ritz_basis(large, RitzDatasetOptions().lanczos_steps(1000000)); },
      {"1000000 Lanczos steps", "128x128x128", "needs about", "available", "lower lanczos_steps"});
}

TEST(DcdmDataset, SaveLoadRoundTrip) {
  const Grid grid = obstacle_grid();
  const RitzDataset data =
      generate_ritz_dataset(grid, small_options().theta(5).low_mode_scale(7.5));
  const std::string path = temp_path("roundtrip.bin");
  data.save(path);
  const std::string bytes = read_bytes(path);
  const std::string header =
      "deepsolve-dcdm-dataset 1 dim 2 size 16 16 1 count 24 lanczos_steps 60 theta 5 "
      "low_mode_scale 7.5 seed 1\n";
  // A 48-byte archive header (learned/io/archive.hpp), then the dataset's own header line.
  EXPECT_EQ(bytes.substr(48, header.size()), header);
  EXPECT_EQ(bytes.size(), 48 + header.size() + 24 * 256 * 4);
  for (const RitzDataset& back : {RitzDataset::load(path), RitzDataset::load(path, grid)}) {
    EXPECT_TRUE(torch::equal(back.tensor(), data.tensor()));
    EXPECT_EQ(back.info().dim, 2);
    EXPECT_EQ(back.size(), (std::array<int, 3>{16, 16, 1}));
    EXPECT_EQ(back.info().lanczos_steps, 60);
    EXPECT_EQ(back.info().theta, 5);
    EXPECT_EQ(back.info().low_mode_scale, 7.5);
    EXPECT_EQ(back.info().seed, 1u);
  }
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    if (e.path().filename().string().rfind(std::filesystem::path(path).filename().string(), 0) == 0)
      ++files;
  EXPECT_EQ(files, 1);
  std::remove(path.c_str());
}

TEST(DcdmDataset, LoadErrorsNameTheFileAndTheProblem) {
  const Grid grid = obstacle_grid();
  RitzDataset::Info info;
  info.dim = 2;
  info.size = {16, 16, 1};
  info.lanczos_steps = 60;
  info.seed = 3;
  const RitzDataset hundred(
      info, random_batch(grid, 100, 1).to(torch::kFloat32).reshape({100, 1, 16, 16}));
  const std::string path = temp_path("errors.bin");
  hundred.save(path);
  const std::string file = read_bytes(path);
  const std::string good = file.substr(48);  // the payload, inside the archive
  const std::size_t header = good.find('\n') + 1;
  auto load = [&] { RitzDataset::load(path); };
  // A payload in an intact archive: what the dataset's own checks see.
  auto write_payload = [&](const std::string& payload) {
    deepsolve::learned::write_archive(path, "dataset", {payload});
  };

  std::remove(path.c_str());
  expect_error<std::runtime_error>(load, {path, "cannot open"});

  // The archive's checks: another format, a truncated or extended file, a flipped byte.
  write_bytes(path, "P6\n16 16\n255\n" + std::string(1000, 'x'));
  expect_error<std::runtime_error>(load, {path, "not a deepsolve DCDM dataset"});
  write_bytes(path, file.substr(0, 48 + header + 37 * 256 * 4 + 100));
  expect_error<std::runtime_error>(load, {path, "truncated DCDM dataset", "header says"});
  write_bytes(path, file + "extra");
  expect_error<std::runtime_error>(load, {path, "damaged DCDM dataset"});
  std::string flipped = file;
  flipped[48 + header + 1000] ^= 0x10;  // one bit of one sample
  write_bytes(path, flipped);
  expect_error<std::runtime_error>(load, {path, "CRC-32 check failed"});
  deepsolve::learned::write_archive(path, "checkpoint", {good});
  expect_error<std::runtime_error>(load,
                                   {path, "a deepsolve 'checkpoint' file, not a DCDM dataset"});

  // The dataset's checks, on payloads the archive passes.
  write_payload("P6\n16 16\n255\n" + std::string(1000, 'x'));
  expect_error<std::runtime_error>(load, {path, "not a deepsolve DCDM dataset"});

  write_payload("deepsolve-dcdm-dataset 2 dim 2\n");
  expect_error<std::runtime_error>(load, {path, "unsupported"});

  std::string bad = good;
  bad.replace(bad.find("count"), 5, "cnt  ");
  write_payload(bad);
  expect_error<std::runtime_error>(load, {path, "malformed"});

  write_payload(good.substr(0, header + 37 * 256 * 4 + 100));
  expect_error<std::runtime_error>(load, {path, "truncated", "holds 37 of 100 samples"});

  write_payload(good + "extra");
  expect_error<std::runtime_error>(load, {path, "5 bytes after"});

  write_bytes(path, file);
  expect_error<std::runtime_error>([&] { RitzDataset::load(path, Grid::unit_box(2, 8)); },
                                   {path, "2D 16x16", "the grid is 2D 8x8"});
  expect_error<std::runtime_error>([&] { RitzDataset::load(path, Grid::unit_box(3, 16)); },
                                   {path, "the grid is 3D 16x16x16"});
  // Same shape, other geometry: the dataset is nonzero where this grid has an obstacle.
  Grid other = Grid::unit_box(2, 16);
  apply_geometry(other, "boxes");
  expect_error<std::runtime_error>([&] { RitzDataset::load(path, other); },
                                   {path, "another geometry"});

  for (float v :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    torch::Tensor t = hundred.tensor().clone();
    t.view({100, 256})[42][4 * 16 + 1] = v;  // cell (1, 4)
    RitzDataset(info, t).save(path);
    expect_error<std::runtime_error>(load, {path, "sample 42", "at cell (1, 4)"});
  }
  std::remove(path.c_str());
}

// ----------------------------------------------------------------------------------------------
// Loss

namespace {

/// A tiny 2D Dirichlet problem with a solid cell and an air cell.
Grid tiny_grid() {
  Grid g(2, {5, 4, 1}, {0.2, 0.25, 1.0});
  g.set_boundary(Face::x_hi, Boundary::neumann);
  g.set_cell(2, 1, 0, CellType::solid);
  g.set_cell(4, 3, 0, CellType::air);
  return g;
}

}  // namespace

TEST(DcdmLoss, ScaleInvariantInQ) {
  const Grid grid = tiny_grid();
  const TorchStencilOperator A(grid);
  const torch::Tensor b = random_batch(grid, 4, 1).reshape(A.batch_shape(4));
  const torch::Tensor q = random_batch(grid, 4, 2).reshape(A.batch_shape(4));
  const double base = dcdm_loss(b, q, A).item<double>();
  EXPECT_GT(base, 1e-3);
  for (double s : {5.0, -0.5, 1e-3})
    EXPECT_NEAR(dcdm_loss(b, s * q, A).item<double>(), base, 1e-12 * base) << "scale " << s;
  // The batch loss is the mean of the per-sample losses, each ||b - alpha A q||^2.
  const torch::Tensor per = dcdm_loss_per_sample(b, q, A);
  ASSERT_EQ(per.sizes(), torch::IntArrayRef({4}));
  EXPECT_NEAR(per.mean().item<double>(), base, 1e-14 * base);
  const SparseMatrix M = assemble_eigen_matrix(grid);
  for (std::int64_t s = 0; s < 4; ++s) {
    const Eigen::VectorXd be = row_to_eigen(b, s), qe = row_to_eigen(q, s);
    const Eigen::VectorXd Aq = M * qe;
    const double want = (be - (qe.dot(be) / qe.dot(Aq)) * Aq).squaredNorm();
    EXPECT_NEAR(per[s].item<double>(), want, 1e-12 * want);
  }
}

TEST(DcdmLoss, ZeroAtTheExactSolve) {
  const Grid grid = tiny_grid();
  const TorchStencilOperator A(grid);
  const Eigen::SparseMatrix<double> M = assemble_eigen_matrix(grid);
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(M);
  ASSERT_EQ(solver.info(), Eigen::Success);
  const torch::Tensor b = random_batch(grid, 3, 8);
  torch::Tensor q = torch::empty_like(b);
  for (std::int64_t s = 0; s < 3; ++s) {
    const Eigen::VectorXd x = solver.solve(row_to_eigen(b, s));
    q[s].copy_(torch::from_blob(const_cast<double*>(x.data()), {x.size()}, torch::kFloat64));
  }
  const double bb = (b * b).sum().item<double>() / 3.0;
  EXPECT_LE(dcdm_loss(b, q, A).item<double>(), 1e-24 * bb);
  EXPECT_LE(dcdm_loss(b, -3.0 * q, A).item<double>(), 1e-24 * bb);  // any multiple
  EXPECT_GT(dcdm_loss(b, b, A).item<double>(), 1e-3 * bb);          // the identity is not exact
}

TEST(DcdmLoss, GradientMatchesFiniteDifferences) {
  const Grid grid = tiny_grid();
  const TorchStencilOperator A(grid);
  const torch::Tensor b = random_batch(grid, 2, 11).reshape(A.batch_shape(2)).requires_grad_(true);
  const torch::Tensor q = random_batch(grid, 2, 12).reshape(A.batch_shape(2)).requires_grad_(true);
  dcdm_loss(b, q, A).backward();
  ASSERT_TRUE(q.grad().defined());
  ASSERT_TRUE(b.grad().defined());
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  for (const torch::Tensor* var : {&q, &b}) {
    const torch::Tensor analytic = var->grad().reshape(-1);
    const double scale = analytic.abs().max().item<double>();
    ASSERT_GT(scale, 0.0);
    torch::Tensor flat = var->detach().reshape(-1);  // shares storage with *var
    for (std::int64_t i = 0; i < flat.numel(); ++i) {
      const double v = flat[i].item<double>();
      flat[i] = v + h;
      const double up = dcdm_loss(b.detach(), q.detach(), A).item<double>();
      flat[i] = v - h;
      const double down = dcdm_loss(b.detach(), q.detach(), A).item<double>();
      flat[i] = v;
      EXPECT_NEAR((up - down) / (2 * h), analytic[i].item<double>(), 1e-6 * scale)
          << (var == &q ? "q" : "b") << " entry " << i;
    }
  }
}

TEST(DcdmLoss, DegenerateDirectionGivesNormOfBWithoutNaN) {
  const Grid grid = tiny_grid();
  const TorchStencilOperator A(grid);
  const torch::Tensor b = random_batch(grid, 3, 21).reshape(A.batch_shape(3));
  torch::Tensor q = random_batch(grid, 3, 22).reshape(A.batch_shape(3));
  q[1].zero_();  // q = 0: q^T A q = 0
  q.requires_grad_(true);
  const torch::Tensor per = dcdm_loss_per_sample(b, q, A);
  EXPECT_EQ(per[1].item<double>(), (b[1] * b[1]).sum().item<double>());
  const torch::Tensor loss = per.mean();
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  loss.backward();
  EXPECT_TRUE(torch::isfinite(q.grad()).all().item<bool>());
  EXPECT_EQ(q.grad()[1].abs().max().item<double>(), 0.0);
  EXPECT_GT(q.grad()[0].abs().max().item<double>(), 0.0);
  // The same guard in float32, and a whole batch of zeros.
  const TorchStencilOperator A32(grid, torch::kCPU, torch::kFloat32);
  const torch::Tensor b32 = b.to(torch::kFloat32);
  EXPECT_NEAR(dcdm_loss(b32, torch::zeros_like(b32), A32).item<double>(),
              ((b32 * b32).sum() / 3).item<double>(), 1e-6 * (b32 * b32).sum().item<double>());
}

TEST(DcdmLoss, Float32OnADatasetBatchAndShapeChecks) {
  const Grid grid = obstacle_grid();
  const RitzDataset data = generate_ritz_dataset(grid, small_options().samples(10));
  const TorchStencilOperator A(grid, torch::kCPU, torch::kFloat32);
  const torch::Tensor batch = data.tensor().narrow(0, 0, 10);
  const double identity =
      dcdm_loss(batch, batch, A).item<double>();  // q = b: one steepest-descent step
  EXPECT_GT(identity, 0.0);
  EXPECT_TRUE(std::isfinite(identity));
  expect_error<std::invalid_argument>([&] { dcdm_loss(batch, batch.narrow(0, 0, 5), A); },
                                      {"shape"});
  expect_error<std::invalid_argument>(
      [&] { dcdm_loss(batch.to(torch::kFloat64), batch.to(torch::kFloat64), A); }, {"Double"});
}

// Measurement, not a check (run with --gtest_also_run_disabled_tests): the 64x64 dataset of the
// DCDM issue, m = 500 Lanczos steps, 1000 samples.
TEST(DcdmDataset, DISABLED_GenerationTime64x64) {
  Grid grid = Grid::unit_box(2, 64);
  apply_geometry(grid, "sphere");
  const auto options = RitzDatasetOptions().lanczos_steps(500).samples(1000).seed(1);
  const auto t0 = std::chrono::steady_clock::now();
  const RitzBasis basis = compute_ritz_basis(grid, options);
  const auto t1 = std::chrono::steady_clock::now();
  const RitzDataset data = sample_ritz_dataset(grid, basis, options);
  const auto t2 = std::chrono::steady_clock::now();
  const std::string path = temp_path("64.bin");
  data.save(path);
  const auto t3 = std::chrono::steady_clock::now();
  const RitzDataset back = RitzDataset::load(path, grid);
  const auto t4 = std::chrono::steady_clock::now();
  auto sec = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf(
      "64x64 m=500 S=1000: Lanczos + Ritz vectors %.2f s, samples %.2f s, save %.3f s, "
      "load %.3f s; %d kept Ritz vectors, %d boosted, %d dropped\n",
      sec(t0, t1), sec(t1, t2), sec(t2, t3), sec(t3, t4), static_cast<int>(basis.vectors.cols()),
      basis.boosted, basis.dropped);
  std::remove(path.c_str());
}
