// ISTA, FISTA and IHT (iterative.hpp): monotonicity, the Lasso's optimality conditions, the
// duality gap and the stopping tests, IHT's fixed point, and the agreement of the Eigen (dense,
// sparse) and torch (shared A, per-problem A, batched, float32, CUDA) paths.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <Eigen/SparseCore>
#include <cmath>
#include <limits>
#include <set>

#include "../support/expect_error.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"

namespace du = deepsolve::unfolded;
using deepsolve_test::expect_error;

namespace {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A batch of small sparse-recovery problems: A [m, n] Gaussian with variance 1/m, x with about
// 10% nonzeros, y = A x + 0.01 noise, all float64.
struct Problems {
  torch::Tensor A, x, y;
};

Problems make_problems(std::int64_t m, std::int64_t n, std::int64_t batch, std::uint64_t seed) {
  torch::manual_seed(seed);
  Problems p;
  p.A = torch::randn({m, n}, torch::kFloat64) / std::sqrt(double(m));
  p.x = torch::randn({batch, n}, torch::kFloat64) *
        (torch::rand({batch, n}, torch::kFloat64) < 0.1).to(torch::kFloat64);
  p.x.select(1, 0).fill_(1.5);  // every problem has a nonzero
  p.y = torch::matmul(p.x, p.A.t()) + 0.01 * torch::randn({batch, m}, torch::kFloat64);
  return p;
}

Eigen::MatrixXd to_eigen_matrix(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return Eigen::Map<const RowMajorMatrix>(c.data_ptr<double>(), c.size(0), c.size(1));
}

Eigen::VectorXd to_eigen_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous().reshape(-1);
  return Eigen::Map<const Eigen::VectorXd>(c.data_ptr<double>(), c.numel());
}

double max_difference(const Eigen::VectorXd& a, const torch::Tensor& b) {
  return (a - to_eigen_vector(b)).cwiseAbs().maxCoeff();
}

// lambda as a fraction of lambda_max = ||A^T y||_inf, above which x = 0 is the Lasso solution.
double lambda_fraction(const Eigen::MatrixXd& A, const Eigen::VectorXd& y, double fraction) {
  return fraction * (A.transpose() * y).cwiseAbs().maxCoeff();
}

void expect_non_increasing(const std::vector<double>& values, const char* what) {
  for (std::size_t k = 1; k < values.size(); ++k)
    EXPECT_LE(values[k], values[k - 1] * (1.0 + 1e-13) + 1e-15) << what << " at iterate " << k;
}

// The Lasso's optimality (KKT) conditions: g = A^T (y - A x) has g_i = lambda sign(x_i) on the
// support and |g_i| <= lambda elsewhere. Returns the largest violation relative to lambda.
double kkt_violation(const Eigen::MatrixXd& A, const Eigen::VectorXd& y, const Eigen::VectorXd& x,
                     double lambda) {
  const Eigen::VectorXd g = A.transpose() * (y - A * x);
  double worst = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double v = x[i] != 0.0 ? std::abs(g[i] - lambda * (x[i] > 0 ? 1.0 : -1.0))
                                 : std::max(0.0, std::abs(g[i]) - lambda);
    worst = std::max(worst, v / lambda);
  }
  return worst;
}

}  // namespace

TEST(Iterative, MethodNamesRoundTripAndPickThePenalty) {
  for (const auto method :
       {du::IterativeMethod::ista, du::IterativeMethod::fista, du::IterativeMethod::iht})
    EXPECT_EQ(du::parse_method(du::method_name(method)), method);
  EXPECT_EQ(du::penalty_of(du::IterativeMethod::fista), du::Penalty::l1);
  EXPECT_EQ(du::penalty_of(du::IterativeMethod::iht), du::Penalty::l0);
  EXPECT_EQ(du::stop_reason_name(du::StopReason::duality_gap), "duality_gap");
  expect_error<std::invalid_argument>([] { du::parse_method("cosamp", "--method"); },
                                      {"--method", "'cosamp'"});
}

