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

namespace {

/// A policy that stops after a fixed number of iterations and logs what it was told.
struct CountingPolicy {
  int stop_after;
  std::vector<int> checked;
  std::vector<ConvergedReason> stopped;
  ConvergedReason check(int it, double) {
    checked.push_back(it);
    return it >= stop_after ? ConvergedReason::converged_its : ConvergedReason::iterating;
  }
  ConvergedReason stop(int, ConvergedReason why) {
    stopped.push_back(why);
    return why;
  }
};

/// EigenSpace with the fused operations, counting reductions (a fused mdot is one).
struct FusedCountingSpace : EigenSpace {
  mutable int reductions = 0;
  double dot(const vector& a, const vector& b) const {
    ++reductions;
    return EigenSpace::dot(a, b);
  }
  double norm(const vector& x) const {
    ++reductions;
    return std::sqrt(EigenSpace::dot(x, x));
  }
  void mdot(const vector& x, int n, const vector* const* y, double* out) const {
    ++reductions;
    for (int j = 0; j < n; ++j) out[j] = x.dot(*y[j]);
  }
  void maxpy(int n, const double* alpha, const vector* const* x, vector& y) const {
    for (int j = 0; j < n; ++j) y += alpha[j] * *x[j];
  }
  void waxpy(double alpha, const vector& x, const vector& y, vector& w) const { w = alpha * x + y; }
  void scale_copy(double alpha, const vector& x, vector& y) const { y = alpha * x; }
};

}  // namespace

TEST(ConjugateDirections, APolicyDecidesWhenToStop) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  auto identity = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q = r; };
  Eigen::VectorXd x(pb.b.size());
  CountingPolicy policy{4, {}, {}};
  ConjugateDirectionWork<EigenSpace> work(EigenSpace{}, pb.b);
  const KrylovOutcome out = conjugate_directions_with(policy, EigenSpace{}, A, identity, pb.b, x,
                                                      ConjugateDirectionOptions(), work);
  EXPECT_EQ(out.reason, ConvergedReason::converged_its);
  EXPECT_EQ(out.iterations, 4);
  EXPECT_EQ(policy.checked, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(policy.stopped.empty());
  // The work vectors serve a second solve; a breakdown goes through stop().
  auto zero = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q.setZero(r.size()); };
  CountingPolicy breakdown{100, {}, {}};
  const KrylovOutcome broken = conjugate_directions_with(breakdown, EigenSpace{}, A, zero, pb.b, x,
                                                         ConjugateDirectionOptions(), work);
  EXPECT_EQ(broken.reason, ConvergedReason::diverged_breakdown);
  EXPECT_EQ(broken.iterations, 0);
  EXPECT_EQ(breakdown.stopped, (std::vector<ConvergedReason>{ConvergedReason::diverged_breakdown}));
  // CG takes the same policy.
  CountingPolicy cg_policy{3, {}, {}};
  ConjugateGradientWork<EigenSpace> cg_work(EigenSpace{}, pb.b, false);
  EXPECT_EQ(conjugate_gradient_with(cg_policy, EigenSpace{}, A, pb.b, x, false, cg_work).iterations,
            3);
  EXPECT_EQ(cg_policy.checked, (std::vector<int>{0, 1, 2, 3}));
}

TEST(ConjugateDirections, FusedSpaceOperationsGiveTheSameIterationWithFewerReductions) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  const Eigen::VectorXd inv_diag = pb.A.diagonal().cwiseInverse();
  auto jacobi = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = inv_diag.cwiseProduct(r); };
  for (int window : {2, 5}) {
    SCOPED_TRACE("window " + std::to_string(window));
    const auto options =
        ConjugateDirectionOptions().window(window).krylov(KrylovOptions().rtol(1e-8));
    Eigen::VectorXd x_plain(pb.b.size()), x_fused(pb.b.size());
    const SolveResult plain = conjugate_directions(EigenSpace{}, A, jacobi, pb.b, x_plain, options);
    FusedCountingSpace fused;
    const SolveResult f = conjugate_directions(fused, A, jacobi, pb.b, x_fused, options);
    ASSERT_TRUE(plain.converged());
    // The fused forms do the same arithmetic here, so the iteration is the same to the last bit.
    EXPECT_EQ(f.iterations, plain.iterations);
    EXPECT_EQ(f.residual_history, plain.residual_history);
    // One reduction per iteration for the coefficients (two passes past a window of 2), one for
    // q^T A q with q^T r, one norm; plus ||b||, the first norm and the final true residual.
    int expected = 3 + 2 * f.iterations;
    for (int it = 1; it < f.iterations; ++it) expected += std::min(it, window) > 2 ? 2 : 1;
    EXPECT_EQ(fused.reductions, expected);
  }
}

TEST(ConjugateDirections, TheWindowHasAnUpperBound) {
  const Problem pb = sphere_problem();
  auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = pb.A * in; };
  auto identity = [](const Eigen::VectorXd& r, Eigen::VectorXd& q) { q = r; };
  Eigen::VectorXd x(pb.b.size());
  EXPECT_NO_THROW(ConjugateDirectionOptions().window(max_conjugate_direction_window).validate());
  for (int window :
       {max_conjugate_direction_window + 1, 1000000000, std::numeric_limits<int>::max()}) {
    try {
      conjugate_directions(EigenSpace{}, A, identity, pb.b, x,
                           ConjugateDirectionOptions().window(window));
      ADD_FAILURE() << "window " << window << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("window = " + std::to_string(window) +
                                           " (must be in [0, 10000]"),
                std::string::npos)
          << e.what();
    }
  }
}
