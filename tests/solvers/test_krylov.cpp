// The Krylov core: CG written once, run over Eigen, Torch and PETSc vectors, against PETSc's KSPCG;
// reason codes for every way a solve can end; the options and monitor contract.
#include <gtest/gtest.h>

#include <petscksp.h>

#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/krylov/torch_space.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"
#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
namespace petsc = deepsolve::petsc;

namespace {

Eigen::VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

struct EigenMatrixOperator {
  const SparseMatrix& A;
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& y) const { y = A * x; }
};

/// PETSc's own CG (no preconditioner, unpreconditioned norm) on the assembled matrix.
int petsc_cg_iterations(const petsc::DmdaPoisson& problem, Vec b, double rtol) {
  KSP ksp = deepsolve::testing::petsc_cg(problem.matrix(), PCNONE, rtol);
  auto x = problem.create_vector();
  KSPSolve(ksp, b, x);
  PetscInt its;
  KSPGetIterationNumber(ksp, &its);
  KSPConvergedReason reason;
  KSPGetConvergedReason(ksp, &reason);
  EXPECT_EQ(reason, KSP_CONVERGED_RTOL);
  KSPDestroy(&ksp);
  return static_cast<int>(its);
}

}  // namespace

TEST(ConjugateGradient, EveryVectorSpaceMatchesPetscKspCg) {
  for (const auto& [name, grid] : deepsolve::testing::test_grids()) {
    SCOPED_TRACE(name);
    petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
    auto rhs = random_rhs(grid, grid.full_box(), 17);
    auto b = problem.create_vector();
    problem.set_from_grid_field(rhs, b);
    if (problem.null_space()) {
      problem.project_out_null_space(b);
      rhs = problem.gather_to_all(b);
    }
    const double rtol = 1e-8;
    const int reference = petsc_cg_iterations(problem, b, rtol);
    EXPECT_GT(reference, 5);  // a real solve, not a trivial one
    const auto options = KrylovOptions().rtol(rtol);

    // Eigen vectors with the matrix-free stencil, and with the assembled Eigen matrix.
    const StencilOperator stencil(grid);
    auto stencil_apply = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) {
      stencil.apply(in.data(), out.data());
    };
    const Eigen::VectorXd be = to_eigen(rhs);
    Eigen::VectorXd xe(be.size());
    const SolveResult eigen_mf = conjugate_gradient(EigenSpace{}, stencil_apply, be, xe, options);
    const SparseMatrix A = assemble_eigen_matrix(grid);
    Eigen::VectorXd xa(be.size());
    const SolveResult eigen_aij =
        conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, be, xa, options);

    // Torch tensors with the tensor stencil, on the CPU and, where LibTorch has one, on a GPU.
    const TorchStencilOperator torch_op(grid);
    torch::Tensor bt = torch::tensor(rhs, torch::kFloat64);
    torch::Tensor xt = torch::zeros_like(bt);
    const SolveResult torch_result = conjugate_gradient(TorchSpace{}, torch_op, bt, xt, options);
    if (torch::cuda::is_available()) {
      const TorchStencilOperator gpu_op(grid, torch::kCUDA);
      // The CUDA stencil kernel where deepsolve was built with CUDA.
      EXPECT_EQ(gpu_op.uses_cuda_kernel(), DEEPSOLVE_HAVE_CUDA == 1 && !grid.has_coefficients());
      torch::Tensor bg = bt.to(torch::kCUDA), xg = torch::zeros_like(bg);
      const SolveResult gpu = conjugate_gradient(TorchSpace{}, gpu_op, bg, xg, options);
      EXPECT_NEAR(gpu.iterations, reference, 1);
      EXPECT_LE((xg.cpu() - xt).norm().item<double>(), 1e-6 * xt.norm().item<double>());
    }

    // PETSc vectors with the matrix-free MATSHELL and with the assembled Mat.
    auto xp = problem.create_vector();
    auto petsc_mf_op = [&](const petsc::Vector& in, petsc::Vector& out) {
      problem.apply_matrix_free(in, out);
    };
    const SolveResult petsc_mf =
        conjugate_gradient(petsc::PetscSpace{}, petsc_mf_op, b, xp, options);
    const SolveResult petsc_aij = conjugate_gradient(
        petsc::PetscSpace{}, petsc::MatOperator{problem.matrix()}, b, xp, options);

    for (const SolveResult* r : {&eigen_mf, &eigen_aij, &torch_result, &petsc_mf, &petsc_aij}) {
      EXPECT_EQ(r->reason, ConvergedReason::converged_rtol);
      EXPECT_NEAR(r->iterations, reference, 1);
      EXPECT_LE(r->true_relative_residual, 2 * rtol);
      EXPECT_EQ(r->residual_history.size(), static_cast<std::size_t>(r->iterations) + 1);
    }
    // The solutions agree with each other.
    const Eigen::Map<const Eigen::VectorXd> xtm(xt.data_ptr<double>(), xt.numel());
    const Eigen::VectorXd xpe = to_eigen(problem.gather_to_all(xp));
    EXPECT_LE((xtm - xe).norm(), 1e-6 * xe.norm());
    EXPECT_LE((xpe - xe).norm(), 1e-6 * xe.norm());
  }
}