TEST(Iterative, IstaDecreasesTheObjectiveAndFistaGetsLowerSooner) {
  const Problems p = make_problems(30, 60, 1, 1);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const double lambda = lambda_fraction(A, y, 0.05);
  const auto options = du::IterativeOptions().lambda(lambda).iterations(60).record_history(true);
  const du::IterativeResult ista = du::solve_iterative(A, y, options);
  ASSERT_EQ(ista.history.objective.size(), 61u);
  EXPECT_EQ(ista.iterations, 60);
  EXPECT_EQ(ista.reason, du::StopReason::max_iterations);
  expect_non_increasing(ista.history.objective, "ISTA objective");
  EXPECT_DOUBLE_EQ(ista.history.objective[0], 0.5 * y.squaredNorm());  // x_0 = 0
  EXPECT_DOUBLE_EQ(ista.history.objective.back(), ista.objective);
  EXPECT_NEAR(ista.step * ista.lipschitz, 1.0, 1e-15);

  const du::IterativeResult fista =
      du::solve_iterative(A, y, du::IterativeOptions(options).method(du::IterativeMethod::fista));
  // From the same number of gradient steps, FISTA's O(1/k^2) beats ISTA's O(1/k) on this
  // ill-conditioned (wide) problem: check it is lower by a margin.
  const double optimum =
      du::solve_iterative(A, y, du::IterativeOptions(options).iterations(20000)).objective;
  EXPECT_LT(fista.objective - optimum, 0.5 * (ista.objective - optimum));
  EXPECT_EQ(fista.history.support.size(), 61u);
}

TEST(Iterative, IstaAndFistaConvergeToTheLassoMinimiser) {
  const Problems p = make_problems(30, 60, 1, 2);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const double lambda = lambda_fraction(A, y, 0.1);
  const auto options = du::IterativeOptions().lambda(lambda).iterations(50000).gap_tolerance(1e-13);
  const du::IterativeResult ista = du::solve_iterative(A, y, options);
  const du::IterativeResult fista =
      du::solve_iterative(A, y, du::IterativeOptions(options).method(du::IterativeMethod::fista));
  for (const auto* r : {&ista, &fista}) {
    EXPECT_EQ(r->reason, du::StopReason::duality_gap);
    EXPECT_LT(r->iterations, 50000);
    EXPECT_LT(kkt_violation(A, y, r->x, lambda), 1e-5);
    EXPECT_GT((r->x.array() != 0.0).count(), 2);  // a nontrivial solution
  }
  // (No claim on which needs fewer iterations here: once the support is found ISTA converges
  // linearly, while FISTA's momentum oscillates; FISTA's advantage is early, checked above.)
  EXPECT_LT((ista.x - fista.x).norm(), 1e-5 * fista.x.norm());
  // A point that is not the minimiser violates the conditions.
  EXPECT_GT(kkt_violation(A, y, 0.9 * fista.x, lambda), 1e-2);
}

TEST(Iterative, DualityGapIsNonNegativeAndStopsTheIteration) {
  const Problems p = make_problems(30, 60, 1, 3);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const double lambda = lambda_fraction(A, y, 0.1);
  const auto options = du::IterativeOptions()
                           .method(du::IterativeMethod::fista)
                           .lambda(lambda)
                           .iterations(5000)
                           .gap_tolerance(1e-8)
                           .record_history(true);
  const du::IterativeResult r = du::solve_iterative(A, y, options);
  EXPECT_EQ(r.reason, du::StopReason::duality_gap);
  ASSERT_EQ(r.history.duality_gap.size(), std::size_t(r.iterations) + 1);
  for (std::size_t k = 0; k < r.history.duality_gap.size(); ++k)
    EXPECT_GE(r.history.duality_gap[k], -1e-12 * r.history.objective[k]) << k;
  EXPECT_LE(r.history.duality_gap.back(), 1e-8 * r.objective);
  // It stopped at the first iterate that met the test.
  const std::size_t before = r.history.duality_gap.size() - 2;
  EXPECT_GT(r.history.duality_gap[before], 1e-8 * r.history.objective[before]);
  EXPECT_GT(r.history.duality_gap[0], 1e-3 * r.history.objective[0]);
  // l0 has no duality gap to report.
  const du::IterativeResult iht = du::solve_iterative(A, y,
                                                      du::IterativeOptions()
                                                          .method(du::IterativeMethod::iht)
                                                          .lambda(0.01)
                                                          .iterations(3)
                                                          .record_history(true));
  EXPECT_TRUE(std::isnan(iht.history.duality_gap[1]));
}

