// Lanczos with full reorthogonalisation against a dense symmetric eigendecomposition.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/krylov/lanczos.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
namespace petsc = deepsolve::petsc;

namespace {

Eigen::VectorXd random_vector(std::int64_t n, std::uint64_t seed) {
  Eigen::VectorXd v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = hashed_normal(seed, static_cast<std::uint64_t>(i));
  return v;
}

std::vector<std::int64_t> fluid_cells(const Grid& grid) {
  std::vector<std::int64_t> fluid;
  for (std::int64_t c = 0; c < grid.num_cells(); ++c)
    if (grid.cells()[c] == CellType::fluid) fluid.push_back(c);
  return fluid;
}

// A random start vector supported on the fluid cells: only the fluid block is reachable from it.
Eigen::VectorXd fluid_start(const Grid& grid, std::uint64_t seed) {
  Eigen::VectorXd start = random_vector(grid.num_cells(), seed);
  for (std::int64_t c = 0; c < grid.num_cells(); ++c)
    if (grid.cells()[c] != CellType::fluid) start[c] = 0.0;
  return start;
}

// The fluid-fluid block of A as a dense matrix, for a reference eigendecomposition.
Eigen::MatrixXd dense_fluid_block(const Grid& grid, const SparseMatrix& A) {
  const std::vector<std::int64_t> fluid = fluid_cells(grid);
  const auto n = static_cast<Eigen::Index>(fluid.size());
  Eigen::MatrixXd dense(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) dense(i, j) = A.coeff(fluid[i], fluid[j]);
  return dense;
}

Grid obstacle_grid() {
  Grid g(2, {11, 9, 1}, {0.1, 0.1, 1.0});
  g.set_boundary(Face::y_lo, Boundary::neumann);
  apply_geometry(g, "sphere");
  return g;
}

}  // namespace

TEST(Lanczos, FullRunReproducesTheWholeSpectrum) {
  const Grid grid = obstacle_grid();
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const Eigen::VectorXd start = fluid_start(grid, 1);
  const Eigen::MatrixXd dense = dense_fluid_block(grid, A);
  const Eigen::Index n = dense.rows();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> reference(dense);

  auto op = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = A * x; };
  const auto result =
      lanczos(EigenSpace{}, op, start, LanczosOptions().steps(int(n)).compute_vectors(true));
  ASSERT_EQ(result.steps, n);
  const double scale = reference.eigenvalues().maxCoeff();
  for (Eigen::Index i = 0; i < n; ++i) {
    EXPECT_NEAR(result.ritz_values[i], reference.eigenvalues()[i], 1e-9 * scale)
        << "eigenvalue " << i;
    const Eigen::VectorXd& y = result.ritz_vectors[i];
    EXPECT_NEAR(y.norm(), 1.0, 1e-10);
    EXPECT_LE((A * y - result.ritz_values[i] * y).norm(), 1e-8 * scale) << "Ritz pair " << i;
  }
  // The Ritz vectors are orthonormal.
  for (int i = 0; i < 5; ++i)
    for (int j = i + 1; j < 5; ++j)
      EXPECT_NEAR(result.ritz_vectors[i].dot(result.ritz_vectors[j]), 0.0, 1e-10);
}

TEST(Lanczos, ShortRunFindsTheExtremeEigenvaluesAndHonestResidualBounds) {
  const Grid grid = Grid::unit_box(2, 20);
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> reference{Eigen::MatrixXd(A)};
  auto op = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = A * x; };
  const auto result = lanczos(EigenSpace{}, op, random_vector(grid.num_cells(), 2),
                              LanczosOptions().steps(80).compute_vectors(true));
  ASSERT_EQ(result.steps, 80);
  EXPECT_FALSE(result.invariant_subspace);
  const double lmax = reference.eigenvalues().maxCoeff();
  EXPECT_NEAR(result.ritz_values.back(), lmax, 1e-8 * lmax);
  EXPECT_NEAR(result.ritz_values.front(), reference.eigenvalues().minCoeff(), 1e-8 * lmax);
  for (std::size_t i = 0; i < result.ritz_values.size(); ++i) {
    const Eigen::VectorXd& y = result.ritz_vectors[i];
    const double actual = (A * y - result.ritz_values[i] * y).norm();
    EXPECT_NEAR(actual, result.residual_bounds[i], 1e-8 * lmax) << "Ritz pair " << i;
    // Every Ritz value lies within its residual bound of some true eigenvalue.
    const double gap = (reference.eigenvalues().array() - result.ritz_values[i]).abs().minCoeff();
    EXPECT_LE(gap, result.residual_bounds[i] + 1e-8 * lmax);
  }
}