TEST(ConjugateGradient, PreconditionedMatchesPetscJacobi) {
  Grid grid = Grid::unit_box(3, 12);
  std::vector<double> k(static_cast<std::size_t>(grid.num_cells()));
  SplitMix64 rng(5);
  for (auto& v : k) v = std::exp(4.0 * rng.uniform());  // coefficients over 1.7 decades
  grid.set_coefficients(k);
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const Eigen::VectorXd inv_diag = A.diagonal().cwiseInverse();
  auto jacobi = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = inv_diag.cwiseProduct(r); };
  const Eigen::VectorXd b = to_eigen(random_rhs(grid, grid.full_box(), 3));
  Eigen::VectorXd x(b.size());
  const auto options = KrylovOptions().rtol(1e-8);
  const SolveResult plain = conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, b, x, options);
  const SolveResult pcg =
      conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, b, x, options, jacobi);
  EXPECT_TRUE(pcg.converged());
  EXPECT_LT(pcg.iterations, plain.iterations);  // Jacobi pays off with varying coefficients

  petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
  auto bp = problem.create_vector();
  problem.set_from_grid_field(random_rhs(grid, grid.full_box(), 3), bp);
  KSP ksp = deepsolve::testing::petsc_cg(problem.matrix(), PCJACOBI, 1e-8);
  PC pc;
  KSPGetPC(ksp, &pc);
  KSPSetUp(ksp);
  auto xp = problem.create_vector();
  KSPSolve(ksp, bp, xp);
  PetscInt its;
  KSPGetIterationNumber(ksp, &its);
  EXPECT_NEAR(pcg.iterations, its, 1);
  // The library's PCG over PETSc vectors with PETSc's own PC object.
  const SolveResult lib =
      conjugate_gradient(petsc::PetscSpace{}, petsc::MatOperator{problem.matrix()}, bp, xp, options,
                         petsc::PcPreconditioner{pc});
  EXPECT_NEAR(lib.iterations, its, 1);
  KSPDestroy(&ksp);
}

TEST(ConjugateGradient, ReportsAnIndefiniteOperatorInsteadOfLooping) {
  // -A is negative definite: the first curvature p^T A p is negative.
  const Grid grid = Grid::unit_box(2, 8);
  const SparseMatrix A = -assemble_eigen_matrix(grid);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(grid.num_cells());
  Eigen::VectorXd x(b.size());
  const SolveResult r =
      conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, b, x, KrylovOptions());
  EXPECT_EQ(r.reason, ConvergedReason::diverged_indefinite_mat);
  EXPECT_EQ(to_string(r.reason), "DIVERGED_INDEFINITE_MAT");
  EXPECT_EQ(r.iterations, 0);

  // A symmetric indefinite matrix (eigenvalues 1 and -1): curvature vanishes along b.
  SparseMatrix S(2, 2);
  S.insert(0, 1) = 1.0;
  S.insert(1, 0) = 1.0;
  Eigen::VectorXd b2(2), x2(2);
  b2 << 1.0, 0.0;
  const SolveResult r2 =
      conjugate_gradient(EigenSpace{}, EigenMatrixOperator{S}, b2, x2, KrylovOptions());
  EXPECT_EQ(r2.reason, ConvergedReason::diverged_breakdown);
}

