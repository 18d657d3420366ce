// The conjugate-direction iteration (DCDM's outer loop) with classical direction models: the
// identity reproduces CG, Jacobi reproduces Jacobi-PCG, and broken models end with a reason.
#include <gtest/gtest.h>

#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;

namespace {

struct Problem {
  Grid grid;
  SparseMatrix A;
  Eigen::VectorXd b;
};

Problem sphere_problem() {
  Grid grid = Grid::unit_box(3, 16);
  apply_geometry(grid, "sphere");
  std::vector<double> k(static_cast<std::size_t>(grid.num_cells()));
  SplitMix64 rng(2);
  for (auto& v : k) v = std::exp(3.0 * rng.uniform());
  grid.set_coefficients(k);
  const auto rhs = random_rhs(grid, grid.full_box(), 6);
  SparseMatrix A = assemble_eigen_matrix(grid);
  return {grid, A,
          Eigen::Map<const Eigen::VectorXd>(rhs.data(), static_cast<Eigen::Index>(rhs.size()))};
}

}  // namespace

TEST(ConjugateDirections, IdentityDirectionsReproduceCg) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  auto identity = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q = r; };
  const auto stop = KrylovOptions().rtol(1e-8);
  Eigen::VectorXd x_cg(pb.b.size()), x_cd(pb.b.size());
  const SolveResult cg = conjugate_gradient(EigenSpace{}, A, pb.b, x_cg, stop);
  for (bool true_residual : {true, false}) {
    const SolveResult cd = conjugate_directions(
        EigenSpace{}, A, identity, pb.b, x_cd,
        ConjugateDirectionOptions().krylov(stop).window(2).true_residual(true_residual));
    EXPECT_EQ(cd.reason, ConvergedReason::converged_rtol);
    EXPECT_NEAR(cd.iterations, cg.iterations, 2);
    EXPECT_LE(cd.true_relative_residual, 1.01e-8);
    EXPECT_LE((x_cd - x_cg).norm(), 1e-6 * x_cg.norm());
  }
  // Without A-orthogonalisation the identity model is steepest descent: far slower.
  const SolveResult sd =
      conjugate_directions(EigenSpace{}, A, identity, pb.b, x_cd,
                           ConjugateDirectionOptions()
                               .krylov(KrylovOptions().rtol(1e-8).max_iterations(3 * cg.iterations))
                               .window(0));
  EXPECT_EQ(sd.reason, ConvergedReason::diverged_its);
}

TEST(ConjugateDirections, JacobiDirectionsReproduceJacobiPcg) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  const Eigen::VectorXd inv_diag = pb.A.diagonal().cwiseInverse();
  auto jacobi = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = inv_diag.cwiseProduct(r); };
  const auto stop = KrylovOptions().rtol(1e-8);
  Eigen::VectorXd x(pb.b.size());
  const SolveResult pcg = conjugate_gradient(EigenSpace{}, A, pb.b, x, stop, jacobi);
  const SolveResult cd = conjugate_directions(EigenSpace{}, A, jacobi, pb.b, x,
                                              ConjugateDirectionOptions().krylov(stop));
  EXPECT_TRUE(cd.converged());
  EXPECT_NEAR(cd.iterations, pcg.iterations, 2);
}

TEST(ConjugateDirections, BrokenModelsEndWithAReason) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  Eigen::VectorXd x(pb.b.size());
  auto zero = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q.setZero(r.size()); };
  EXPECT_EQ(
      conjugate_directions(EigenSpace{}, A, zero, pb.b, x, ConjugateDirectionOptions()).reason,
      ConvergedReason::diverged_breakdown);
  auto nan = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
    q = r;
    q[3] = std::numeric_limits<double>::quiet_NaN();
  };
  EXPECT_EQ(conjugate_directions(EigenSpace{}, A, nan, pb.b, x, ConjugateDirectionOptions()).reason,
            ConvergedReason::diverged_nanorinf);
  // A crude model (the sign pattern of r) and an rtol it cannot reach in 50 iterations: the
  // iteration limit ends the solve, there is no endless loop.
  auto coarse = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
    q = r.array().sign().matrix() * r.norm();
  };
  const SolveResult limited = conjugate_directions(
      EigenSpace{}, A, coarse, pb.b, x,
      ConjugateDirectionOptions().krylov(KrylovOptions().rtol(1e-14).max_iterations(50)));
  EXPECT_EQ(limited.reason, ConvergedReason::diverged_its);
  EXPECT_EQ(limited.iterations, 50);
  EXPECT_THROW(
      conjugate_directions(EigenSpace{}, A, zero, pb.b, x, ConjugateDirectionOptions().window(-1)),
      std::invalid_argument);
}
