// sparse_recovery solve: the classical ISTA, FISTA or IHT (unfolded/iterative.hpp) on the user's
// Matrix Market problem. A dense A solves every column of y at once (the LibTorch batch path, in
// float64 on the CPU); a sparse A (--sparse) solves them one after the other in Eigen, and the
// per-problem histories are combined into the batch's (means, and the NMSE of the whole batch).
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "commands.hpp"
#include "common/output.hpp"
#include "deepsolve/solvers/matrix_market.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "problem_files.hpp"
#include "support.hpp"

namespace sparse_recovery {

namespace {

namespace du = deepsolve::unfolded;
namespace ex = deepsolve::examples;
using json = nlohmann::json;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

struct Outcome {
  Eigen::MatrixXd X;  ///< n x B
  std::vector<double> objectives;
  std::vector<int> problem_iterations;
  std::vector<du::StopReason> problem_reasons;
  int iterations = 0;
  du::StopReason reason = du::StopReason::max_iterations;
  double step = 0.0, lipschitz = kNan;
  double nmse_db = kNan;
  du::IterativeHistory history;  ///< batch means, as iterative.hpp's batch path records them
};

Outcome solve_dense(const Eigen::MatrixXd& A, const Eigen::MatrixXd& Y, const Eigen::MatrixXd& X,
                    const du::IterativeOptions& options) {
  const du::BatchIterativeResult r =
      du::solve_iterative(matrix_to_tensor(A), columns_to_rows(Y), options,
                          X.size() ? columns_to_rows(X) : torch::Tensor());
  Outcome out;
  out.X = rows_to_columns(r.x);
  const torch::Tensor objective = r.objective.contiguous();
  out.objectives.assign(objective.data_ptr<double>(),
                        objective.data_ptr<double>() + objective.numel());
  out.problem_iterations = r.problem_iterations;
  out.problem_reasons = r.problem_reasons;
  out.iterations = r.iterations;
  out.reason = r.reason;
  out.step = r.step[0].item<double>();  // A is shared: one step for all
  out.lipschitz = r.lipschitz[0].item<double>();
  out.nmse_db = r.nmse_db;
  out.history = r.history;
  return out;
}

// The batch's reason, as the batch path decides it: max_iterations when some problem ran out of
// iterations, otherwise that of the problems that stopped last (the gap wins a tie).
du::StopReason batch_reason(const std::vector<int>& iterations,
                            const std::vector<du::StopReason>& reasons) {
  const int last = *std::max_element(iterations.begin(), iterations.end());
  bool gap = false;
  for (std::size_t b = 0; b < reasons.size(); ++b) {
    if (reasons[b] == du::StopReason::max_iterations) return du::StopReason::max_iterations;
    if (iterations[b] == last) gap = gap || reasons[b] == du::StopReason::duality_gap;
  }
  return gap ? du::StopReason::duality_gap : du::StopReason::relative_change;
}

Outcome solve_sparse(const Eigen::SparseMatrix<double>& A, const Eigen::MatrixXd& Y,
                     const Eigen::MatrixXd& X, du::IterativeOptions options) {
  // L once for all the problems (the step each solve would compute).
  Outcome out;
  out.lipschitz = du::lipschitz_constant(A);
  out.step = 1.0 / out.lipschitz;
  options.step(out.step);
  const Eigen::Index B = Y.cols();
  std::vector<du::IterativeResult> results;
  std::vector<double> truth_norm2;
  out.X.resize(A.cols(), B);
  for (Eigen::Index b = 0; b < B; ++b) {
    const Eigen::VectorXd x_true = X.size() ? Eigen::VectorXd(X.col(b)) : Eigen::VectorXd();
    results.push_back(du::solve_iterative(A, Y.col(b), options, x_true));
    const du::IterativeResult& r = results.back();
    out.X.col(b) = r.x;
    out.objectives.push_back(r.objective);
    out.problem_iterations.push_back(r.iterations);
    out.problem_reasons.push_back(r.reason);
    truth_norm2.push_back(X.size() ? x_true.squaredNorm() : 0.0);
  }
  out.iterations = *std::max_element(out.problem_iterations.begin(), out.problem_iterations.end());
  out.reason = batch_reason(out.problem_iterations, out.problem_reasons);

  // A problem that stopped keeps its last iterate: its entries repeat, and it no longer changes.
  const auto entry = [](const std::vector<double>& v, int k) {
    return v[std::min<std::size_t>(std::size_t(k), v.size() - 1)];
  };
  double truth_total = 0.0;
  for (const double t : truth_norm2) truth_total += t;
  du::IterativeHistory& h = out.history;
  for (int k = 0; k <= out.iterations; ++k) {
    double objective = 0.0, support = 0.0, gap = 0.0, change = k == 0 ? kNan : 0.0, error = 0.0;
    for (Eigen::Index b = 0; b < B; ++b) {
      const du::IterativeHistory& hb = results[std::size_t(b)].history;
      objective += entry(hb.objective, k);
      support += entry(hb.support, k);
      gap += entry(hb.duality_gap, k);
      if (k > 0 && std::size_t(k) < hb.relative_change.size())
        change = std::max(change, hb.relative_change[std::size_t(k)]);
      // Each problem's NMSE back to its squared error, so that the batch's is their sum's.
      if (X.size()) error += std::pow(10.0, entry(hb.nmse_db, k) / 10.0) * truth_norm2[b];
    }
    h.objective.push_back(objective / double(B));
    h.support.push_back(support / double(B));
    h.duality_gap.push_back(gap / double(B));
    h.relative_change.push_back(change);
    h.nmse_db.push_back(X.size() ? 10.0 * std::log10(error / truth_total) : kNan);
  }
  out.nmse_db = h.nmse_db.back();
  return out;
}

json history_json(const du::IterativeHistory& h, bool with_truth, bool with_gap) {
  json rows = json::array();
  for (std::size_t k = 0; k < h.objective.size(); ++k) {
    json row = {{"iteration", k}, {"objective", h.objective[k]}, {"support", h.support[k]}};
    if (with_truth) row["nmse_db"] = h.nmse_db[k];
    if (with_gap) row["duality_gap"] = h.duality_gap[k];
    if (k > 0) row["relative_change"] = h.relative_change[k];
    rows.push_back(row);
  }
  return rows;
}

// Every column of the truth must have a norm: its problem's NMSE divides by it.
void check_truth(const std::string& path, const Eigen::MatrixXd& X) {
  for (Eigen::Index b = 0; b < X.cols(); ++b)
    if (X.col(b).squaredNorm() == 0.0)
      throw std::invalid_argument("--truth " + path + ": column " + std::to_string(b + 1) +
                                  " is all zero (its NMSE is undefined)");
}

}  // namespace

void solve_command(const SolveOptions& o, const std::vector<std::string>& args) {
  if (o.threads > 0) torch::set_num_threads(o.threads);
  const du::IterativeMethod method = du::parse_method(o.method, "--method");
  const du::Penalty penalty = du::penalty_of(method);

  Eigen::MatrixXd A_dense;
  Eigen::SparseMatrix<double> A_sparse;
  if (o.sparse)
    A_sparse = read_sparse_matrix("--matrix", o.matrix);
  else
    A_dense = read_dense_matrix("--matrix", o.matrix);
  const Eigen::Index m = o.sparse ? A_sparse.rows() : A_dense.rows();
  const Eigen::Index n = o.sparse ? A_sparse.cols() : A_dense.cols();
  const std::string matrix_what = "--matrix " + o.matrix + " is " + size_text(m, n);
  const Eigen::MatrixXd Y = read_columns("--measurements", o.measurements, m, matrix_what);
  const Eigen::Index B = Y.cols();
  Eigen::MatrixXd X;
  if (!o.truth.empty()) {
    X = read_columns("--truth", o.truth, n, matrix_what, B,
                     "one per problem of --measurements " + o.measurements);
    check_truth(o.truth, X);
  }
  const double norm2 = o.sparse ? A_sparse.squaredNorm() : A_dense.squaredNorm();
  if (norm2 == 0.0)
    throw std::invalid_argument("--matrix " + o.matrix +
                                ": A is zero (L = 0): there is no step to take");

  du::IterativeOptions options;
  options.method(method)
      .lambda(o.lambda)
      .iterations(o.iterations)
      .relative_change(o.tolerance)
      .gap_tolerance(o.gap_tolerance)
      .record_history(true);
  options.validate();

  const auto start = std::chrono::steady_clock::now();
  const Outcome r =
      o.sparse ? solve_sparse(A_sparse, Y, X, options) : solve_dense(A_dense, Y, X, options);
  const double seconds = seconds_since(start);

  double objective = 0.0;
  for (const double v : r.objectives) objective += v;
  objective /= double(B);
  const bool l1 = penalty == du::Penalty::l1;

  json j = {{"command", ex::quote_command(args)},
            {"method", du::method_name(method)},
            {"penalty", du::penalty_name(penalty)},
            {"lambda", o.lambda},
            {"matrix", o.matrix},
            {"matrix_storage", o.sparse ? "sparse" : "dense"},
            {"measurements", o.measurements},
            {"m", m},
            {"n", n},
            {"problems", B},
            {"step", r.step},
            {"lipschitz", r.lipschitz},
            {"max_iterations", o.iterations},
            {"tolerance", o.tolerance},
            {"gap_tolerance", o.gap_tolerance},
            {"iterations", r.iterations},
            {"reason", du::stop_reason_name(r.reason)},
            {"problem_iterations", r.problem_iterations},
            {"objective", objective},
            {"objective_of", B == 1 ? "the problem" : "the mean over the problems"},
            {"problem_objectives", r.objectives},
            {"support", r.history.support.back()},
            {"time_s", seconds}};
  json reasons = json::array();
  for (const du::StopReason reason : r.problem_reasons)
    reasons.push_back(du::stop_reason_name(reason));
  j["problem_reasons"] = reasons;
  if (!o.truth.empty()) {
    j["truth"] = o.truth;
    j["nmse_db"] = r.nmse_db;
  }
  if (l1) j["duality_gap"] = r.history.duality_gap.back();
  j["history"] = history_json(r.history, !o.truth.empty(), l1);

  if (!o.solution.empty()) deepsolve::solvers::write_matrix_market(o.solution, r.X);
  ex::write_json(o.json, j);

  if (!o.quiet) {
    std::printf("%s on %s (%s, %s), %lld problem%s, lambda %g: step %.6g (1/L, L = %.6g)\n",
                du::method_name(method).c_str(), o.matrix.c_str(), size_text(m, n).c_str(),
                o.sparse ? "sparse" : "dense", static_cast<long long>(B), B == 1 ? "" : "s",
                o.lambda, r.step, r.lipschitz);
    std::printf("  %d iterations (%s), objective %.10g%s", r.iterations,
                du::stop_reason_name(r.reason).c_str(), objective,
                B == 1 ? "" : " (mean over the problems)");
    if (!o.truth.empty()) std::printf(", NMSE %.2f dB", r.nmse_db);
    std::printf(", support %.1f, %.3f s\n", r.history.support.back(), seconds);
    if (!o.solution.empty()) std::printf("wrote %s\n", o.solution.c_str());
    std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace sparse_recovery
