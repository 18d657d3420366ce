// The classical solvers of the two sparse-recovery problems of penalty.hpp, written once over a
// "batch space" policy (one problem in Eigen: eigen_batch.hpp; a batch of problems as torch
// tensors on any device: torch_batch.hpp):
//
//   ISTA  (l1)  x_{k+1} = S_{alpha lambda}(x_k + alpha A^T (y - A x_k))   proximal gradient
//   FISTA (l1)  x_{k+1} = S_{alpha lambda}(z_k + alpha A^T (y - A z_k)),
//               t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,  t_1 = 1,
//               z_{k+1} = x_{k+1} + (t_k - 1) / t_{k+1} (x_{k+1} - x_k)
//               (Beck & Teboulle 2009, "A fast iterative shrinkage-thresholding algorithm for
//               linear inverse problems", SIAM J. Imaging Sci. 2(1), the FISTA box of §4)
//   IHT   (l0)  x_{k+1} = H_{sqrt(2 alpha lambda)}(x_k + alpha A^T (y - A x_k))
//               (Blumensath & Davies 2008, "Iterative thresholding for sparse approximations",
//               J. Fourier Anal. Appl. 14; with alpha < 1/L the l0 objective never increases)
//
// from x_0 = 0, with the step alpha = 1/L, L = lambda_max(A^T A) (lipschitz.hpp), unless given.
//
// Stopping tests (either, both or none; without them every problem runs `iterations` steps):
//   relative change: ||x_{k+1} - x_k|| <= tol * max(||x_{k+1}||, DBL_MIN) (so x stuck at 0 stops);
//   duality gap (l1 only): P(x) - D(nu) <= tol * P(x), where P is the Lasso objective and nu the
//     feasible dual point obtained by scaling the residual r = y - A x,
//       nu = r * min(1, lambda / ||A^T r||_inf),   D(nu) = 1/2 ||y||^2 - 1/2 ||y - nu||^2,
//     (the standard gap of e.g. scikit-learn's coordinate descent; P - D >= 0 by weak duality,
//     and it vanishes exactly at the minimiser). The gap is checked first.
// In a batch each problem is tested on its own; a problem that meets a test is frozen (its x no
// longer changes, its iteration count and reason are kept) while the others go on, so every
// problem's result equals the result of solving it alone. The loop ends when every problem has
// stopped or after `iterations`.
//
// The history (record_history) has one entry per iterate x_0 = 0, x_1, ..., so iterations + 1
// entries; for a batch it holds the batch means of the objective, support size and gap, the
// largest relative change, and the NMSE of the whole batch (penalty.hpp's nmse_db).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <torch/types.h>
#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "deepsolve/solvers/options.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded {

enum class IterativeMethod { ista, fista, iht };

/// "ista", "fista" or "iht".
std::string method_name(IterativeMethod method);
/// Parses a method name; throws std::invalid_argument naming `what` (e.g. "--method") otherwise.
IterativeMethod parse_method(const std::string& name, const std::string& what = "method");
/// The problem a method solves: l1 for ISTA and FISTA, l0 for IHT.
Penalty penalty_of(IterativeMethod method);

struct IterativeOptions {
  DEEPSOLVE_ARG(IterativeMethod, method) = IterativeMethod::ista;
  /// The weight lambda of the penalty; must be set (> 0).
  DEEPSOLVE_ARG(double, lambda) = 0.0;
  /// The most iterations (>= 1).
  DEEPSOLVE_ARG(int, iterations) = 1000;
  /// The step alpha; 0 (the default) takes 1/L per problem, L from lipschitz.hpp.
  DEEPSOLVE_ARG(double, step) = 0.0;
  /// The relative-change test's tolerance; 0 turns it off.
  DEEPSOLVE_ARG(double, relative_change) = 0.0;
  /// The relative duality-gap test's tolerance (l1 methods only); 0 turns it off.
  DEEPSOLVE_ARG(double, gap_tolerance) = 0.0;
  /// Record the objective, NMSE, support, gap and change of every iterate.
  DEEPSOLVE_ARG(bool, record_history) = false;

 public:
  /// Throws std::invalid_argument naming the option: lambda <= 0 or not finite, iterations < 1,
  /// a negative or non-finite step or tolerance, a gap tolerance for IHT.
  void validate() const;
};

enum class StopReason { max_iterations, relative_change, duality_gap };
/// "max_iterations", "relative_change" or "duality_gap".
std::string stop_reason_name(StopReason reason);

