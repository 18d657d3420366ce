// Lanczos with full reorthogonalisation (Golub & Van Loan, "Matrix Computations", 4th ed., §10.1
// and Alg. 10.3.1 with complete reorthogonalisation), for symmetric operators, written once for
// every vector space. Returns Ritz values and, on request, Ritz vectors: the DCDM training data is
// built from them, and spectral analyses use them.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>

#include "deepsolve/solvers/krylov/vector_space.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::solvers {

struct LanczosOptions {
  /// Number of Lanczos steps m (the size of the Krylov basis).
  DEEPSOLVE_ARG(int, steps) = 100;
  /// Also form the Ritz vectors V s_i (costs m^2 vector updates and m stored vectors).
  DEEPSOLVE_ARG(bool, compute_vectors) = false;
  /// Stop early when beta_j <= tolerance * |alpha_1|: the Krylov space is invariant.
  DEEPSOLVE_ARG(double, invariance_tolerance) = 1e-12;
};

template <class Vector>
struct LanczosResult {
  std::vector<double> alpha, beta;      ///< the tridiagonal T_m (beta has steps-1 entries)
  std::vector<double> ritz_values;      ///< eigenvalues of T_m, ascending
  std::vector<double> residual_bounds;  ///< ||A y_i - theta_i y_i|| = beta_m |s_{m,i}|
  std::vector<Vector> ritz_vectors;     ///< unit-norm, same order as ritz_values (if requested)
  int steps = 0;                        ///< steps taken (fewer than asked on an invariant subspace)
  bool invariant_subspace = false;
};

/// Runs m steps from `start` (normalised internally; it must be nonzero and finite).
template <class Space, class Operator>
LanczosResult<typename Space::vector> lanczos(const Space& space, const Operator& A,
                                              const typename Space::vector& start,
                                              const LanczosOptions& options) {
  using Vector = typename Space::vector;
  if (options.steps() < 1)
    throw std::invalid_argument("Lanczos steps must be >= 1, got " +
                                std::to_string(options.steps()));
  const double start_norm = norm(space, start);
  if (!(start_norm > 0.0) || !std::isfinite(start_norm))
    throw std::invalid_argument("Lanczos start vector must be nonzero and finite");

  LanczosResult<Vector> result;
  std::vector<Vector> V;
  V.reserve(static_cast<std::size_t>(options.steps()));
  V.push_back(space.create_like(start));
  space.copy(start, V[0]);
  space.scale(1.0 / start_norm, V[0]);  // v_1 = q / ||q||
  auto w = space.create_like(start);
  double beta_last = 0.0;

  for (int j = 0; j < options.steps(); ++j) {
    A(V[j], w);                                               // w <- A v_j
    if (j > 0) space.axpy(-result.beta[j - 1], V[j - 1], w);  // w <- w - beta_{j-1} v_{j-1}
    const double alpha = space.dot(V[j], w);
    space.axpy(-alpha, V[j], w);  // w <- w - alpha_j v_j
    result.alpha.push_back(alpha);
    // Full reorthogonalisation, twice ("twice is enough", Parlett): keeps V orthonormal to
    // working precision so no spurious copies of converged Ritz values appear.
    for (int pass = 0; pass < 2; ++pass)
      for (int i = 0; i <= j; ++i) space.axpy(-space.dot(V[i], w), V[i], w);
    beta_last = norm(space, w);
    result.steps = j + 1;
    if (!std::isfinite(alpha) || !std::isfinite(beta_last))
      throw std::runtime_error("Lanczos: non-finite value at step " + std::to_string(j + 1) +
                               " (is the operator finite?)");
    if (beta_last <= options.invariance_tolerance() * std::abs(result.alpha[0]) ||
        beta_last == 0.0) {
      result.invariant_subspace = true;
      beta_last = 0.0;
      break;
    }
    if (j + 1 == options.steps()) break;
    result.beta.push_back(beta_last);
    V.push_back(space.create_like(start));
    space.copy(w, V[j + 1]);
    space.scale(1.0 / beta_last, V[j + 1]);  // v_{j+1} = w / beta_j
  }

  const int m = result.steps;
  Eigen::VectorXd diag = Eigen::Map<const Eigen::VectorXd>(result.alpha.data(), m);
  Eigen::VectorXd sub(std::max(m - 1, 0));
  for (int i = 0; i + 1 < m; ++i) sub[i] = result.beta[i];
  // Eigen's tridiagonal QR deflates when |beta_i| <= eps sqrt(|alpha_i| + |alpha_i+1|), a test
  // that is not scale invariant: for a T with entries ~1e5 (a Poisson matrix with h = 1/128) it
  // asks for off-diagonals below round-off and can fail to converge. Its dense solver scales the
  // matrix to unit size first; do the same here and scale the eigenvalues back.
  const double scale =
      std::max(diag.cwiseAbs().maxCoeff(), sub.size() > 0 ? sub.cwiseAbs().maxCoeff() : 0.0);
  const double inv_scale = scale > 0.0 ? 1.0 / scale : 1.0;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  eig.computeFromTridiagonal(diag * inv_scale, sub * inv_scale, Eigen::ComputeEigenvectors);
  if (eig.info() != Eigen::Success)
    throw std::runtime_error("Lanczos: the tridiagonal eigensolver did not converge (" +
                             std::to_string(m) + " steps)");
  const Eigen::MatrixXd& S = eig.eigenvectors();
  for (int i = 0; i < m; ++i) {
    result.ritz_values.push_back(eig.eigenvalues()[i] / inv_scale);
    result.residual_bounds.push_back(beta_last * std::abs(S(m - 1, i)));
  }
  if (options.compute_vectors()) {
    for (int i = 0; i < m; ++i) {
      Vector y = space.create_like(start);
      for (int k = 0; k < m; ++k) space.axpy(S(k, i), V[k], y);  // y_i = V s_i
      result.ritz_vectors.push_back(std::move(y));
    }
  }
  return result;
}

}  // namespace deepsolve::solvers