TEST(Iterative, RelativeChangeStopsTheIteration) {
  const Problems p = make_problems(30, 60, 1, 4);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const auto options = du::IterativeOptions()
                           .lambda(lambda_fraction(A, y, 0.1))
                           .iterations(5000)
                           .relative_change(1e-6)
                           .record_history(true);
  const du::IterativeResult r = du::solve_iterative(A, y, options);
  EXPECT_EQ(r.reason, du::StopReason::relative_change);
  EXPECT_LT(r.iterations, 5000);
  ASSERT_EQ(r.history.relative_change.size(), std::size_t(r.iterations) + 1);
  EXPECT_TRUE(std::isnan(r.history.relative_change[0]));
  EXPECT_LE(r.history.relative_change.back(), 1e-6);
  EXPECT_GT(r.history.relative_change[r.iterations - 1], 1e-6);
  // Above lambda_max the solution is 0: x stays there and the test stops at once.
  const du::IterativeResult zero =
      du::solve_iterative(A, y, du::IterativeOptions(options).lambda(lambda_fraction(A, y, 1.01)));
  EXPECT_EQ(zero.iterations, 1);
  EXPECT_EQ(zero.reason, du::StopReason::relative_change);
  EXPECT_EQ(zero.x.norm(), 0.0);
}

TEST(Iterative, IhtDecreasesTheL0ObjectiveAndEndsAtAFixedPoint) {
  const Problems p = make_problems(30, 60, 1, 5);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const double L = du::lipschitz_constant(A);
  const double step = 0.9 / L, lambda = 0.02;
  const auto options = du::IterativeOptions()
                           .method(du::IterativeMethod::iht)
                           .lambda(lambda)
                           .step(step)
                           .iterations(3000)
                           .record_history(true);
  const du::IterativeResult r = du::solve_iterative(A, y, options);
  EXPECT_EQ(r.step, step);
  EXPECT_TRUE(std::isnan(r.lipschitz));
  expect_non_increasing(r.history.objective, "IHT objective");
  const Eigen::Index support = (r.x.array() != 0.0).count();
  EXPECT_GT(support, 1);
  EXPECT_LT(support, 30);
  EXPECT_DOUBLE_EQ(r.history.support.back(), double(support));
  EXPECT_NEAR(r.objective, 0.5 * (y - A * r.x).squaredNorm() + lambda * double(support), 1e-12);
  // The IHT map leaves the result in place (same support, same values).
  const Eigen::VectorXd again =
      du::shrink(du::Penalty::l0, r.x + step * (A.transpose() * (y - A * r.x)),
                 du::prox_threshold(du::Penalty::l0, lambda, step));
  EXPECT_EQ((again.array() != 0.0).count(), support);
  EXPECT_LT((again - r.x).norm(), 1e-10 * r.x.norm());
}

