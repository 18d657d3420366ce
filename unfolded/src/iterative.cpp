// The entry points of iterative.hpp: option and data checks, the step 1/L, the loop over the
// Eigen or torch batch space, and the result.
#include "deepsolve/unfolded/iterative.hpp"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "deepsolve/unfolded/eigen_batch.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "deepsolve/unfolded/torch_batch.hpp"

namespace deepsolve::unfolded {

// Named, so that these helpers cannot meet another file's in the unity build.
namespace {
namespace iterative_detail {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string number_text(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

std::string iterative_shape(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

std::string matrix_size(Eigen::Index m, Eigen::Index n) {
  return std::to_string(m) + " x " + std::to_string(n);
}

void check_nonnegative(double value, const char* option, const char* meaning) {
  if (!(value >= 0.0) || !std::isfinite(value))
    throw std::invalid_argument(std::string("iterative solver: ") + option +
                                " must be >= 0 and finite (" + meaning + "), got " +
                                number_text(value));
}

void throw_zero_lipschitz(const std::string& which) {
  throw std::invalid_argument("iterative solver: step: " + which +
                              " is zero, so L = 0 and the step 1/L is undefined; give a step > 0");
}

// ---- Eigen ----

template <class Matrix>
void check_eigen_problem(const Matrix& A, const Eigen::VectorXd& y, const Eigen::VectorXd& x_true) {
  const Eigen::Index m = A.rows(), n = A.cols();
  if (m < 1 || n < 1)
    throw std::invalid_argument("iterative solver: A is " + matrix_size(m, n) +
                                ": it needs at least one row and one column");
  if (y.size() != m)
    throw std::invalid_argument("iterative solver: y has " + std::to_string(y.size()) +
                                " entries but A is " + matrix_size(m, n) + " (y needs " +
                                std::to_string(m) + ")");
  if (x_true.size() != 0 && x_true.size() != n)
    throw std::invalid_argument("iterative solver: x_true has " + std::to_string(x_true.size()) +
                                " entries but A is " + matrix_size(m, n) + " (x_true needs " +
                                std::to_string(n) + ")");
  bool finite_A;
  if constexpr (std::is_same_v<Matrix, Eigen::MatrixXd>)
    finite_A = A.allFinite();
  else
    finite_A = Eigen::Map<const Eigen::VectorXd>(A.valuePtr(), A.nonZeros()).allFinite();
  if (!finite_A)
    throw std::invalid_argument("iterative solver: A has a non-finite entry (NaN or Inf)");
  if (!y.allFinite())
    throw std::invalid_argument("iterative solver: y has a non-finite entry (NaN or Inf)");
  if (!x_true.allFinite())
    throw std::invalid_argument("iterative solver: x_true has a non-finite entry (NaN or Inf)");
  if (x_true.size() != 0 && x_true.squaredNorm() == 0.0)
    throw std::invalid_argument("iterative solver: x_true is all zero, so its NMSE is undefined");
}

template <class Matrix>
IterativeResult solve_eigen(const Matrix& A, const Eigen::VectorXd& y,
                            const IterativeOptions& options, const Eigen::VectorXd& x_true) {
  const auto start = Clock::now();
  options.validate();
  check_eigen_problem(A, y, x_true);
  IterativeResult result;
  result.step = options.step();
  if (result.step == 0.0) {
    result.lipschitz = lipschitz_constant(A);
    if (result.lipschitz == 0.0) throw_zero_lipschitz("A");
    result.step = 1.0 / result.lipschitz;
  }
  const EigenBatch<Matrix> space(A, y, penalty_of(options.method()), options.lambda(), result.step,
                                 x_true);
  IterationOutcome outcome = iterate(space, options, result.x);
  result.iterations = outcome.iterations;
  result.reason = outcome.reason;
  result.history = std::move(outcome.history);
  result.objective = space.measure(result.x, false).objective[0];
  result.nmse_db = space.nmse_db(result.x);
  result.seconds = seconds_since(start);
  return result;
}

// ---- torch ----

void check_tensor(const torch::Tensor& t, const char* name, const char* shape) {
  if (!t.defined())
    throw std::invalid_argument(std::string("iterative solver: ") + name + " is undefined; " +
                                name + " must be " + shape);
  if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kFloat64)
    throw std::invalid_argument(std::string("iterative solver: ") + name +
                                " must be float32 or float64, got " +
                                c10::toString(t.scalar_type()));
}

void check_finite(const torch::Tensor& t, const char* name) {
  if (!torch::isfinite(t).all().item<bool>())
    throw std::invalid_argument(std::string("iterative solver: ") + name +
                                " has a non-finite entry (NaN or Inf)");
}

void check_torch_problem(const torch::Tensor& A, const torch::Tensor& y,
                         const torch::Tensor& x_true) {
  check_tensor(A, "A", "[m, n] or [B, m, n]");
  check_tensor(y, "y", "[B, m]");
  if (A.dim() != 2 && A.dim() != 3)
    throw std::invalid_argument("iterative solver: A must be [m, n] or [B, m, n], got " +
                                iterative_shape(A));
  if (y.dim() != 2)
    throw std::invalid_argument("iterative solver: y must be [B, m], got " + iterative_shape(y));
  const std::int64_t m = A.size(-2), n = A.size(-1), batch = y.size(0);
  if (m < 1 || n < 1 || batch < 1)
    throw std::invalid_argument("iterative solver: A " + iterative_shape(A) + " and y " +
                                iterative_shape(y) + " must not be empty");
  if (y.size(1) != m)
    throw std::invalid_argument("iterative solver: y " + iterative_shape(y) + " does not match A " +
                                iterative_shape(A) + " (y needs m = " + std::to_string(m) +
                                " columns)");
  if (A.dim() == 3 && A.size(0) != batch)
    throw std::invalid_argument("iterative solver: A " + iterative_shape(A) + " holds " +
                                std::to_string(A.size(0)) + " problems but y " +
                                iterative_shape(y) + " holds " + std::to_string(batch));
  if (A.scalar_type() != y.scalar_type())
    throw std::invalid_argument(std::string("iterative solver: A is ") +
                                c10::toString(A.scalar_type()) + " but y is " +
                                c10::toString(y.scalar_type()) + "; give both the same dtype");
  if (A.device() != y.device())
    throw std::invalid_argument("iterative solver: A is on " + A.device().str() + " but y on " +
                                y.device().str() + "; put both on the same device");
  check_finite(A, "A");
  check_finite(y, "y");
  if (!x_true.defined()) return;
  check_tensor(x_true, "x_true", "[B, n]");
  if (x_true.dim() != 2 || x_true.size(0) != batch || x_true.size(1) != n)
    throw std::invalid_argument("iterative solver: x_true " + iterative_shape(x_true) +
                                " does not match A " + iterative_shape(A) + " and y " +
                                iterative_shape(y) + " (x_true needs [" + std::to_string(batch) +
                                ", " + std::to_string(n) + "])");
  if (x_true.device() != y.device())
    throw std::invalid_argument("iterative solver: x_true is on " + x_true.device().str() +
                                " but y on " + y.device().str());
  check_finite(x_true, "x_true");
  if (!(x_true != 0).any().item<bool>())
    throw std::invalid_argument("iterative solver: x_true is all zero, so its NMSE is undefined");
}

}  // namespace iterative_detail
}  // namespace

std::string method_name(IterativeMethod method) {
  switch (method) {
    case IterativeMethod::ista:
      return "ista";
    case IterativeMethod::fista:
      return "fista";
    case IterativeMethod::iht:
      return "iht";
  }
  return "unknown";
}

IterativeMethod parse_method(const std::string& name, const std::string& what) {
  for (const IterativeMethod method :
       {IterativeMethod::ista, IterativeMethod::fista, IterativeMethod::iht})
    if (name == method_name(method)) return method;
  throw std::invalid_argument(what + ": '" + name + "' is not a method (ista, fista or iht)");
}

Penalty penalty_of(IterativeMethod method) {
  return method == IterativeMethod::iht ? Penalty::l0 : Penalty::l1;
}

std::string stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::max_iterations:
      return "max_iterations";
    case StopReason::relative_change:
      return "relative_change";
    case StopReason::duality_gap:
      return "duality_gap";
  }
  return "unknown";
}

