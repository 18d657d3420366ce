// The V-cycle direction network (dcdm/vcycle_network.hpp): its hierarchy, its boundary-aware cell
// images, linearity at any size, the coefficient cache, that its untrained start is already a
// preconditioner, that training lowers the DCDM loss, and its model files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/solvers/dcdm/loss.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"
#include "deepsolve/solvers/dcdm/network.hpp"
#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/dcdm/training_data.hpp"
#include "deepsolve/solvers/dcdm/vcycle_network.hpp"
#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"

using namespace deepsolve::solvers;
using namespace deepsolve::solvers::dcdm;
using deepsolve_test::expect_error;
using deepsolve_test::TempDir;

namespace {

Grid sphere_grid(int dim, int n) {
  Grid grid = Grid::unit_box(dim, n);
  apply_geometry(grid, "sphere");
  return grid;
}

// The network's input shape for a grid: (batch, 1, [nz,] ny, nx).
std::vector<std::int64_t> input_shape(const Grid& grid, std::int64_t batch = 1) {
  const auto& n = grid.size();
  if (grid.dim() == 3) return {batch, 1, n[2], n[1], n[0]};
  return {batch, 1, n[1], n[0]};
}

// Iterations of the conjugate-direction iteration (window 2, rtol 1e-6) with `direction`.
template <class Direction>
int dcdm_iterations(const Grid& grid, Direction&& direction) {
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const auto rhs = random_rhs(grid, grid.full_box(), 3);
  const Eigen::VectorXd b =
      Eigen::Map<const Eigen::VectorXd>(rhs.data(), static_cast<Eigen::Index>(rhs.size()));
  Eigen::VectorXd x(b.size());
  auto op = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = A * in; };
  const SolveResult r = conjugate_directions(
      EigenSpace{}, op, direction, b, x,
      ConjugateDirectionOptions().krylov(KrylovOptions().rtol(1e-6).max_iterations(1000)));
  EXPECT_EQ(r.reason, ConvergedReason::converged_rtol);
  EXPECT_LE(r.true_relative_residual, 1.01e-6);
  return r.iterations;
}

}  // namespace

TEST(VcycleNetwork, TheHierarchyFollowsTheGrid) {
  const VcycleNetOptions o = VcycleNetOptions().dim(2);
  EXPECT_EQ(o.levels_for({64, 64}), 6);  // 64 32 16 8 4 2
  EXPECT_EQ(o.levels_for({5, 3}), 3);    // 5x3, 3x2, 2x1
  EXPECT_EQ(o.levels_for({2, 1}), 1);
  EXPECT_EQ(VcycleNetOptions().coarsest(8).levels_for({512, 512}), 7);
  // 2D, 32 hidden, 2 smoothing stencils: 2*9*32 + 32, 32*32 + 32, 32*(4*9 + 2) + 38.
  EXPECT_EQ(VcycleNet(VcycleNetOptions().dim(2).hidden(32).smoothing(2))->num_parameters(),
            608 + 1056 + 1254);
  expect_error<std::invalid_argument>([] { VcycleNet(VcycleNetOptions().dim(4)); }, {"dim = 4"});
  expect_error<std::invalid_argument>([] { VcycleNet(VcycleNetOptions().smoothing(0)); },
                                      {"smoothing = 0"});
}

