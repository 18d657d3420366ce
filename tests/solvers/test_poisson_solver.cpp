// PoissonSolver (petsc/poisson_solver.hpp), run on 1 and 2 ranks: every solver reaches its
// tolerance on a grid with an obstacle; moving the obstacle with set_cells gives what a solver
// built fresh on the new geometry gives; set_owned_cells equals set_cells; a DMDA layout derived
// from the ranks' blocks is the one the DMDA uses; bad names and blocks are errors that say what is
// wrong.
#include <gtest/gtest.h>

#include <petscksp.h>

#include <cmath>
#include <stdexcept>

#include "deepsolve/solvers/petsc/poisson_solver.hpp"
#include "deepsolve/solvers/random.hpp"

using namespace deepsolve::solvers;
namespace petsc = deepsolve::petsc;

namespace {

/// A 2D grid with Neumann walls, a Dirichlet top and a solid disc centred at (cx, 0.5).
Grid disc_grid(int n, double cx) {
  Grid grid = Grid::unit_box(2, n);
  grid.set_all_boundaries(Boundary::neumann);
  grid.set_boundary(Face::y_hi, Boundary::dirichlet);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const auto c = grid.center(i, j);
      if (std::hypot(c[0] - cx, c[1] - 0.5) < 0.2) grid.set_cell(i, j, 0, CellType::solid);
    }
  return grid;
}

/// A right-hand side that is zero on solid cells, on this rank's block.
std::vector<double> owned_rhs(const petsc::DmdaPoisson& problem, std::uint64_t seed) {
  const Grid& grid = problem.grid();
  std::vector<double> full(static_cast<std::size_t>(grid.num_cells()));
  for (std::size_t c = 0; c < full.size(); ++c)
    full[c] = grid.cells()[c] == CellType::fluid ? hashed_normal(seed, c) : 0.0;
  petsc::Vector v = problem.create_vector();
  problem.set_from_grid_field(full, v);
  return problem.owned_values(v);
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double local = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) local = std::max(local, std::abs(a[i] - b[i]));
  double global = local;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return global;
}

}  // namespace

TEST(PoissonSolver, EverySolverReachesItsTolerance) {
  const Grid grid = disc_grid(32, 0.4);
  for (const std::string& name : petsc::PoissonSolver::solver_names()) {
    SCOPED_TRACE(name);
    petsc::PoissonSolver solver(PETSC_COMM_WORLD, grid, petsc::PoissonSolverOptions().solver(name));
    const auto b = owned_rhs(solver.problem(), 7);
    std::vector<double> x(b.size(), 0.0);
    const auto result = solver.solve(b.data(), x.data());
    EXPECT_TRUE(result.converged) << result.reason;
    EXPECT_LE(result.relative_residual, 1e-6);
    EXPECT_GT(result.iterations, 0);
    EXPECT_GT(result.setup_s, 0.0);
    EXPECT_FALSE(solver.description().empty());
    // A second solve on the same geometry pays no set-up.
    EXPECT_EQ(solver.solve(b.data(), x.data()).setup_s, 0.0);
  }
}

TEST(PoissonSolver, MovingTheObstacleEqualsAFreshSolver) {
  const Grid before = disc_grid(32, 0.35), after = disc_grid(32, 0.65);
  ASSERT_NE(before.cells(), after.cells());
  for (const std::string name : {"dcdm", "icc", "gamg", "gmg"}) {
    SCOPED_TRACE(name);
    const auto options = petsc::PoissonSolverOptions().solver(name).rtol(1e-8);
    petsc::PoissonSolver moved(PETSC_COMM_WORLD, before, options);
    moved.set_cells(after.cells());
    petsc::PoissonSolver fresh(PETSC_COMM_WORLD, after, options);
    const auto b = owned_rhs(fresh.problem(), 11);
    std::vector<double> x_moved(b.size()), x_fresh(b.size());
    const auto r_moved = moved.solve(b.data(), x_moved.data());
    const auto r_fresh = fresh.solve(b.data(), x_fresh.data());
    EXPECT_TRUE(r_moved.converged) << r_moved.reason;
    EXPECT_GT(r_moved.setup_s, 0.0);
    EXPECT_NEAR(r_moved.iterations, r_fresh.iterations, name == std::string("dcdm") ? 1 : 0);
    EXPECT_LE(max_abs_difference(x_moved, x_fresh), 1e-6);
  }
}