void IterativeOptions::validate() const {
  if (!(lambda_ > 0.0) || !std::isfinite(lambda_))
    throw std::invalid_argument("iterative solver: lambda must be > 0 and finite, got " +
                                iterative_detail::number_text(lambda_));
  if (iterations_ < 1)
    throw std::invalid_argument("iterative solver: iterations must be >= 1, got " +
                                std::to_string(iterations_));
  iterative_detail::check_nonnegative(step_, "step", "0 takes 1/L");
  iterative_detail::check_nonnegative(relative_change_, "relative_change", "0 turns the test off");
  iterative_detail::check_nonnegative(gap_tolerance_, "gap_tolerance", "0 turns the test off");
  if (gap_tolerance_ > 0.0 && penalty_of(method_) != Penalty::l1)
    throw std::invalid_argument("iterative solver: gap_tolerance is a Lasso (l1) test; method " +
                                method_name(method_) + " solves the l0 problem, which has none");
}

IterativeResult solve_iterative(const Eigen::MatrixXd& A, const Eigen::VectorXd& y,
                                const IterativeOptions& options, const Eigen::VectorXd& x_true) {
  return iterative_detail::solve_eigen(A, y, options, x_true);
}

IterativeResult solve_iterative(const Eigen::SparseMatrix<double>& A, const Eigen::VectorXd& y,
                                const IterativeOptions& options, const Eigen::VectorXd& x_true) {
  return iterative_detail::solve_eigen(A, y, options, x_true);
}