TEST(VcycleNetwork, GhostCellsTellDirichletFromNeumannFaces) {
  Grid grid = Grid::unit_box(2, 4);
  grid.set_boundary(Face::x_lo, Boundary::neumann);
  grid.set_cell(1, 2, 0, CellType::solid);
  grid.set_cell(3, 3, 0, CellType::air);
  const torch::Tensor g = ghosted_cell_images(grid);
  ASSERT_EQ(g.sizes(), (std::vector<std::int64_t>{1, 2, 6, 6}));
  const auto fluid = g[0][0], air = g[0][1];
  for (int j = 1; j <= 4; ++j) {
    EXPECT_EQ(air[j][0].item<float>(), 0.0f) << "x_lo is Neumann";
    EXPECT_EQ(air[j][5].item<float>(), 1.0f) << "x_hi is Dirichlet";
    EXPECT_EQ(fluid[j][0].item<float>(), 0.0f);
  }
  EXPECT_EQ(air[0][2].item<float>(), 1.0f);    // y_lo, Dirichlet
  EXPECT_EQ(fluid[3][2].item<float>(), 0.0f);  // the solid cell (1, 2)
  EXPECT_EQ(air[3][2].item<float>(), 0.0f);
  EXPECT_EQ(air[4][4].item<float>(), 1.0f);  // the air cell (3, 3)
  EXPECT_EQ(fluid[1][1].item<float>(), 1.0f);
  EXPECT_EQ(fluid.sum().item<float>(), 14.0f);
}

TEST(VcycleNetwork, LinearInTheResidualAtAnySize) {
  torch::manual_seed(3);
  for (const Grid& grid : {sphere_grid(2, 13), sphere_grid(3, 7)}) {
    VcycleNet net(VcycleNetOptions().dim(grid.dim()).hidden(8).smoothing(2));
    // Train-mode weights away from the identity start, so the test sees a general operator.
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.add_(0.1 * torch::randn_like(p));
    }
    const torch::Tensor cells = ghosted_cell_images(grid);
    const auto shape = input_shape(grid, 2);
    const torch::Tensor x = torch::randn(shape), y = torch::randn(shape);
    torch::NoGradGuard no_grad;
    const torch::Tensor fx = net->forward(x, {}, cells), fy = net->forward(y, {}, cells);
    ASSERT_EQ(fx.sizes(), x.sizes());
    const torch::Tensor f = net->forward(2.0 * x - 3.0 * y, {}, cells);
    EXPECT_LE((f - (2.0 * fx - 3.0 * fy)).abs().max().item<double>(),
              1e-5 * f.abs().max().item<double>());
    // Each sample on its own is the same as in the batch.
    EXPECT_TRUE(torch::allclose(net->forward(x.narrow(0, 1, 1), {}, cells), fx.narrow(0, 1, 1),
                                1e-6, 1e-6));
    // Masked cells are exactly zero.
    const torch::Tensor mask = cells.narrow(1, 0, 1);
    torch::Tensor inner = mask;
    for (int a = 2; a < mask.dim(); ++a) inner = inner.narrow(a, 1, mask.size(a) - 2);
    const torch::Tensor masked = net->forward(x, inner, cells);
    EXPECT_EQ(masked.masked_select(inner.expand_as(masked) == 0).abs().max().item<double>(), 0.0);
    expect_error<std::invalid_argument>([&] { net->forward(x, {}, cell_type_images(grid)); },
                                        {"ghosted cell-type images", "got [1, 2"});
  }
}

TEST(VcycleNetwork, InferenceStencilsEqualTheDifferentiableOnes) {
  // Without autograd the coefficients are computed once per distinct patch of cell images and
  // the stencils run over rows of cells with one patch (VcycleNetImpl::apply_stencil); with it,
  // on the whole grid and as tensor operations. The two must agree, at odd sizes, in a batch,
  // next to obstacles (rows of several runs), among random obstacles (many patches) and on
  // coarse levels (patches of cell fractions).
  torch::manual_seed(9);
  Grid random_2d = Grid::unit_box(2, 40);
  apply_geometry(random_2d, "random");
  for (const Grid& grid : {sphere_grid(2, 13), sphere_grid(3, 7), sphere_grid(2, 301),
                           sphere_grid(3, 45), random_2d}) {
    VcycleNet net(VcycleNetOptions().dim(grid.dim()).hidden(6).smoothing(2));
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.add_(0.1 * torch::randn_like(p));
    }
    const torch::Tensor cells = ghosted_cell_images(grid);
    const torch::Tensor x = torch::randn(input_shape(grid, 2));
    const torch::Tensor differentiable = net->forward(x, {}, cells);
    ASSERT_TRUE(differentiable.requires_grad());
    net->eval();  // the inference path: eval mode without autograd
    torch::NoGradGuard no_grad;
    const torch::Tensor inference = net->forward(x, {}, cells);
    const double diff = (inference - differentiable).abs().max().item<double>();
    EXPECT_LE(diff, 1e-6 * differentiable.abs().max().item<double>()) << grid.describe();
  }
}

