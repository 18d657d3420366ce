// lambda_max(A^T A) by Lanczos against Eigen's dense symmetric eigensolver, for dense, sparse,
// torch and batched matrices.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <Eigen/Eigenvalues>
#include <Eigen/SparseCore>
#include <cmath>
#include <limits>

#include "../support/expect_error.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"

namespace du = deepsolve::unfolded;
using deepsolve_test::expect_error;

namespace {

Eigen::MatrixXd gaussian(int m, int n, int seed) {
  torch::manual_seed(seed);
  const torch::Tensor t = torch::randn({n, m}, torch::kFloat64);  // column-major view of [m, n]
  return Eigen::Map<const Eigen::MatrixXd>(t.data_ptr<double>(), m, n);
}

double reference(const Eigen::MatrixXd& A) {
  const Eigen::MatrixXd gram = A.transpose() * A;
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gram, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .maxCoeff();
}

torch::Tensor to_torch(const Eigen::MatrixXd& A) {
  torch::Tensor t = torch::empty({A.rows(), A.cols()}, torch::kFloat64);
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j) t[i][j] = A(i, j);
  return t;
}

}  // namespace

TEST(Lipschitz, DenseMatchesTheDenseEigensolverWideAndTall) {
  for (const auto& [m, n] : {std::pair{30, 60}, std::pair{60, 30}, std::pair{250, 500}}) {
    const Eigen::MatrixXd A = gaussian(m, n, m + n);
    const double expected = reference(A);
    EXPECT_NEAR(du::lipschitz_constant(A), expected, 1e-10 * expected) << m << " x " << n;
  }
}

TEST(Lipschitz, SparseAndTorchAgreeWithDense) {
  Eigen::MatrixXd A = gaussian(40, 70, 5);
  // Keep about a third of the entries.
  for (Eigen::Index j = 0; j < A.cols(); ++j)
    for (Eigen::Index i = 0; i < A.rows(); ++i)
      if ((i * 7 + j * 3) % 3 != 0) A(i, j) = 0.0;
  const Eigen::SparseMatrix<double> S = A.sparseView();
  const double expected = reference(A);
  EXPECT_NEAR(du::lipschitz_constant(S), expected, 1e-10 * expected);
  EXPECT_NEAR(du::lipschitz_constant(to_torch(A)), expected, 1e-10 * expected);
  // float32: the matrix is rounded first, so agreement is to float precision.
  EXPECT_NEAR(du::lipschitz_constant(to_torch(A).to(torch::kFloat32)), expected, 1e-5 * expected);
  EXPECT_EQ(du::lipschitz_constant(Eigen::MatrixXd::Zero(3, 4)), 0.0);
}

TEST(Lipschitz, BatchEqualsOneByOne) {
  torch::manual_seed(11);
  const torch::Tensor A = torch::randn({3, 20, 35}, torch::kFloat64);
  const torch::Tensor L = du::lipschitz_constants(A);
  ASSERT_EQ(L.sizes(), torch::IntArrayRef({3}));
  EXPECT_EQ(L.scalar_type(), torch::kFloat64);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(L[b].item<double>(), du::lipschitz_constant(A[b]));
    const double expected =
        torch::linalg::eigvalsh(torch::matmul(A[b].t(), A[b]), "L").max().item<double>();
    EXPECT_NEAR(L[b].item<double>(), expected, 1e-10 * expected);
  }
  EXPECT_EQ(du::lipschitz_constants(A.to(torch::kFloat32)).scalar_type(), torch::kFloat32);
}

TEST(Lipschitz, BadInputIsNamed) {
  Eigen::MatrixXd A = Eigen::MatrixXd::Ones(3, 4);
  A(1, 2) = std::numeric_limits<double>::quiet_NaN();
  expect_error<std::invalid_argument>([&] { du::lipschitz_constant(A); }, "non-finite");
  expect_error<std::invalid_argument>([] { du::lipschitz_constant(Eigen::MatrixXd(0, 4)); },
                                      "0 x 4");
  expect_error<std::invalid_argument>(
      [] {
        du::lipschitz_constant(torch::ones({2, 3, 4}));
      },
      "[2, 3, 4]");
  expect_error<std::invalid_argument>(
      [] {
        du::lipschitz_constants(torch::ones({3, 4}));
      },
      "[B, m, n]");
  torch::Tensor batch = torch::ones({2, 3, 4});
  batch[1][0][0] = std::numeric_limits<double>::infinity();
  expect_error<std::invalid_argument>([&] { du::lipschitz_constants(batch); },
                                      {"problem 1", "non-finite"});
}