/// Entry k describes x_k (k = 0 .. iterations). NaN where a value is not defined: nmse_db without
/// a reference x, duality_gap for l0, relative_change at k = 0.
struct IterativeHistory {
  std::vector<double> objective;        ///< 1/2 ||y - A x||^2 + lambda R(x) (batch mean)
  std::vector<double> nmse_db;          ///< against the reference x (penalty.hpp's nmse_db)
  std::vector<double> support;          ///< nonzeros of x (batch mean)
  std::vector<double> duality_gap;      ///< P(x) - D(nu) (batch mean)
  std::vector<double> relative_change;  ///< ||x_k - x_{k-1}|| / ||x_k|| (batch maximum)
};

/// One problem solved in Eigen.
struct IterativeResult {
  Eigen::VectorXd x;
  double step = 0.0;                                            ///< the step used
  double lipschitz = std::numeric_limits<double>::quiet_NaN();  ///< L, when the step was 1/L
  int iterations = 0;
  StopReason reason = StopReason::max_iterations;
  double objective = 0.0;                                     ///< of the returned x
  double nmse_db = std::numeric_limits<double>::quiet_NaN();  ///< of the returned x
  IterativeHistory history;
  double seconds = 0.0;  ///< wall time of the whole call (L included)
};

/// A batch solved in torch.
struct BatchIterativeResult {
  torch::Tensor x;          ///< [B, n], the dtype and device of A and y
  torch::Tensor step;       ///< [B] float64 CPU, the step of each problem
  torch::Tensor lipschitz;  ///< [B] float64 CPU, L of each problem (NaN when a step was given)
  torch::Tensor objective;  ///< [B] float64 CPU, of the returned x
  int iterations = 0;       ///< iterations of the loop (the largest of problem_iterations)
  std::vector<int> problem_iterations;
  std::vector<StopReason> problem_reasons;
  /// max_iterations when some problem ran out of iterations, otherwise the reason of the problem
  /// that stopped last (the gap when several stopped then, on different tests).
  StopReason reason = StopReason::max_iterations;
  double nmse_db = std::numeric_limits<double>::quiet_NaN();  ///< of the returned x
  IterativeHistory history;
  double seconds = 0.0;  ///< wall time of the whole call (L included; CUDA synchronised)
};

/// Solves min 1/2 ||y - A x||^2 + lambda R(x) for one problem (A m x n, y of size m). `x_true`
/// (size n, or empty) is the reference of the NMSE. Throws std::invalid_argument for bad options
/// (validate), sizes that do not match, an empty or non-finite A, y or x_true, an all-zero
/// x_true, or A = 0 with step 0 (L = 0).
IterativeResult solve_iterative(const Eigen::MatrixXd& A, const Eigen::VectorXd& y,
                                const IterativeOptions& options,
                                const Eigen::VectorXd& x_true = Eigen::VectorXd());
IterativeResult solve_iterative(const Eigen::SparseMatrix<double>& A, const Eigen::VectorXd& y,
                                const IterativeOptions& options,
                                const Eigen::VectorXd& x_true = Eigen::VectorXd());
/// The same for a batch: A [m, n] (shared) or [B, m, n], y [B, m], x_true [B, n] or undefined;
/// float32 or float64, one dtype and one device for all (the iteration runs there, without
/// autograd). The same errors, naming the tensors' shapes, dtypes and devices.
BatchIterativeResult solve_iterative(const torch::Tensor& A, const torch::Tensor& y,
                                     const IterativeOptions& options,
                                     const torch::Tensor& x_true = torch::Tensor());

// ---- The algorithm, for any batch space --------------------------------------------------------
//
// A batch space S holds A, y, lambda, the penalty, each problem's step and the reference x, and
// provides, for its iterate type `vector` (all problems' x at once):
//
//   using vector = ...;
//   int batch_size() const;
//   vector zero() const;                                       // x_0 = 0
//   vector proximal_gradient(const vector& v) const;           // prox(v + alpha A^T (y - A v))
//   vector extrapolate(const vector& x, const vector& x_prev, double beta) const;
//                                                              // x + beta (x - x_prev)
//   void keep_stopped(vector& x_new, const vector& x, const std::vector<char>& active) const;
//                                                              // x_new_b = x_b where !active[b]
//   ChangeNorms change(const vector& x_new, const vector& x) const;
//   ProblemMeasures measure(const vector& x, bool with_gap) const;
//   double support(const vector& x) const;                     // mean nonzeros per problem
//   double nmse_db(const vector& x) const;                     // NaN without a reference
//
// Per-problem values come back to the host as std::vector<double>: one transfer per call.

