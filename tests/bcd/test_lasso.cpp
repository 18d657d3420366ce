// deepsolve::bcd Lasso / elastic net (bcd/lasso.hpp) and the LIBSVM reader (libsvm.hpp) on small
// seeded problems: optimality (KKT) at the solution, the duality gap, dense and sparse storage
// giving the same w, an elastic net with a closed form, the path against independent solves,
// alpha >= alpha_max, bad input; LIBSVM files with defects at known lines.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "deepsolve/solvers/bcd/lasso.hpp"
#include "deepsolve/solvers/libsvm.hpp"
#include "deepsolve/solvers/random.hpp"

namespace {

using deepsolve::bcd::LassoOptions;
using deepsolve::bcd::LassoStop;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Sparse = Eigen::SparseMatrix<double>;

// n x p Gaussian with correlated neighbouring columns (x_j = g_j + 0.5 g_{j-1}), y = X w0 + noise
// with a few nonzeros in w0.
struct Problem {
  MatrixXd X;
  VectorXd y;
};
Problem make_dense(int n, int p, std::uint64_t seed) {
  using deepsolve::solvers::hashed_normal;
  MatrixXd g(n, p);
  for (int j = 0; j < p; ++j)
    for (int i = 0; i < n; ++i) g(i, j) = hashed_normal(seed, std::uint64_t(j) * n + i);
  Problem pr;
  pr.X = g;
  pr.X.rightCols(p - 1) += 0.5 * g.leftCols(p - 1);
  VectorXd w0 = VectorXd::Zero(p);
  for (int k = 0; k < 5; ++k) w0[(k * 7 + 3) % p] = (k % 2 ? -1.0 : 1.0) * (1.0 + k);
  pr.y = pr.X * w0;
  for (int i = 0; i < n; ++i) pr.y[i] += 0.1 * hashed_normal(seed + 1, i);
  return pr;
}

// Keeps each entry of X with probability `density`.
Sparse sparsify(const MatrixXd& X, double density, std::uint64_t seed) {
  deepsolve::solvers::SplitMix64 rng(seed);
  MatrixXd kept = X;
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (rng.uniform() >= density) kept(i, j) = 0.0;
  return kept.sparseView();
}

// The optimality conditions of the elastic net: g_j = x_j^T r / n - alpha (1 - rho) w_j satisfies
// |g_j| <= alpha rho, and g_j = alpha rho sign(w_j) where w_j != 0.
void expect_kkt(const MatrixXd& X, const VectorXd& y, const VectorXd& w, double alpha, double rho,
                double slack) {
  const double n = static_cast<double>(X.rows());
  const VectorXd g = X.transpose() * (y - X * w) / n - alpha * (1 - rho) * w;
  int support = 0;
  for (Eigen::Index j = 0; j < w.size(); ++j) {
    EXPECT_LE(std::abs(g[j]), alpha * rho * (1 + slack)) << "feature " << j;
    if (w[j] != 0.0) {
      ++support;
      EXPECT_NEAR(g[j], alpha * rho * (w[j] > 0 ? 1.0 : -1.0), alpha * rho * slack)
          << "feature " << j;
    }
  }
  EXPECT_GT(support, 0);
}

TEST(Lasso, SolutionMeetsKktAndGap) {
  const Problem pr = make_dense(60, 120, 1);
  LassoOptions o;
  o.alpha = 0.1 * deepsolve::bcd::lasso_alpha_max(pr.X, pr.y);
  o.tol = 1e-12;
  const auto res = deepsolve::bcd::solve_lasso(pr.X, pr.y, o);
  EXPECT_EQ(res.reason, LassoStop::converged);
  EXPECT_LE(res.duality_gap, res.gap_tolerance);
  EXPECT_DOUBLE_EQ(res.gap_tolerance, 1e-12 * pr.y.squaredNorm() / (2 * 60));
  EXPECT_GT(res.iterations, 0);
  EXPECT_EQ(res.nnz, (res.coef.array() != 0).count());
  expect_kkt(pr.X, pr.y, res.coef, o.alpha, 1.0, 1e-4);
  // The certificate recomputed from scratch agrees with the solver's record.
  const auto cert = deepsolve::bcd::lasso_certificate(pr.X, pr.y, o.alpha, 1.0, res.coef);
  EXPECT_NEAR(cert.objective, res.objective, 1e-12 * res.objective);
  EXPECT_LE(cert.duality_gap, res.gap_tolerance * 1.01);
  EXPECT_GE(cert.duality_gap, -1e-12);
  const double n = 60;
  const double expected =
      (pr.y - pr.X * res.coef).squaredNorm() / (2 * n) + o.alpha * res.coef.lpNorm<1>();
  EXPECT_NEAR(res.objective, expected, 1e-12 * expected);
  // A looser tol stops earlier with a larger (but admissible) gap.
  o.tol = 1e-3;
  const auto loose = deepsolve::bcd::solve_lasso(pr.X, pr.y, o);
  EXPECT_LE(loose.duality_gap, loose.gap_tolerance);
  EXPECT_LE(loose.iterations, res.iterations);
}

TEST(Lasso, DenseAndSparseGiveTheSameSolution) {
  const Problem pr = make_dense(80, 150, 2);
  const Sparse Xs = sparsify(pr.X, 0.2, 3);
  const MatrixXd Xd = MatrixXd(Xs);
  LassoOptions o;
  o.alpha = 0.05 * deepsolve::bcd::lasso_alpha_max(Xs, pr.y);
  o.tol = 1e-14;
  const auto dense = deepsolve::bcd::solve_lasso(Xd, pr.y, o);
  const auto sparse = deepsolve::bcd::solve_lasso(Xs, pr.y, o);
  EXPECT_EQ(dense.reason, LassoStop::converged);
  EXPECT_EQ(sparse.reason, LassoStop::converged);
  EXPECT_LT((dense.coef - sparse.coef).lpNorm<Eigen::Infinity>(), 1e-6);
  EXPECT_NEAR(dense.objective, sparse.objective, 1e-12 * dense.objective);
  expect_kkt(Xd, pr.y, sparse.coef, o.alpha, 1.0, 1e-4);
}

TEST(Lasso, ElasticNetMatchesTheClosedFormOfAnOrthogonalDesign) {
  // X^T X = n I: each w_j = S(x_j^T y / n, alpha rho) / (1 + alpha (1 - rho)).
  const int n = 40, p = 12;
  const Problem pr = make_dense(n, p, 4);
  const MatrixXd Q = Eigen::HouseholderQR<MatrixXd>(pr.X).householderQ() * MatrixXd::Identity(n, p);
  const MatrixXd X = std::sqrt(double(n)) * Q;
  LassoOptions o;
  o.l1_ratio = 0.6;
  o.alpha = 0.3 * deepsolve::bcd::lasso_alpha_max(X, pr.y, o.l1_ratio);
  o.tol = 1e-14;
  const auto res = deepsolve::bcd::solve_lasso(X, pr.y, o);
  EXPECT_EQ(res.reason, LassoStop::converged);
  const VectorXd z = X.transpose() * pr.y / n;
  int nonzero = 0;
  for (int j = 0; j < p; ++j) {
    const double t = o.alpha * o.l1_ratio;
    const double s = z[j] > t ? z[j] - t : (z[j] < -t ? z[j] + t : 0.0);
    const double expected = s / (1 + o.alpha * (1 - o.l1_ratio));
    EXPECT_NEAR(res.coef[j], expected, 1e-8) << "feature " << j;
    nonzero += expected != 0.0;
  }
  EXPECT_GT(nonzero, 0);
  EXPECT_LT(nonzero, p);
}

TEST(Lasso, ElasticNetMatchesProximalGradient) {
  const Problem pr = make_dense(50, 70, 5);
  const double rho = 0.5;
  LassoOptions o;
  o.l1_ratio = rho;
  o.alpha = 0.1 * deepsolve::bcd::lasso_alpha_max(pr.X, pr.y, rho);
  o.tol = 1e-13;
  const auto res = deepsolve::bcd::solve_lasso(pr.X, pr.y, o);
  EXPECT_EQ(res.reason, LassoStop::converged);
  expect_kkt(pr.X, pr.y, res.coef, o.alpha, rho, 1e-4);
  // FISTA on the same objective (smooth part with the ridge term, L1 by soft thresholding).
  const double n = 50;
  const double L = Eigen::SelfAdjointEigenSolver<MatrixXd>(pr.X.transpose() * pr.X / n)
                       .eigenvalues()
                       .maxCoeff() +
                   o.alpha * (1 - rho);
  VectorXd w = VectorXd::Zero(70), v = w;
  double t = 1;
  for (int k = 0; k < 20000; ++k) {
    const VectorXd grad = pr.X.transpose() * (pr.X * v - pr.y) / n + o.alpha * (1 - rho) * v;
    VectorXd u = v - grad / L;
    const double thr = o.alpha * rho / L;
    for (int j = 0; j < 70; ++j) u[j] = u[j] > thr ? u[j] - thr : (u[j] < -thr ? u[j] + thr : 0.0);
    const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
    v = u + (t - 1) / t_next * (u - w);
    w = u;
    t = t_next;
  }
  EXPECT_LT((w - res.coef).lpNorm<Eigen::Infinity>(), 1e-5);
  const auto fista = deepsolve::bcd::lasso_certificate(pr.X, pr.y, o.alpha, rho, w);
  EXPECT_NEAR(res.objective, fista.objective, 1e-9 * fista.objective);
}

TEST(Lasso, PathWithWarmStartsEqualsIndependentSolves) {
  const Problem pr = make_dense(50, 100, 6);
  const Sparse Xs = sparsify(pr.X, 0.3, 7);
  const double amax = deepsolve::bcd::lasso_alpha_max(Xs, pr.y);
  const auto alphas = deepsolve::bcd::lasso_alpha_grid(amax, 10, 0.01);
  ASSERT_EQ(alphas.size(), 10u);
  EXPECT_DOUBLE_EQ(alphas.front(), amax);
  EXPECT_NEAR(alphas.back(), amax / 100, 1e-15 * amax);
  LassoOptions o;
  o.tol = 1e-12;
  const auto path = deepsolve::bcd::solve_lasso_path(Xs, pr.y, alphas, o);
  ASSERT_EQ(path.size(), alphas.size());
  EXPECT_EQ(path.front().nnz, 0);  // alpha_max: w = 0
  for (std::size_t k = 0; k < alphas.size(); ++k) {
    o.alpha = alphas[k];
    const auto single = deepsolve::bcd::solve_lasso(Xs, pr.y, o);
    EXPECT_EQ(path[k].reason, LassoStop::converged);
    EXPECT_LT((path[k].coef - single.coef).lpNorm<Eigen::Infinity>(), 1e-5) << "alpha " << k;
    EXPECT_NEAR(path[k].objective, single.objective, 1e-10 * single.objective);
  }
  // The support grows (roughly: a feature may leave) from alpha_max to alpha_max / 100.
  EXPECT_GT(path.back().nnz, path[2].nnz);
  EXPECT_GT(path[2].nnz, 0);
}

TEST(Lasso, AlphaAboveAlphaMaxGivesZero) {
  const Problem pr = make_dense(30, 40, 8);
  LassoOptions o;
  o.alpha = deepsolve::bcd::lasso_alpha_max(pr.X, pr.y) * 1.0001;
  const auto res = deepsolve::bcd::solve_lasso(pr.X, pr.y, o);
  EXPECT_EQ(res.reason, LassoStop::converged);
  EXPECT_EQ(res.nnz, 0);
  EXPECT_EQ(res.iterations, 0);
  EXPECT_NEAR(res.objective, pr.y.squaredNorm() / 60, 1e-12);
  // Just below alpha_max one feature enters.
  o.alpha = deepsolve::bcd::lasso_alpha_max(pr.X, pr.y) * 0.999;
  o.tol = 1e-12;
  EXPECT_EQ(deepsolve::bcd::solve_lasso(pr.X, pr.y, o).nnz, 1);
}

TEST(Lasso, IterationLimitIsReported) {
  const Problem pr = make_dense(40, 60, 9);
  LassoOptions o;
  o.alpha = 0.01 * deepsolve::bcd::lasso_alpha_max(pr.X, pr.y);
  o.tol = 1e-14;
  o.max_iterations = 2;
  const auto res = deepsolve::bcd::solve_lasso(pr.X, pr.y, o);
  EXPECT_EQ(res.reason, LassoStop::max_iterations);
  EXPECT_EQ(res.iterations, 2);
  EXPECT_GT(res.duality_gap, res.gap_tolerance);
  EXPECT_STREQ(deepsolve::bcd::to_string(res.reason), "max_iterations");
}

void expect_invalid(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one naming '" << part << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Lasso, RefusesBadInput) {
  const Problem pr = make_dense(10, 8, 10);
  LassoOptions o;
  o.alpha = 0.1;
  o.alpha = -1;
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, pr.y, o); }, "alpha");
  o.alpha = 0.1;
  o.l1_ratio = 1.5;
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, pr.y, o); }, "l1_ratio");
  o.l1_ratio = 1;
  o.tol = 0;
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, pr.y, o); }, "tol");
  o.tol = 1e-6;
  const VectorXd short_y = pr.y.head(9);
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, short_y, o); }, "9");
  MatrixXd bad = pr.X;
  bad(3, 4) = std::nan("");
  expect_invalid([&] { deepsolve::bcd::solve_lasso(bad, pr.y, o); }, "X has a non-finite");
  VectorXd bad_y = pr.y;
  bad_y[2] = INFINITY;
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, bad_y, o); }, "y has a non-finite");
  expect_invalid([&] { deepsolve::bcd::solve_lasso(pr.X, pr.y, o, VectorXd::Zero(3)); },
                 "warm start");
}