TEST(VcycleNetwork, TheInferenceCacheHoldsEachDistinctPatchOnce) {
  // An empty box: the cells of a fine level see the interior patch or one of the patches along
  // its faces, edges and corners, so the cache is about the two mixing weights per cell (8 B)
  // plus the coarse levels, whose runs are short enough to keep a coefficient per cell. One per
  // cell on every level, the 2 x 2 stencils of 27 taps, would be over 432 bytes per cell.
  const Grid grid = Grid::unit_box(3, 48);
  torch::manual_seed(3);
  VcycleNet net(VcycleNetOptions().dim(3).hidden(4).smoothing(2));
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(net->inference_cache_bytes(), 0);
  net->forward(torch::randn(input_shape(grid)), {}, ghosted_cell_images(grid));
  const std::int64_t bytes = net->inference_cache_bytes();
  EXPECT_GT(bytes, 8 * grid.num_cells());  // at least the finest level's mixing weights
  EXPECT_LT(bytes, 32 * grid.num_cells());
}

TEST(VcycleNetwork, TheInferenceCacheFollowsTheParameters) {
  const Grid grid = sphere_grid(2, 12);
  torch::manual_seed(5);
  VcycleNet net(VcycleNetOptions().dim(2).hidden(4));
  net->eval();
  const torch::Tensor cells = ghosted_cell_images(grid);
  const torch::Tensor x = torch::randn(input_shape(grid));
  torch::NoGradGuard no_grad;
  const torch::Tensor before = net->forward(x, {}, cells);
  EXPECT_TRUE(torch::equal(net->forward(x, {}, cells), before));  // from the cache
  for (auto& p : net->parameters()) p.mul_(1.5);                  // in place, as an optimizer
  const torch::Tensor after = net->forward(x, {}, cells);
  EXPECT_FALSE(torch::allclose(after, before));
  // Train mode computes the coefficients without the cache, with the differentiable kernels
  // (inference computes them in slabs with others): the same values up to float32 round-off.
  auto same = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>() <= 1e-5 * b.abs().max().item<double>();
  };
  net->train();
  EXPECT_TRUE(same(net->forward(x, {}, cells), after));

  // Images made and dropped one after the other (the allocator may give them the same address):
  // each call sees its own grid.
  net->eval();
  Grid boxes = Grid::unit_box(2, 12);
  apply_geometry(boxes, "boxes");
  const torch::Tensor on_sphere = net->forward(x, {}, ghosted_cell_images(grid));
  const torch::Tensor on_boxes = net->forward(x, {}, ghosted_cell_images(boxes));
  net->train();
  EXPECT_TRUE(same(on_boxes, net->forward(x, {}, ghosted_cell_images(boxes))));
  EXPECT_TRUE(same(on_sphere, net->forward(x, {}, ghosted_cell_images(grid))));
  EXPECT_FALSE(same(on_sphere, on_boxes));
}