TEST(PoissonSolver, OwnedCellsEqualWholeGridCells) {
  const Grid before = disc_grid(24, 0.35), after = disc_grid(24, 0.6);
  const auto options = petsc::PoissonSolverOptions().solver("icc");
  petsc::PoissonSolver whole(PETSC_COMM_WORLD, before, options);
  petsc::PoissonSolver owned(PETSC_COMM_WORLD, before, options);
  whole.set_cells(after.cells());
  const Box& box = owned.problem().owned_box();
  std::vector<CellType> block;
  for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
    for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i) block.push_back(after.cell(i, j));
  owned.set_owned_cells(block);
  EXPECT_EQ(owned.problem().grid().cells(), after.cells());
  EXPECT_THROW(owned.set_owned_cells(std::vector<CellType>(block.size() + 1)),
               std::invalid_argument);
}

TEST(PoissonSolver, LayoutFromBlocksIsTheDmdaLayout) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  // Split along y, unevenly: rank r owns rows [lo, lo + 10 + r).
  const int n_x = 20;
  int lo = 0;
  for (int r = 0; r < rank; ++r) lo += 10 + r;
  int n_y = 0;
  for (int r = 0; r < ranks; ++r) n_y += 10 + r;
  const Box mine{{0, lo, 0}, {n_x, 10 + rank, 1}};
  const petsc::DmdaLayout layout =
      petsc::layout_from_boxes(PETSC_COMM_WORLD, 2, {n_x, n_y, 1}, mine);
  EXPECT_EQ(layout.x, std::vector<int>{n_x});
  ASSERT_EQ(static_cast<int>(layout.y.size()), ranks);
  Grid grid(2, {n_x, n_y, 1}, {0.05, 0.05, 0.05});
  petsc::PoissonSolver solver(PETSC_COMM_WORLD, grid, petsc::PoissonSolverOptions().solver("cg"),
                              layout);
  EXPECT_EQ(solver.problem().owned_box(), mine);
  if (ranks > 1) {
    // Blocks that overlap are refused on every rank, naming a rank.
    const Box wrong{{0, 0, 0}, {n_x, 10 + rank, 1}};
    try {
      petsc::layout_from_boxes(PETSC_COMM_WORLD, 2, {n_x, n_y, 1}, wrong);
      ADD_FAILURE() << "overlapping blocks were accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("rank 1"), std::string::npos) << e.what();
    }
  }
}

TEST(PoissonSolver, BadSettingsAreErrorsThatNameThem) {
  const Grid grid = disc_grid(16, 0.5);
  auto message = [&](const petsc::PoissonSolverOptions& options) -> std::string {
    try {
      petsc::PoissonSolver solver(PETSC_COMM_WORLD, grid, options);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(petsc::PoissonSolverOptions().solver("amgx")).find("unknown solver 'amgx'"),
            std::string::npos);
  EXPECT_NE(message(petsc::PoissonSolverOptions().rtol(2.0)).find("rtol"), std::string::npos);
  EXPECT_NE(
      message(petsc::PoissonSolverOptions().model("/nonexistent/m.pt")).find("/nonexistent/m.pt"),
      std::string::npos);
  petsc::PoissonSolver solver(PETSC_COMM_WORLD, grid, petsc::PoissonSolverOptions().solver("cg"));
  EXPECT_THROW(solver.set_cells(std::vector<CellType>(3)), std::invalid_argument);
}

TEST(PoissonSolver, SolidCellsOfTheGuessAndRightHandSideAreIgnored) {
  // A warm start from the last step's solution after the obstacle moved: the guess is nonzero in
  // cells that are solid now, and the right-hand side too. Both are taken as 0 there.
  const Grid before = disc_grid(32, 0.35), after = disc_grid(32, 0.65);
  for (const std::string name : {"dcdm", "icc"}) {
    SCOPED_TRACE(name);
    const auto options =
        petsc::PoissonSolverOptions().solver(name).rtol(1e-8).nonzero_initial_guess(true);
    petsc::PoissonSolver solver(PETSC_COMM_WORLD, before, options);
    std::vector<double> b(static_cast<std::size_t>(solver.problem().owned_box().num_cells()));
    for (std::size_t c = 0; c < b.size(); ++c) b[c] = 1.0 + 0.01 * static_cast<double>(c % 7);
    std::vector<double> x(b.size(), 0.0);
    ASSERT_TRUE(solver.solve(b.data(), x.data()).converged);
    solver.set_cells(after.cells());
    const auto result = solver.solve(b.data(), x.data());
    EXPECT_TRUE(result.converged) << result.reason;
    EXPECT_LT(result.iterations, 200);
    const Box& box = solver.problem().owned_box();
    std::size_t at = 0;
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i, ++at)
        if (after.cell(i, j) != CellType::fluid) {
          EXPECT_EQ(x[at], 0.0);
        }
  }
  EXPECT_THROW(Grid(2, {4, 4, 1}, {1, 1, 1}).set_cells(std::vector<CellType>(16, CellType(7))),
               std::invalid_argument);
}