// ---- LIBSVM reader ----

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("deepsolve_test_lasso_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

TEST(Libsvm, ReadsLabelsFeaturesCommentsQidAndCrlf) {
  const std::string path = write_temp("good.svm",
                                      "# a comment line\n"
                                      "1.5 1:2 3:-1e-1 # trailing comment\r\n"
                                      "\n"
                                      "-2 qid:7 2:4\t4:0.5\r\n"
                                      "+3\n");
  const auto d = deepsolve::solvers::read_libsvm(path);
  ASSERT_EQ(d.X.rows(), 3);
  ASSERT_EQ(d.X.cols(), 4);
  EXPECT_EQ(d.y, (VectorXd(3) << 1.5, -2, 3).finished());
  const MatrixXd X = MatrixXd(d.X);
  MatrixXd expected = MatrixXd::Zero(3, 4);
  expected(0, 0) = 2;
  expected(0, 2) = -0.1;
  expected(1, 1) = 4;
  expected(1, 3) = 0.5;
  EXPECT_EQ(X, expected);
  EXPECT_EQ(deepsolve::solvers::read_libsvm(path, 6).X.cols(), 6);
  std::filesystem::remove(path);
}

TEST(Libsvm, NamesTheLineOfEachDefect) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"1 1:2\n1 0:3\n", ":2: the index '0' is not positive"},
      {"1 1:2\n\n1 3:1 2:3\n", ":3: the index 2 is not above the previous one (3)"},
      {"1 1:2 1:3\n", ":1: the index 1 is not above"},
      {"1 1:2\nabc 1:1\n", ":2: the label 'abc' is not a number"},
      {"1 1:x\n", ":1: the value 'x' is not a number"},
      {"# c\n1 1:inf\n", ":2: the value 'inf' is not finite"},
      {"1 1:1e999\n", ":1: the value '1e999' is not finite"},
      {"1 1:2 3\n", ":1: the field '3' has no ':'"},
      {"1 a:2\n", ":1: the index 'a' is not a positive integer"},
      {"1 1:2 qid:3\n", ":1: qid: must come right after the label"},
      {"1 1:2\n2 5:1\n", ":2: the index 5 is beyond the 4 features"},
  };
  int k = 0;
  for (const auto& c : cases) {
    const std::string path = write_temp("bad" + std::to_string(k++) + ".svm", c.text);
    try {
      deepsolve::solvers::read_libsvm(path, 4);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path + c.message), std::string::npos)
          << e.what() << " (expected " << c.message << ")";
    }
    std::filesystem::remove(path);
  }
  const std::string empty = write_temp("empty.svm", "# nothing\n\n");
  EXPECT_THROW(deepsolve::solvers::read_libsvm(empty), std::runtime_error);
  std::filesystem::remove(empty);
  EXPECT_THROW(deepsolve::solvers::read_libsvm("/nonexistent/file.svm"), std::runtime_error);
}

}  // namespace
