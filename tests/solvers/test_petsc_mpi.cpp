// Run on 1, 2 and 4 ranks: the distributed PETSc forms of the operator (assembled AIJ on the DMDA
// and the matrix-free MATSHELL with ghost exchange) agree with the serial Eigen matrix, and CG over
// PETSc vectors gives the same iterations and solution as the serial solve, whatever the rank
// count.
#include <gtest/gtest.h>

#include <petscksp.h>

#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
namespace petsc = deepsolve::petsc;

namespace {

Eigen::VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

std::vector<double> random_field(const Grid& grid, std::uint64_t seed) {
  std::vector<double> v(static_cast<std::size_t>(grid.num_cells()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = hashed_normal(seed, i);
  return v;
}

}  // namespace

TEST(PetscMpi, DistributedOperatorsMatchTheSerialMatrix) {
  for (const auto& [name, grid] : deepsolve::testing::test_grids()) {
    SCOPED_TRACE(name);
    petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
    // The cells really are split over the ranks.
    PetscMPIInt size;
    MPI_Comm_size(PETSC_COMM_WORLD, &size);
    long long owned = problem.owned_box().num_cells(), total = 0;
    MPI_Allreduce(&owned, &total, 1, MPI_LONG_LONG, MPI_SUM, PETSC_COMM_WORLD);
    EXPECT_EQ(total, grid.num_cells());
    if (size > 1) {
      EXPECT_LT(owned, grid.num_cells());
    }

    const SparseMatrix A = assemble_eigen_matrix(grid);
    const auto xf = random_field(grid, 21);
    const Eigen::VectorXd expected = A * to_eigen(xf);

    auto x = problem.create_vector();
    auto y = problem.create_vector();
    problem.set_from_grid_field(xf, x);
    ASSERT_EQ(MatMult(problem.matrix(), x, y), 0);
    EXPECT_LE((to_eigen(problem.gather_to_all(y)) - expected).norm(), 1e-13 * expected.norm());
    ASSERT_EQ(MatMult(problem.matrix_free(), x, y), 0);
    EXPECT_LE((to_eigen(problem.gather_to_all(y)) - expected).norm(), 1e-13 * expected.norm());

    PetscBool symmetric = PETSC_FALSE;
    ASSERT_EQ(MatIsSymmetric(problem.matrix(), 0.0, &symmetric), 0);
    EXPECT_TRUE(symmetric);
    EXPECT_EQ(problem.null_space() != nullptr, !grid.floating_components().empty());
  }
}

TEST(PetscMpi, CgDoesNotDependOnTheRankCount) {
  for (const auto& [name, grid] : deepsolve::testing::test_grids()) {
    SCOPED_TRACE(name);
    petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
    auto b = problem.create_vector();
    problem.set_from_grid_field(random_rhs(grid, grid.full_box(), 8), b);
    problem.project_out_null_space(b);
    EXPECT_LE(problem.null_space_fraction(b), 1e-14);
    const auto rhs = problem.gather_to_all(b);
    const auto options = KrylovOptions().rtol(1e-9);

    // Serial reference on every rank: the same CG over Eigen vectors.
    const SparseMatrix A = assemble_eigen_matrix(grid);
    auto eigen_op = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = A * in; };
    const Eigen::VectorXd be = to_eigen(rhs);
    Eigen::VectorXd xe(be.size());
    const SolveResult serial = conjugate_gradient(EigenSpace{}, eigen_op, be, xe, options);
    ASSERT_TRUE(serial.converged());

    auto x = problem.create_vector();
    auto mf = [&](const petsc::Vector& in, petsc::Vector& out) {
      problem.apply_matrix_free(in, out);
    };
    const SolveResult distributed = conjugate_gradient(petsc::PetscSpace{}, mf, b, x, options);
    EXPECT_EQ(distributed.reason, ConvergedReason::converged_rtol);
    // Reductions are summed in a different order on each rank count; the counts may differ by one.
    EXPECT_NEAR(distributed.iterations, serial.iterations, 1);
    EXPECT_LE((to_eigen(problem.gather_to_all(x)) - xe).norm(), 1e-7 * xe.norm());

    KSP ksp = deepsolve::testing::petsc_cg(problem.matrix(), PCNONE, 1e-9);
    ASSERT_EQ(KSPSolve(ksp, b, x), 0);
    PetscInt its;
    KSPGetIterationNumber(ksp, &its);
    EXPECT_NEAR(its, serial.iterations, 1);
    KSPDestroy(&ksp);
  }
}

TEST(PetscMpi, IncompatibleNeumannRightHandSideIsDetectedAndProjected) {
  Grid grid = Grid::unit_box(3, 8);
  grid.set_all_boundaries(Boundary::neumann);
  petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
  ASSERT_NE(problem.null_space(), nullptr);
  auto b = problem.create_vector();
  std::vector<double> ones(static_cast<std::size_t>(grid.num_cells()), 1.0);
  problem.set_from_grid_field(ones, b);
  EXPECT_NEAR(problem.null_space_fraction(b), 1.0, 1e-14);  // entirely in the null space
  auto rhs = random_rhs(grid, grid.full_box(), 1);
  for (auto& v : rhs) v += 0.5;
  problem.set_from_grid_field(rhs, b);
  const double fraction = problem.null_space_fraction(b);
  EXPECT_GT(fraction, 0.1);
  problem.project_out_null_space(b);
  EXPECT_LE(problem.null_space_fraction(b), 1e-14);
  const auto projected = problem.gather_to_all(b);
  double sum = 0.0;
  for (double v : projected) sum += v;
  EXPECT_NEAR(sum, 0.0, 1e-10);
}