TEST(ConjugateGradient, ReasonsForNanIterationLimitZeroRhsAndAtol) {
  const Grid grid = Grid::unit_box(2, 16);
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const EigenMatrixOperator op{A};
  Eigen::VectorXd b = to_eigen(random_rhs(grid, grid.full_box(), 1));
  Eigen::VectorXd x(b.size());

  Eigen::VectorXd bad = b;
  bad[7] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(conjugate_gradient(EigenSpace{}, op, bad, x, KrylovOptions()).reason,
            ConvergedReason::diverged_nanorinf);

  const SolveResult limited =
      conjugate_gradient(EigenSpace{}, op, b, x, KrylovOptions().max_iterations(5));
  EXPECT_EQ(limited.reason, ConvergedReason::diverged_its);
  EXPECT_EQ(limited.iterations, 5);

  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(b.size());
  const SolveResult trivial = conjugate_gradient(EigenSpace{}, op, zero, x, KrylovOptions());
  EXPECT_TRUE(trivial.converged());
  EXPECT_EQ(trivial.iterations, 0);
  EXPECT_EQ(x.norm(), 0.0);

  const SolveResult absolute =
      conjugate_gradient(EigenSpace{}, op, b, x, KrylovOptions().rtol(0.0).atol(1e-3 * b.norm()));
  EXPECT_EQ(absolute.reason, ConvergedReason::converged_atol);
  EXPECT_LE(absolute.residual_history.back(), 1e-3 * b.norm());

  // dtol: a wildly wrong initial guess makes the first residual huge.
  Eigen::VectorXd far = Eigen::VectorXd::Constant(b.size(), 1e12);
  const SolveResult diverged =
      conjugate_gradient(EigenSpace{}, op, b, far, KrylovOptions().nonzero_initial_guess(true));
  EXPECT_EQ(diverged.reason, ConvergedReason::diverged_dtol);
}

TEST(ConjugateGradient, NonzeroInitialGuessAndMonitor) {
  const Grid grid = Grid::unit_box(2, 16);
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const Eigen::VectorXd b = to_eigen(random_rhs(grid, grid.full_box(), 2));
  Eigen::VectorXd x(b.size());
  std::vector<std::pair<int, double>> seen;
  const auto options =
      KrylovOptions().rtol(1e-10).monitor([&](int it, double r) { seen.emplace_back(it, r); });
  const SolveResult first = conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, b, x, options);
  ASSERT_EQ(seen.size(), first.residual_history.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, static_cast<int>(i));
    EXPECT_EQ(seen[i].second, first.residual_history[i]);
  }
  // Restarting from the converged solution needs no iteration.
  const SolveResult again =
      conjugate_gradient(EigenSpace{}, EigenMatrixOperator{A}, b, x,
                         KrylovOptions().rtol(1e-8).nonzero_initial_guess(true));
  EXPECT_EQ(again.iterations, 0);
  EXPECT_TRUE(again.converged());
}

TEST(ConjugateGradient, RejectsInvalidOptions) {
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(3);
  Eigen::VectorXd x(3);
  auto op = [](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = in; };
  try {
    conjugate_gradient(EigenSpace{}, op, b, x, KrylovOptions().rtol(-1.0));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "invalid Krylov option rtol = -1 (must be in [0, 1))");
  }
  EXPECT_THROW(conjugate_gradient(EigenSpace{}, op, b, x, KrylovOptions().max_iterations(-2)),
               std::invalid_argument);
}
