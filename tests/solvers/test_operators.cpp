// The three forms of the operator agree (matrix-free stencil, Eigen matrix, tensor stencil; the
// PETSc Mat is checked in test_petsc_mpi.cpp), the operator is symmetric with the expected null
// space, and the discretisation converges at second order on manufactured solutions.
#include <gtest/gtest.h>

#include <Eigen/SparseCholesky>

#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/stencil_cell.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"
#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
using deepsolve::testing::test_grids;

namespace {

Eigen::VectorXd random_vector(std::int64_t n, std::uint64_t seed) {
  Eigen::VectorXd v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = hashed_normal(seed, static_cast<std::uint64_t>(i));
  return v;
}

}  // namespace

TEST(Operators, MatrixIsSymmetricWithPositiveDiagonal) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const SparseMatrix At = A.transpose();
    EXPECT_EQ((A - At).norm(), 0.0);
    for (std::int64_t i = 0; i < A.rows(); ++i) EXPECT_GE(A.coeff(i, i), 0.0);
  }
}

TEST(Operators, MatrixFreeMatchesAssembled) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const StencilOperator op(grid);
    EXPECT_EQ(op.variable_coefficients(), grid.has_coefficients());
    for (std::uint64_t seed : {1u, 2u}) {
      const Eigen::VectorXd x = random_vector(grid.num_cells(), seed);
      const Eigen::VectorXd expected = A * x;
      Eigen::VectorXd y(grid.num_cells());
      op.apply(x.data(), y.data());
      EXPECT_LE((y - expected).norm(), 1e-13 * expected.norm());
    }
  }
}

// The per-cell form that the CUDA kernel runs (stencil_cell.hpp), compiled for the CPU, gives the
// matrix-free operator's values to the last bit on every constant-coefficient geometry.
TEST(Operators, StencilCellMatchesMatrixFreeBitForBit) {
  int checked = 0;
  for (const auto& [name, grid] : test_grids()) {
    if (grid.has_coefficients()) continue;
    SCOPED_TRACE(name);
    const auto& n = grid.size();
    std::vector<std::uint16_t> codes(static_cast<std::size_t>(grid.num_cells()));
    for (int k = 0; k < n[2]; ++k)
      for (int j = 0; j < n[1]; ++j)
        for (int i = 0; i < n[0]; ++i)
          codes[static_cast<std::size_t>(grid.index(i, j, k))] = stencil_code(grid, i, j, k);
    StencilCodeView v;
    v.codes = codes.data();
    v.nx = n[0];
    v.ny = n[1];
    v.nz = n[2];
    v.dim = grid.dim();
    for (int d = 0; d < grid.dim(); ++d) v.w[d] = 1.0 / (grid.spacing()[d] * grid.spacing()[d]);
    v.eliminated_diag = eliminated_diagonal(grid);

    const Eigen::VectorXd x = random_vector(grid.num_cells(), 5);
    Eigen::VectorXd expected(grid.num_cells());
    StencilOperator(grid).apply(x.data(), expected.data());
    for (int k = 0; k < n[2]; ++k)
      for (int j = 0; j < n[1]; ++j)
        for (int i = 0; i < n[0]; ++i) {
          const auto c = grid.index(i, j, k);
          ASSERT_EQ(stencil_cell(v, x.data(), i, j, k), expected[c])
              << "cell (" << i << ", " << j << ", " << k << ")";
        }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(Operators, MatrixFreeOnASubBoxWithGhostsMatchesAssembled) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const Eigen::VectorXd x = random_vector(grid.num_cells(), 9);
    const Eigen::VectorXd expected = A * x;
    // An interior box and a box touching the upper faces, as two ranks of a DMDA would own.
    const auto& n = grid.size();
    const bool is3 = grid.dim() == 3;
    for (Box owned : {Box{{1, 2, is3 ? 1 : 0}, {n[0] - 3, n[1] - 4, is3 ? n[2] - 2 : 1}},
                      Box{{n[0] / 2, 0, 0}, {n[0] - n[0] / 2, n[1], n[2]}}}) {
      Box ghost = owned;
      for (int d = 0; d < grid.dim(); ++d) {
        if (owned.lo[d] > 0) --ghost.lo[d], ++ghost.n[d];
        if (owned.lo[d] + owned.n[d] < n[d]) ++ghost.n[d];
      }
      const StencilOperator op(grid, owned);
      const auto xg =
          restrict_to_box(grid, std::vector<double>(x.data(), x.data() + x.size()), ghost);
      std::vector<double> y(static_cast<std::size_t>(owned.num_cells()));
      op.apply(xg.data(), ghost, y.data());
      const auto want = restrict_to_box(
          grid, std::vector<double>(expected.data(), expected.data() + expected.size()), owned);
      for (std::size_t c = 0; c < y.size(); ++c)
        EXPECT_NEAR(y[c], want[c], 1e-12 * std::abs(want[c]) + 1e-12);
      // Without the ghost layer the operator refuses instead of reading out of bounds.
      if (!(ghost == owned)) {
        EXPECT_THROW(op.apply(xg.data(), owned, y.data()), std::invalid_argument);
      }
    }
  }
}