TEST(Iterative, EigenDenseSparseAndTorchGiveTheSameIterates) {
  const Problems p = make_problems(30, 60, 1, 6);
  const Eigen::MatrixXd A = to_eigen_matrix(p.A);
  const Eigen::SparseMatrix<double> S = A.sparseView();
  const Eigen::VectorXd y = to_eigen_vector(p.y);
  const Eigen::VectorXd x_true = to_eigen_vector(p.x);
  for (const auto method :
       {du::IterativeMethod::ista, du::IterativeMethod::fista, du::IterativeMethod::iht}) {
    const auto options = du::IterativeOptions()
                             .method(method)
                             .lambda(method == du::IterativeMethod::iht ? 0.01 : 0.05)
                             .iterations(100)
                             .record_history(true);
    const du::IterativeResult dense = du::solve_iterative(A, y, options, x_true);
    const du::IterativeResult sparse = du::solve_iterative(S, y, options, x_true);
    const du::BatchIterativeResult batch = du::solve_iterative(p.A, p.y, options, p.x);
    const std::string name = du::method_name(method);
    EXPECT_LT(max_difference(dense.x, batch.x), 1e-10) << name;
    EXPECT_LT((dense.x - sparse.x).cwiseAbs().maxCoeff(), 1e-10) << name;
    EXPECT_EQ(dense.step, sparse.step);
    EXPECT_DOUBLE_EQ(dense.step, batch.step[0].item<double>());
    EXPECT_NEAR(dense.objective, batch.objective[0].item<double>(), 1e-10 * dense.objective);
    ASSERT_EQ(batch.history.objective.size(), 101u) << name;
    for (std::size_t k = 0; k <= 100; k += 10) {
      EXPECT_NEAR(dense.history.objective[k], batch.history.objective[k],
                  1e-10 * dense.history.objective[k])
          << name << " " << k;
      EXPECT_NEAR(dense.history.nmse_db[k], batch.history.nmse_db[k], 1e-8) << name << " " << k;
      EXPECT_EQ(dense.history.support[k], batch.history.support[k]) << name << " " << k;
    }
    EXPECT_GT(dense.x.cwiseAbs().maxCoeff(), 0.1) << name;  // the runs did something
  }
}

TEST(Iterative, HistoryNmseAgainstAKnownSignal) {
  const Problems p = make_problems(30, 60, 4, 7);
  const auto options =
      du::IterativeOptions().method(du::IterativeMethod::fista).lambda(0.02).iterations(40);
  const du::BatchIterativeResult r =
      du::solve_iterative(p.A, p.y, du::IterativeOptions(options).record_history(true), p.x);
  ASSERT_EQ(r.history.nmse_db.size(), 41u);
  EXPECT_DOUBLE_EQ(r.history.nmse_db[0], 0.0);  // x_0 = 0: the error is the whole signal
  EXPECT_DOUBLE_EQ(r.history.nmse_db.back(), du::nmse_db(r.x, p.x));
  EXPECT_DOUBLE_EQ(r.nmse_db, r.history.nmse_db.back());
  EXPECT_LT(r.nmse_db, -5.0);  // well below x_0 = 0's 0 dB
  EXPECT_NEAR(r.history.support.back(), (r.x != 0).sum().item<double>() / 4.0, 1e-12);
  EXPECT_NEAR(r.history.objective.back(), r.objective.mean().item<double>(), 1e-12);
  // Without the reference, NaN; without record_history, no history but the same x.
  const du::BatchIterativeResult plain = du::solve_iterative(p.A, p.y, options);
  EXPECT_TRUE(std::isnan(plain.nmse_db));
  EXPECT_TRUE(plain.history.objective.empty());
  EXPECT_TRUE(torch::equal(plain.x, r.x));
}

TEST(Iterative, ABatchEqualsItsProblemsSolvedOneByOne) {
  const Problems p = make_problems(30, 60, 4, 8);
  // Different stopping iterations: each problem must be frozen when it meets the test.
  const auto options = du::IterativeOptions()
                           .method(du::IterativeMethod::fista)
                           .lambda(0.05)
                           .iterations(2000)
                           .relative_change(1e-7)
                           .gap_tolerance(1e-9);
  const du::BatchIterativeResult batch = du::solve_iterative(p.A, p.y, options, p.x);
  std::set<int> iteration_counts;
  for (std::int64_t b = 0; b < 4; ++b) {
    const auto one = du::solve_iterative(p.A, p.y.narrow(0, b, 1), options, p.x.narrow(0, b, 1));
    EXPECT_EQ(batch.problem_iterations[b], one.iterations) << b;
    EXPECT_EQ(batch.problem_reasons[b], one.reason) << b;
    EXPECT_LT((batch.x[b] - one.x[0]).abs().max().item<double>(), 1e-12) << b;
    iteration_counts.insert(one.iterations);
  }
  EXPECT_GT(iteration_counts.size(), 1u);
  EXPECT_EQ(batch.iterations, *iteration_counts.rbegin());
  EXPECT_NE(batch.reason, du::StopReason::max_iterations);

  // The shared A repeated per problem gives the same results as the shared A.
  const torch::Tensor repeated = p.A.unsqueeze(0).expand({4, 30, 60}).contiguous();
  const du::BatchIterativeResult per_problem = du::solve_iterative(repeated, p.y, options, p.x);
  EXPECT_TRUE(torch::allclose(per_problem.x, batch.x, 0.0, 1e-12));
  EXPECT_EQ(per_problem.problem_iterations, batch.problem_iterations);
  EXPECT_TRUE(torch::allclose(per_problem.step, batch.step, 1e-15, 0.0));

  // Different matrices per problem: each with its own L and step.
  const torch::Tensor scaled =
      repeated * torch::tensor({1.0, 2.0, 0.5, 1.5}, torch::kFloat64).reshape({4, 1, 1});
  const du::BatchIterativeResult own = du::solve_iterative(scaled, p.y, options);
  for (std::int64_t b = 0; b < 4; ++b) {
    const auto one = du::solve_iterative(scaled[b], p.y.narrow(0, b, 1), options);
    EXPECT_DOUBLE_EQ(own.step[b].item<double>(), one.step[0].item<double>()) << b;
    EXPECT_EQ(own.problem_iterations[b], one.iterations) << b;
    EXPECT_LT((own.x[b] - one.x[0]).abs().max().item<double>(), 1e-12) << b;
  }
  EXPECT_NEAR(own.step[1].item<double>() * 4.0, batch.step[1].item<double>(), 1e-12);
}