TEST(Lanczos, StopsOnAnInvariantSubspace) {
  // b is a combination of 3 eigenvectors: the Krylov space closes after 3 steps.
  const Grid grid = Grid::unit_box(2, 10);
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig{Eigen::MatrixXd(A)};
  const Eigen::VectorXd start =
      eig.eigenvectors().col(0) + eig.eigenvectors().col(10) + eig.eigenvectors().col(50);
  auto op = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = A * x; };
  const auto result = lanczos(EigenSpace{}, op, start, LanczosOptions().steps(20));
  EXPECT_TRUE(result.invariant_subspace);
  EXPECT_EQ(result.steps, 3);
  EXPECT_NEAR(result.ritz_values[1], eig.eigenvalues()[10], 1e-9 * eig.eigenvalues()[50]);
}

TEST(Lanczos, LongRunsOnFineSpacingsConverge) {
  // Long runs on operators with large entries (1/h^2 up to 1e10). Eigen's tridiagonal eigensolver,
  // called on T as it is, fails to converge on some of these (its deflation test is not scale
  // invariant; which spacing fails depends on round-off, so on the compiler flags: with -O2 it
  // was h = 1e-5, with -O3 -march=native 1e-2 and 1e-4 among others). Every Ritz value must lie
  // within its residual bound of an eigenvalue of A, and the extreme ones must be converged.
  Grid unit(2, {40, 40, 1}, {1.0, 1.0, 1.0});
  apply_geometry(unit, "sphere");
  const Eigen::VectorXd unit_eigenvalues =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(
          dense_fluid_block(unit, assemble_eigen_matrix(unit)), Eigen::EigenvaluesOnly)
          .eigenvalues();

  for (double h : {1e-2, 1e-4, 1e-5}) {
    SCOPED_TRACE("spacing " + std::to_string(h));
    Grid grid(2, {40, 40, 1}, {h, h, 1.0});
    apply_geometry(grid, "sphere");
    const SparseMatrix A = assemble_eigen_matrix(grid);
    auto op = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = A * x; };
    const auto result =
        lanczos(EigenSpace{}, op, fluid_start(grid, 5), LanczosOptions().steps(1000));
    ASSERT_EQ(result.steps, 1000);
    const Eigen::VectorXd eigenvalues = unit_eigenvalues / (h * h);
    const double lmax = eigenvalues.maxCoeff();
    EXPECT_NEAR(result.ritz_values.front(), eigenvalues.minCoeff(), 1e-9 * lmax);
    EXPECT_NEAR(result.ritz_values.back(), lmax, 1e-9 * lmax);
    for (int i = 0; i < result.steps; ++i) {
      const double gap = (eigenvalues.array() - result.ritz_values[i]).abs().minCoeff();
      EXPECT_LE(gap, result.residual_bounds[i] + 1e-8 * lmax) << "Ritz value " << i;
    }
  }
}

TEST(Lanczos, PetscVectorsGiveTheSameRitzValues) {
  const Grid grid = obstacle_grid();
  const SparseMatrix A = assemble_eigen_matrix(grid);
  petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
  const auto start_field = random_rhs(grid, grid.full_box(), 4);
  auto start = problem.create_vector();
  problem.set_from_grid_field(start_field, start);
  const auto options = LanczosOptions().steps(30);
  const auto on_petsc =
      lanczos(petsc::PetscSpace{}, petsc::MatOperator{problem.matrix()}, start, options);
  auto op = [&](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = A * x; };
  const Eigen::VectorXd se =
      Eigen::Map<const Eigen::VectorXd>(start_field.data(), grid.num_cells());
  const auto on_eigen = lanczos(EigenSpace{}, op, se, options);
  ASSERT_EQ(on_petsc.steps, on_eigen.steps);
  for (int i = 0; i < on_eigen.steps; ++i)
    EXPECT_NEAR(on_petsc.ritz_values[i], on_eigen.ritz_values[i],
                1e-9 * on_eigen.ritz_values.back());
}

TEST(Lanczos, RejectsBadInput) {
  auto op = [](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = x; };
  EXPECT_THROW(lanczos(EigenSpace{}, op, Eigen::VectorXd::Zero(4), LanczosOptions()),
               std::invalid_argument);
  EXPECT_THROW(lanczos(EigenSpace{}, op, Eigen::VectorXd::Ones(4), LanczosOptions().steps(0)),
               std::invalid_argument);
}
