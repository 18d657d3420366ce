// lambda_max(A^T A) by Lanczos on the smaller Gram operator (see lipschitz.hpp for the accuracy).
#include "deepsolve/unfolded/lipschitz.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "deepsolve/learned/random.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/krylov/lanczos.hpp"

namespace deepsolve::unfolded {

// Named, so that these helpers cannot meet another file's in the unity build.
namespace {
namespace lipschitz_detail {

// Fixed so that L (and every step 1/L built on it) is the same on every run and machine.
constexpr std::uint64_t kStartSeed = 0x4c697073636869ULL;

std::string size_text(Eigen::Index m, Eigen::Index n) {
  return std::to_string(m) + " x " + std::to_string(n);
}

void check_size(Eigen::Index m, Eigen::Index n, const char* what) {
  if (m < 1 || n < 1)
    throw std::invalid_argument(std::string("Lipschitz constant: ") + what + " A is " +
                                size_text(m, n) + ", it needs at least one row and one column");
}

// The largest eigenvalue of the symmetric positive semidefinite operator `gram` of size `dim`.
template <class Gram>
double largest_eigenvalue(const Gram& gram, Eigen::Index dim) {
  Eigen::VectorXd start(dim);
  for (Eigen::Index i = 0; i < dim; ++i)
    start[i] = learned::hashed_normal(kStartSeed, static_cast<std::uint64_t>(i));
  const int cap = static_cast<int>(std::min<Eigen::Index>(dim, kMaxLipschitzSteps));
  double theta = 0.0, bound = 0.0;
  for (int steps = std::min(32, cap);; steps = std::min(2 * steps, cap)) {
    const auto result = solvers::lanczos(solvers::EigenSpace{}, gram, start,
                                         solvers::LanczosOptions().steps(steps));
    theta = result.ritz_values.back();
    bound = result.residual_bounds.back();
    // Exhausting the whole space (steps == dim) makes the Krylov space invariant in exact
    // arithmetic; the residual bound is then round-off.
    if (result.invariant_subspace || bound <= kLipschitzTolerance * theta || result.steps == dim)
      return std::max(theta, 0.0);
    if (steps == cap) break;
  }
  std::ostringstream message;
  message << "Lipschitz constant: Lanczos did not reach relative accuracy " << kLipschitzTolerance
          << " in " << cap << " steps (estimate " << theta << ", residual bound " << bound << ")";
  throw std::runtime_error(message.str());
}

// A^T A or A A^T, whichever is smaller, applied as two products (the Gram matrix is never formed).
template <class Matrix>
double gram_top_eigenvalue(const Matrix& A) {
  const Eigen::Index m = A.rows(), n = A.cols();
  if (m <= n) {
    const auto op = [&A](const Eigen::VectorXd& v, Eigen::VectorXd& w) {
      const Eigen::VectorXd t = A.transpose() * v;
      w.noalias() = A * t;
    };
    return largest_eigenvalue(op, m);
  }
  const auto op = [&A](const Eigen::VectorXd& v, Eigen::VectorXd& w) {
    const Eigen::VectorXd t = A * v;
    w.noalias() = A.transpose() * t;
  };
  return largest_eigenvalue(op, n);
}

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A float64, contiguous CPU copy of a torch matrix (kept alive by the caller while mapped).
torch::Tensor host_float64(const torch::Tensor& A) {
  return A.detach().to(torch::kCPU, torch::kFloat64).contiguous();
}

std::string tensor_shape(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

double lipschitz_of_host(const torch::Tensor& host, const char* what) {
  const Eigen::Map<const RowMajorMatrix> A(host.data_ptr<double>(), host.size(0), host.size(1));
  check_size(A.rows(), A.cols(), what);
  if (!A.allFinite())
    throw std::invalid_argument(std::string("Lipschitz constant: ") + what +
                                " A has a non-finite entry (NaN or Inf)");
  return gram_top_eigenvalue(A);
}

}  // namespace lipschitz_detail
}  // namespace

double lipschitz_constant(const Eigen::MatrixXd& A) {
  lipschitz_detail::check_size(A.rows(), A.cols(), "the");
  if (!A.allFinite())
    throw std::invalid_argument("Lipschitz constant: A has a non-finite entry (NaN or Inf)");
  return lipschitz_detail::gram_top_eigenvalue(A);
}

double lipschitz_constant(const Eigen::SparseMatrix<double>& A) {
  lipschitz_detail::check_size(A.rows(), A.cols(), "the sparse");
  const Eigen::Map<const Eigen::VectorXd> values(A.valuePtr(), A.nonZeros());
  if (!values.allFinite())
    throw std::invalid_argument(
        "Lipschitz constant: the sparse A has a non-finite entry (NaN or Inf)");
  return lipschitz_detail::gram_top_eigenvalue(A);
}

double lipschitz_constant(const torch::Tensor& A) {
  if (!A.defined() || A.dim() != 2 || !A.is_floating_point())
    throw std::invalid_argument(
        "Lipschitz constant: A must be a floating-point matrix [m, n], got " +
        (A.defined()
             ? lipschitz_detail::tensor_shape(A) + " " + std::string(c10::toString(A.scalar_type()))
             : std::string("an undefined tensor")));
  return lipschitz_detail::lipschitz_of_host(lipschitz_detail::host_float64(A), "the");
}

torch::Tensor lipschitz_constants(const torch::Tensor& A) {
  if (!A.defined() || A.dim() != 3 || !A.is_floating_point())
    throw std::invalid_argument(
        "Lipschitz constants: A must be a floating-point batch of matrices [B, m, n], got " +
        (A.defined()
             ? lipschitz_detail::tensor_shape(A) + " " + std::string(c10::toString(A.scalar_type()))
             : std::string("an undefined tensor")));
  const torch::Tensor host = lipschitz_detail::host_float64(A);
  torch::Tensor constants = torch::empty({A.size(0)}, torch::kFloat64);
  double* out = constants.data_ptr<double>();
  for (std::int64_t b = 0; b < A.size(0); ++b) {
    const std::string what = "problem " + std::to_string(b) + "'s";
    out[b] = lipschitz_detail::lipschitz_of_host(host[b], what.c_str());
  }
  return constants.to(A.device(), A.scalar_type());
}

}  // namespace deepsolve::unfolded