TEST(Iterative, Float32RunsInFloat32) {
  const Problems p = make_problems(30, 60, 3, 9);
  const auto options = du::IterativeOptions().lambda(0.05).iterations(200).record_history(true);
  const du::BatchIterativeResult r64 = du::solve_iterative(p.A, p.y, options, p.x);
  const du::BatchIterativeResult r32 = du::solve_iterative(
      p.A.to(torch::kFloat32), p.y.to(torch::kFloat32), options, p.x.to(torch::kFloat32));
  EXPECT_EQ(r32.x.scalar_type(), torch::kFloat32);
  EXPECT_LT((r32.x.to(torch::kFloat64) - r64.x).abs().max().item<double>(), 1e-4);
  EXPECT_NEAR(r32.history.objective.back(), r64.history.objective.back(),
              1e-5 * r64.history.objective.back());
}

TEST(Iterative, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Problems p = make_problems(30, 60, 3, 10);
  const auto options = du::IterativeOptions()
                           .method(du::IterativeMethod::fista)
                           .lambda(0.05)
                           .iterations(300)
                           .gap_tolerance(1e-10)
                           .record_history(true);
  const du::BatchIterativeResult cpu = du::solve_iterative(p.A, p.y, options, p.x);
  const du::BatchIterativeResult gpu =
      du::solve_iterative(p.A.cuda(), p.y.cuda(), options, p.x.cuda());
  EXPECT_TRUE(gpu.x.is_cuda());
  EXPECT_LT((gpu.x.cpu() - cpu.x).abs().max().item<double>(), 1e-10);
  EXPECT_EQ(gpu.problem_iterations, cpu.problem_iterations);
  const du::BatchIterativeResult gpu32 = du::solve_iterative(
      p.A.cuda().to(torch::kFloat32), p.y.cuda().to(torch::kFloat32),
      du::IterativeOptions(options).gap_tolerance(0.0), p.x.cuda().to(torch::kFloat32));
  EXPECT_EQ(gpu32.x.scalar_type(), torch::kFloat32);
  EXPECT_LT((gpu32.x.cpu().to(torch::kFloat64) - cpu.x).abs().max().item<double>(), 1e-3);
}