TEST(VcycleNetwork, TheUntrainedStartIsAlreadyAPreconditioner) {
  // Identity stencils with the h^2 scaling make an additive multilevel operator: fewer
  // conjugate-direction iterations than CG (identity directions) before any training, on a grid
  // that halves evenly (where odd sizes are padded, the untrained start is no better than CG;
  // trained models are, see docs/dcdm.md).
  const Grid grid = sphere_grid(2, 64);
  torch::manual_seed(0);
  VcycleNet net(VcycleNetOptions().dim(2));
  NetworkDirection direction(wrap_direction_network(net), grid);
  const int vcycle = dcdm_iterations(grid, [&](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
    direction.apply(r.data(), q.data());
  });
  const int cg = dcdm_iterations(grid, [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q = r; });
  std::printf("2D 64^2 disc: untrained V-cycle %d iterations, CG %d\n", vcycle, cg);
  EXPECT_LT(vcycle, 0.8 * cg);
}

TEST(VcycleNetwork, TrainingLowersTheDcdmLossAndTheIterations) {
  const Grid grid = sphere_grid(2, 16);
  const RitzDataset data =
      generate_ritz_dataset(grid, RitzDatasetOptions().lanczos_steps(80).samples(40).seed(2));
  const TorchStencilOperator A(grid, torch::kCPU, torch::kFloat32);
  const torch::Tensor cells = ghosted_cell_images(grid);
  torch::manual_seed(1);
  VcycleNet net(VcycleNetOptions().dim(2).hidden(8));
  const int untrained = [&] {
    NetworkDirection direction(wrap_direction_network(net), grid);
    return dcdm_iterations(grid, [&](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
      direction.apply(r.data(), q.data());
    });
  }();
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
  const torch::Tensor b = data.tensor();
  auto loss = [&] { return dcdm_loss(b, net->forward(b, {}, cells), A); };
  const double first = loss().item<double>();
  net->train();
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    torch::Tensor l = loss();
    l.backward();
    adam.step();
  }
  net->eval();
  const double last = loss().item<double>();
  NetworkDirection direction(wrap_direction_network(net), grid);
  const int trained = dcdm_iterations(grid, [&](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
    direction.apply(r.data(), q.data());
  });
  std::printf("2D 16^2 disc: loss %.4f -> %.4f, iterations %d -> %d\n", first, last, untrained,
              trained);
  EXPECT_LT(last, 0.5 * first);
  EXPECT_LT(trained, untrained);
}

TEST(VcycleModelFile, RoundTripAndErrors) {
  TempDir dir;
  const std::string path = dir.file("vcycle.pt");
  torch::manual_seed(7);
  VcycleNet net(VcycleNetOptions().dim(3).hidden(6).smoothing(2).coarsest(3));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  const Grid grid = sphere_grid(3, 9);
  ModelInfo info;
  info.grid = TrainingGrid::from_grid(grid);
  info.metadata = {{"seed", "7"}};
  save_direction_model(path, *net, info);

  const LoadedDirectionModel loaded = load_direction_model(path);
  EXPECT_EQ(loaded.type, "vcycle");
  const std::shared_ptr<VcycleNetImpl> loaded_net = loaded.as<VcycleNetImpl>();
  ASSERT_TRUE(loaded_net);
  EXPECT_EQ(loaded_net->options().describe(), net->options().describe());
  EXPECT_EQ(loaded.info.metadata.at("seed"), "7");
  EXPECT_EQ(loaded.info.grid.size, (std::array<int, 3>{9, 9, 9}));
  const torch::Tensor cells = ghosted_cell_images(grid);
  const torch::Tensor x = torch::randn(input_shape(grid));
  torch::NoGradGuard no_grad;
  net->eval();
  EXPECT_TRUE(torch::equal(loaded_net->forward(x, {}, cells), net->forward(x, {}, cells)));

  // Through the format-agnostic interface and NetworkDirection (ghosted images, fluid mask).
  auto any = load_direction_network(path);
  EXPECT_EQ(any->format(), "vcycle");
  EXPECT_EQ(any->dim(), 3);
  NetworkDirection direction(any, grid);
  const torch::Tensor r = x.to(torch::kFloat64).contiguous();
  torch::Tensor q = torch::empty_like(r);
  direction.apply(r.data_ptr<double>(), q.data_ptr<double>());
  torch::Tensor fluid = cells.narrow(1, 0, 1);
  for (int a = 2; a < 5; ++a) fluid = fluid.narrow(a, 1, 9);
  const torch::Tensor expected = net->forward(x, fluid, cells).to(torch::kFloat64);
  EXPECT_LE((q - expected).abs().max().item<double>(), 1e-6 * expected.abs().max().item<double>());

  // The registry tells the two networks apart from the file.
  const std::string cnn = dir.file("cnn.pt");
  save_direction_model(cnn, *DcdmNet(DcdmNetOptions().dim(2).channels(2)));
  EXPECT_EQ(load_direction_model(cnn).type, "cnn");
  EXPECT_EQ(load_direction_network(cnn)->format(), "cnn");
  expect_error<std::runtime_error>([&] { NetworkDirection(path, Grid::unit_box(2, 8)); },
                                   {path, "a 3D model cannot be applied to a 2D grid"});
}

