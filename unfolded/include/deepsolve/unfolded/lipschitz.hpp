// The Lipschitz constant of the gradient of 1/2 ||y - A x||^2, L = lambda_max(A^T A) = ||A||_2^2:
// ISTA, FISTA and IHT take steps 1/L (Beck & Teboulle 2009, §2; Blumensath & Davies 2008), and
// the unfolded networks start from them.
//
// Computed with the library's Lanczos (solvers/krylov/lanczos.hpp, full reorthogonalisation) on
// the smaller of the Gram operators A^T A (n x n) and A A^T (m x m), which share their nonzero
// eigenvalues, from a fixed SplitMix64 start vector (the result is deterministic). The Lanczos
// basis grows (32, 64, ... steps, at most min(m, n, kMaxLipschitzSteps)) until the residual bound
// of the largest Ritz value theta, ||G s - theta s||, is <= kLipschitzTolerance * theta, or the
// Krylov space is invariant. There is an eigenvalue within that bound of theta (Weyl), and the
// Ritz value's error is in practice the square of it over the spectral gap: the relative error is
// <= 1e-10 guaranteed and ~1e-15 observed for 250 x 500 Gaussian matrices. theta is a Ritz value,
// so never above lambda_max. When the bound is not reached within the step cap the functions
// throw std::runtime_error rather than return a step that may be too long.
#pragma once

#include <torch/types.h>
#include <Eigen/Dense>
#include <Eigen/SparseCore>

namespace deepsolve::unfolded {

/// Relative accuracy asked of the Lanczos estimate (see above).
inline constexpr double kLipschitzTolerance = 1e-10;
/// The most Lanczos steps (the basis holds that many vectors of size min(m, n)).
inline constexpr int kMaxLipschitzSteps = 2000;

/// lambda_max(A^T A) of a dense or sparse m x n matrix (m, n >= 1, finite entries); 0 for A = 0.
/// Throws std::invalid_argument for an empty or non-finite A.
double lipschitz_constant(const Eigen::MatrixXd& A);
double lipschitz_constant(const Eigen::SparseMatrix<double>& A);
/// The same for a torch matrix [m, n] of any floating dtype on any device (copied to a float64
/// CPU matrix first).
double lipschitz_constant(const torch::Tensor& A);
/// One constant per problem of a batch of matrices [B, m, n]: a [B] tensor with A's dtype and
/// device. Each is the Lanczos estimate above (a loop over the batch on the CPU, in float64), so
/// it equals lipschitz_constant(A[b]) exactly.
torch::Tensor lipschitz_constants(const torch::Tensor& A);

}  // namespace deepsolve::unfolded