TEST(Iterative, BadOptionsAreNamed) {
  const auto good = du::IterativeOptions().lambda(0.1);
  EXPECT_NO_THROW(good.validate());
  expect_error<std::invalid_argument>([] { du::IterativeOptions().validate(); },
                                      {"lambda", "> 0", "got 0"});
  expect_error<std::invalid_argument>([&] { du::IterativeOptions(good).lambda(-1.0).validate(); },
                                      {"lambda", "-1"});
  expect_error<std::invalid_argument>([&] { du::IterativeOptions(good).iterations(0).validate(); },
                                      {"iterations", ">= 1", "0"});
  expect_error<std::invalid_argument>([&] { du::IterativeOptions(good).step(-0.5).validate(); },
                                      {"step", "-0.5"});
  expect_error<std::invalid_argument>(
      [&] { du::IterativeOptions(good).relative_change(-1e-3).validate(); }, "relative_change");
  expect_error<std::invalid_argument>(
      [&] {
        du::IterativeOptions(good)
            .gap_tolerance(std::numeric_limits<double>::quiet_NaN())
            .validate();
      },
      "gap_tolerance");
  expect_error<std::invalid_argument>(
      [&] {
        du::IterativeOptions(good).method(du::IterativeMethod::iht).gap_tolerance(1e-6).validate();
      },
      {"gap_tolerance", "iht"});
}

TEST(Iterative, BadEigenDataIsNamed) {
  const auto options = du::IterativeOptions().lambda(0.1).iterations(5);
  const Eigen::MatrixXd A = Eigen::MatrixXd::Ones(4, 6);
  const Eigen::VectorXd y = Eigen::VectorXd::Ones(4);
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, Eigen::VectorXd::Ones(5), options); }, {"y", "5", "4 x 6"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, y, options, Eigen::VectorXd::Ones(5)); },
      {"x_true", "5", "4 x 6"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, y, options, Eigen::VectorXd::Zero(6)); }, "all zero");
  Eigen::MatrixXd bad = A;
  bad(2, 3) = std::numeric_limits<double>::quiet_NaN();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(bad, y, options); },
                                      {"A", "non-finite"});
  Eigen::VectorXd bad_y = y;
  bad_y[1] = std::numeric_limits<double>::infinity();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(A, bad_y, options); },
                                      {"y", "non-finite"});
  const Eigen::SparseMatrix<double> sparse_bad = bad.sparseView();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(sparse_bad, y, options); },
                                      {"A", "non-finite"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(Eigen::MatrixXd::Zero(4, 6), y, options); }, {"step", "L = 0"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, y, du::IterativeOptions(options).iterations(0)); },
      "iterations");
}

TEST(Iterative, BadTorchDataIsNamed) {
  const auto options = du::IterativeOptions().lambda(0.1).iterations(5);
  const torch::Tensor A = torch::ones({4, 6}, torch::kFloat64);
  const torch::Tensor y = torch::ones({2, 4}, torch::kFloat64);
  expect_error<std::invalid_argument>(
      [&] {
        du::solve_iterative(A, torch::ones({2, 5}, torch::kFloat64), options);
      },
      {"y", "[2, 5]", "[4, 6]"});
  expect_error<std::invalid_argument>(
      [&] {
        du::solve_iterative(torch::ones({3, 4, 6}, torch::kFloat64), y, options);
      },
      {"[3, 4, 6]", "3 problems", "[2, 4]"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(torch::ones({6}, torch::kFloat64), y, options); }, "[6]");
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, y.to(torch::kFloat32), options); }, {"Double", "Float"});
  expect_error<std::invalid_argument>([&] { du::solve_iterative(A.to(torch::kInt64), y, options); },
                                      {"A", "Long"});
  expect_error<std::invalid_argument>(
      [&] {
        du::solve_iterative(A, y, options, torch::ones({2, 5}, torch::kFloat64));
      },
      {"x_true", "[2, 5]", "[2, 6]"});
  torch::Tensor bad = A.clone();
  bad[1][2] = std::numeric_limits<double>::quiet_NaN();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(bad, y, options); },
                                      {"A", "non-finite"});
  torch::Tensor bad_y = y.clone();
  bad_y[0][0] = -std::numeric_limits<double>::infinity();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(A, bad_y, options); },
                                      {"y", "non-finite"});
  torch::Tensor zero_one = torch::ones({2, 4, 6}, torch::kFloat64);
  zero_one[1].zero_();
  expect_error<std::invalid_argument>([&] { du::solve_iterative(zero_one, y, options); },
                                      {"problem 1", "L = 0"});
  expect_error<std::invalid_argument>(
      [&] { du::solve_iterative(A, y, du::IterativeOptions(options).lambda(0.0)); }, "lambda");
}
