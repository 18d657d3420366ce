// A downstream program: builds a small grid, assembles the Poisson matrix, solves with CG over
// Eigen vectors and the matrix-free stencil operator, and checks the answer with the assembled
// matrix. Exits non-zero unless CG converged. Compiled against the installed package only.
#include <cstdio>
#include <vector>

#include <Eigen/Core>

#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"

int main() {
  namespace ds = deepsolve::solvers;
  ds::Grid grid = ds::Grid::unit_box(2, 32);
  grid.set_boundary(ds::Face::x_hi, ds::Boundary::neumann);
  const ds::SparseMatrix A = ds::assemble_eigen_matrix(grid);
  const ds::StencilOperator op(grid);

  const std::vector<double> f = ds::random_rhs(grid, grid.full_box(), 42);
  const Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(f.data(), f.size());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(b.size());
  auto apply = [&op](const Eigen::VectorXd& in, Eigen::VectorXd& out) {
    op.apply(in.data(), out.data());
  };
  const ds::SolveResult result = ds::conjugate_gradient(
      ds::EigenSpace{}, apply, b, x, ds::KrylovOptions().rtol(1e-8).max_iterations(1000));

  const double residual = (b - A * x).norm() / b.norm();
  std::printf("deepsolve %s (PETSc %d): %s, CG %s after %d iterations, |b - Ax|/|b| = %.2e\n",
              DEEPSOLVE_VERSION, DEEPSOLVE_WITH_PETSC, grid.describe().c_str(),
              ds::to_string(result.reason).c_str(), result.iterations, residual);
  return result.converged() && residual < 1e-6 ? 0 : 1;
}