// A model file of the format before checksummed archives (a bare LibTorch archive, written here
// field by field as that format had it) is refused with a re-save hint, and resave_legacy_model
// turns it into today's format with the same weights, options, grid and metadata.
TEST(VcycleModelFile, LegacyFileIsRefusedAndResaved) {
  TempDir dir;
  torch::manual_seed(5);
  VcycleNet net(VcycleNetOptions().dim(2).hidden(4).smoothing(2).coarsest(3));
  const std::string legacy = dir.file("legacy.pt");
  {
    torch::serialize::OutputArchive archive, parameters;
    archive.write("deepsolve_format", c10::IValue(std::string("deepsolve-dcdm-net")));
    archive.write("format_version", c10::IValue(std::int64_t{2}));
    archive.write("net_architecture", c10::IValue(std::string("vcycle")));
    archive.write("net_dim", c10::IValue(std::int64_t{2}));
    archive.write("net_hidden", c10::IValue(std::int64_t{4}));
    archive.write("net_smoothing", c10::IValue(std::int64_t{2}));
    archive.write("net_coarsest", c10::IValue(std::int64_t{3}));
    archive.write("grid_dim", c10::IValue(std::int64_t{2}));
    archive.write("grid_size", c10::IValue(std::vector<std::int64_t>{12, 12, 1}));
    archive.write("grid_spacing", c10::IValue(std::vector<double>{1.0 / 12, 1.0 / 12, 0.0}));
    archive.write("grid_boundaries", c10::IValue(std::string("x_lo=dirichlet")));
    c10::Dict<std::string, std::string> metadata;
    metadata.insert("seed", "5");
    archive.write("metadata", c10::IValue(metadata));
    net->save(parameters);
    archive.write("parameters", parameters);
    archive.save_to(legacy);
  }
  expect_error<std::runtime_error>([&] { load_direction_network(legacy); },
                                   {legacy, "before checksummed archives", "--resave"});
  expect_error<std::runtime_error>([&] { load_direction_model(legacy); },
                                   {legacy, "before checksummed archives"});

  const std::string resaved = dir.file("resaved.pt");
  resave_legacy_model(legacy, resaved);
  const LoadedDirectionModel m = load_direction_model(resaved);
  EXPECT_EQ(m.type, "vcycle");
  EXPECT_EQ(m.as<VcycleNetImpl>()->options().describe(), net->options().describe());
  EXPECT_EQ(m.info.metadata.at("seed"), "5");
  EXPECT_EQ(m.info.grid.size, (std::array<int, 3>{12, 12, 1}));
  EXPECT_EQ(m.info.grid.boundaries, "x_lo=dirichlet");
  const auto named = net->named_parameters();
  for (const auto& p : m.module->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), named[p.key()])) << p.key();
  // A file that is already new, or something else, is not a legacy file.
  expect_error<std::runtime_error>([&] { resave_legacy_model(resaved, dir.file("x.pt")); },
                                   {resaved});
}