BatchIterativeResult solve_iterative(const torch::Tensor& A_in, const torch::Tensor& y_in,
                                     const IterativeOptions& options,
                                     const torch::Tensor& x_true_in) {
  const auto start = iterative_detail::Clock::now();
  options.validate();
  iterative_detail::check_torch_problem(A_in, y_in, x_true_in);
  torch::NoGradGuard no_grad;
  const torch::Tensor A = A_in.detach(), y = y_in.detach();
  const torch::Tensor x_true = x_true_in.defined() ? x_true_in.detach() : torch::Tensor();
  const std::int64_t batch = y.size(0);

  BatchIterativeResult result;
  if (options.step() > 0.0) {
    result.step = torch::full({batch}, options.step(), torch::kFloat64);
    result.lipschitz = torch::full({batch}, std::nan(""), torch::kFloat64);
  } else {
    if (A.dim() == 2) {
      const double L = lipschitz_constant(A);
      if (L == 0.0) iterative_detail::throw_zero_lipschitz("A");
      result.lipschitz = torch::full({batch}, L, torch::kFloat64);
    } else {
      result.lipschitz = lipschitz_constants(A).to(torch::kCPU, torch::kFloat64);
      const torch::Tensor zero = (result.lipschitz == 0.0).nonzero();
      if (zero.size(0) > 0)
        iterative_detail::throw_zero_lipschitz("A of problem " +
                                               std::to_string(zero[0][0].item<std::int64_t>()));
    }
    result.step = 1.0 / result.lipschitz;
  }

  const Penalty penalty = penalty_of(options.method());
  const TorchBatch space(A, y, penalty, options.lambda(), result.step, x_true);
  IterationOutcome outcome = iterate(space, options, result.x);
  result.iterations = outcome.iterations;
  result.problem_iterations = std::move(outcome.problem_iterations);
  result.problem_reasons = std::move(outcome.problem_reasons);
  result.reason = outcome.reason;
  result.history = std::move(outcome.history);
  result.objective =
      objective(penalty, options.lambda(), A, y, result.x).to(torch::kCPU, torch::kFloat64);
  result.nmse_db = space.nmse_db(result.x);
  if (result.x.is_cuda()) torch::cuda::synchronize(result.x.device().index());
  result.seconds = iterative_detail::seconds_since(start);
  return result;
}

}  // namespace deepsolve::unfolded