/// ||x_new_b - x_b|| and ||x_new_b|| per problem.
struct ChangeNorms {
  std::vector<double> change, size;
};

/// The objective P(x_b) and, when asked, the duality gap per problem.
struct ProblemMeasures {
  std::vector<double> objective, duality_gap;
};

/// What the loop reports; the entry points add x, steps and times.
struct IterationOutcome {
  int iterations = 0;
  std::vector<int> problem_iterations;
  std::vector<StopReason> problem_reasons;
  StopReason reason = StopReason::max_iterations;
  IterativeHistory history;
};

/// Runs options.method() on the problems of `space` from x = 0; `x` receives the result.
/// `options` must be valid (validate()).
template <class Space>
IterationOutcome iterate(const Space& space, const IterativeOptions& options,
                         typename Space::vector& x) {
  using Vector = typename Space::vector;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const Penalty penalty = penalty_of(options.method());
  const bool fista = options.method() == IterativeMethod::fista;
  const bool record = options.record_history();
  const bool gap_test = options.gap_tolerance() > 0.0 && penalty == Penalty::l1;
  const bool change_test = options.relative_change() > 0.0;
  const bool want_gap = penalty == Penalty::l1 && (gap_test || record);
  const int batch = space.batch_size();

  IterationOutcome out;
  out.problem_iterations.assign(batch, options.iterations());
  out.problem_reasons.assign(batch, StopReason::max_iterations);
  std::vector<char> active(batch, 1);
  int running = batch;

  const auto mean = [](const std::vector<double>& v) {
    double sum = 0.0;
    for (const double a : v) sum += a;
    return v.empty() ? std::numeric_limits<double>::quiet_NaN() : sum / double(v.size());
  };
  const auto record_entry = [&](const Vector& xk, const ProblemMeasures& m, double change) {
    out.history.objective.push_back(mean(m.objective));
    out.history.duality_gap.push_back(want_gap ? mean(m.duality_gap) : nan);
    out.history.support.push_back(space.support(xk));
    out.history.nmse_db.push_back(space.nmse_db(xk));
    out.history.relative_change.push_back(change);
  };

  x = space.zero();
  if (record) record_entry(x, space.measure(x, want_gap), nan);

  Vector z;  // FISTA's extrapolated point
  if (fista) z = x;
  double t = 1.0;
  int k = 0;
  while (k < options.iterations() && running > 0) {
    ++k;
    Vector x_new = space.proximal_gradient(fista ? z : x);
    if (running < batch) space.keep_stopped(x_new, x, active);
    if (fista) {
      const double t_next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
      z = space.extrapolate(x_new, x, (t - 1.0) / t_next);
      t = t_next;
    }

    ProblemMeasures measures;
    if (gap_test || record) measures = space.measure(x_new, want_gap);
    ChangeNorms norms;
    if (change_test || record) norms = space.change(x_new, x);
    const auto scale = [&norms](int b) {
      return std::max(norms.size[b], std::numeric_limits<double>::min());
    };
    bool stopped_on_gap = false;
    for (int b = 0; b < batch; ++b) {
      if (!active[b]) continue;
      StopReason why = StopReason::max_iterations;
      if (gap_test && measures.duality_gap[b] <= options.gap_tolerance() * measures.objective[b])
        why = StopReason::duality_gap;
      else if (change_test && norms.change[b] <= options.relative_change() * scale(b))
        why = StopReason::relative_change;
      if (why == StopReason::max_iterations) continue;
      active[b] = 0;
      --running;
      out.problem_iterations[b] = k;
      out.problem_reasons[b] = why;
      stopped_on_gap = stopped_on_gap || why == StopReason::duality_gap;
    }
    // The batch's reason is that of the last problems to stop; the gap wins a tie.
    if (running == 0)
      out.reason = stopped_on_gap ? StopReason::duality_gap : StopReason::relative_change;
    if (record) {
      double largest_change = 0.0;  // stopped problems no longer change
      for (int b = 0; b < batch; ++b)
        largest_change = std::max(largest_change, norms.change[b] / scale(b));
      record_entry(x_new, measures, largest_change);
    }
    x = std::move(x_new);
  }
  out.iterations = k;
  return out;
}

}  // namespace deepsolve::unfolded