// Rows longer than the apply's chunk of 256 cells, with an obstacle run and a mixed run that both
// cross cell 256, on the whole grid and on a sub-box with ghosts (the test grids above are small).
TEST(Operators, MatrixFreeMatchesAssembledOnRowsLongerThanAChunk) {
  for (int dim : {2, 3}) {
    Grid grid(dim, {600, 7, dim == 3 ? 4 : 1}, {0.01, 0.1, 0.2});
    grid.set_boundary(Face::x_lo, Boundary::neumann);
    const int k = dim == 3 ? 2 : 0;
    for (int i = 250; i < 263; ++i) grid.set_cell(i, 3, k, CellType::solid);
    for (int i = 251; i < 262; i += 2) grid.set_cell(i, 5, k, CellType::solid);
    SCOPED_TRACE(dim);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const Eigen::VectorXd x = random_vector(grid.num_cells(), 13);
    const Eigen::VectorXd expected = A * x;
    Eigen::VectorXd y(grid.num_cells());
    StencilOperator(grid).apply(x.data(), y.data());
    EXPECT_LE((y - expected).norm(), 1e-13 * expected.norm());

    const Box owned{{3, 1, 0}, {590, 5, dim == 3 ? 3 : 1}};
    const Box ghost{{2, 0, 0}, {592, 7, dim == 3 ? 4 : 1}};
    const auto xg =
        restrict_to_box(grid, std::vector<double>(x.data(), x.data() + x.size()), ghost);
    std::vector<double> y_owned(static_cast<std::size_t>(owned.num_cells()));
    StencilOperator(grid, owned).apply(xg.data(), ghost, y_owned.data());
    const auto want = restrict_to_box(
        grid, std::vector<double>(expected.data(), expected.data() + expected.size()), owned);
    for (std::size_t c = 0; c < y_owned.size(); ++c)
      ASSERT_NEAR(y_owned[c], want[c], 1e-12 * std::abs(want[c]) + 1e-12) << "cell " << c;
  }
}

TEST(Operators, TensorStencilMatchesAssembled) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const Eigen::VectorXd x = random_vector(grid.num_cells(), 4);
    const Eigen::VectorXd expected = A * x;
    const TorchStencilOperator op(grid);
    torch::Tensor xt =
        torch::from_blob(const_cast<double*>(x.data()), {x.size()}, torch::kFloat64).clone();
    torch::Tensor yt = torch::empty_like(xt);
    op(xt, yt);
    const Eigen::Map<const Eigen::VectorXd> y(yt.data_ptr<double>(), yt.numel());
    EXPECT_LE((y - expected).norm(), 1e-13 * expected.norm());
  }
}

TEST(Operators, NullSpaceIsTheIndicatorOfFloatingComponents) {
  for (const auto& [name, grid] : test_grids()) {
    SCOPED_TRACE(name);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    const double scale = A.diagonal().maxCoeff();
    for (const auto& cells : grid.floating_components()) {
      Eigen::VectorXd z = Eigen::VectorXd::Zero(grid.num_cells());
      for (auto c : cells) z[c] = 1.0;
      EXPECT_LE((A * z).norm(), 1e-12 * scale * z.norm());
    }
  }
  // A Dirichlet problem is nonsingular: its Cholesky factorisation succeeds.
  const SparseMatrix A = assemble_eigen_matrix(test_grids()[4].grid);
  const Eigen::SparseMatrix<double> Acol = A;
  Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(Acol);
  EXPECT_EQ(llt.info(), Eigen::Success);
}

// Error of the discrete solution against the exact one at cell centres, max norm.
static double manufactured_error(Grid grid) {
  const ManufacturedSolution exact(grid);
  const auto f = exact.rhs(grid.full_box());
  const auto u = exact.solution(grid.full_box());
  const StencilOperator op(grid);
  auto apply = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) {
    op.apply(in.data(), out.data());
  };
  Eigen::VectorXd b =
      Eigen::Map<const Eigen::VectorXd>(f.data(), static_cast<Eigen::Index>(f.size()));
  Eigen::VectorXd x(b.size());
  const auto result = conjugate_gradient(EigenSpace{}, apply, b, x, KrylovOptions().rtol(1e-12));
  EXPECT_TRUE(result.converged()) << to_string(result.reason);
  const Eigen::Map<const Eigen::VectorXd> ue(u.data(), static_cast<Eigen::Index>(u.size()));
  Eigen::VectorXd e = x - ue;
  if (!grid.floating_components().empty())
    e.array() -= e.mean();  // solution defined up to a constant
  return e.lpNorm<Eigen::Infinity>();
}

TEST(Operators, SecondOrderConvergenceUnderRefinement) {
  struct Case {
    int dim;
    Boundary lo, hi;
    std::vector<int> sizes;
  };
  for (const Case& c : {Case{2, Boundary::dirichlet, Boundary::dirichlet, {16, 32, 64}},
                        Case{2, Boundary::neumann, Boundary::neumann, {16, 32, 64}},
                        Case{2, Boundary::dirichlet, Boundary::neumann, {16, 32, 64}},
                        Case{3, Boundary::dirichlet, Boundary::dirichlet, {8, 16, 32}},
                        Case{3, Boundary::neumann, Boundary::dirichlet, {8, 16, 32}}}) {
    std::vector<double> errors;
    for (int n : c.sizes) {
      Grid g(c.dim, {n, n, n}, {1.0 / n, 1.0 / n, 1.0 / n});
      for (int d = 0; d < c.dim; ++d) {
        g.set_boundary(static_cast<Face>(2 * d), c.lo);
        g.set_boundary(static_cast<Face>(2 * d + 1), c.hi);
      }
      errors.push_back(manufactured_error(g));
      std::printf("dim %d %s/%s n=%d: max error %.3e\n", c.dim, to_string(c.lo).c_str(),
                  to_string(c.hi).c_str(), n, errors.back());
    }
    for (std::size_t i = 1; i < errors.size(); ++i) {
      const double order = std::log2(errors[i - 1] / errors[i]);
      SCOPED_TRACE("dim " + std::to_string(c.dim) + " " + to_string(c.lo) + "/" + to_string(c.hi) +
                   ": errors " + std::to_string(errors[i - 1]) + " -> " +
                   std::to_string(errors[i]));
      EXPECT_GT(order, 1.8);
      EXPECT_LT(order, 2.3);
    }
  }
}
