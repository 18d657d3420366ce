// The BCD loop (run.hpp).
#include "deepsolve/solvers/bcd/run.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace deepsolve::bcd {

std::vector<Index> support_of(const Eigen::VectorXd& x) {
  std::vector<Index> s;
  for (Index i = 0; i < x.size(); ++i)
    if (Problem::in_support(x[i])) s.push_back(i);
  return s;
}

Trace run(Problem& problem, Selection& selection, Update& update, const Partition* partition,
          const RunOptions& options, const std::string& label) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const Index n = problem.size();
  if (options.max_iterations < 0)
    throw std::invalid_argument("max_iterations must be >= 0, got " +
                                std::to_string(options.max_iterations));
  if (options.trace_every < 1)
    throw std::invalid_argument("trace_every must be at least 1, got " +
                                std::to_string(options.trace_every));
  if (!partition && (options.tau < 1 || options.tau > n))
    throw std::invalid_argument("the block size " + std::to_string(options.tau) +
                                " is not in [1, " + std::to_string(n) + "]");
  if (options.target_gap > 0 && !std::isfinite(options.optimum))
    throw std::invalid_argument("a target gap needs a finite optimum f*");

  // Support tracking: `mismatches` counts the i where (x_i != 0) differs from the optimal mask,
  // updated on the block's coordinates only.
  std::vector<char> optimal_mask;
  Index mismatches = 0;
  if (options.track_support) {
    optimal_mask.assign(static_cast<std::size_t>(n), 0);
    for (Index i : options.optimal_support) {
      if (i < 0 || i >= n)
        throw std::invalid_argument("the optimal support has index " + std::to_string(i) +
                                    " outside [0, n)");
      optimal_mask[static_cast<std::size_t>(i)] = 1;
    }
    for (Index i = 0; i < n; ++i)
      mismatches +=
          Problem::in_support(problem.x()[i]) != bool(optimal_mask[static_cast<std::size_t>(i)]);
  }
  const auto mismatch_of = [&](Index i) {
    return Index(Problem::in_support(problem.x()[i]) !=
                 bool(optimal_mask[static_cast<std::size_t>(i)]));
  };

  Trace trace;
  trace.label = label;
  const auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  trace.points.push_back({0, seconds(), problem.objective()});
  if (options.track_support && mismatches == 0) trace.support_identified_at = 0;

  solvers::SplitMix64 rng(options.seed);
  for (std::int64_t it = 1; it <= options.max_iterations; ++it) {
    SelectionContext context{problem, partition, options.tau, rng, it - 1};
    const Selected selected = selection.select(context);
    const BlockCurvature* cached = partition && selected.partition_block >= 0
                                       ? &partition->curvature(problem, selected.partition_block)
                                       : nullptr;
    if (options.track_support)
      for (Index i : selected.block) mismatches -= mismatch_of(i);
    update.apply(problem, selected.block, cached);
    if (options.track_support) {
      for (Index i : selected.block) mismatches += mismatch_of(i);
      if (mismatches == 0 && trace.support_identified_at < 0) trace.support_identified_at = it;
      if (mismatches != 0) trace.support_identified_at = -1;
    }
    bool stop = it == options.max_iterations;
    double objective = std::numeric_limits<double>::quiet_NaN();
    if (options.target_gap > 0) {
      objective = problem.objective();
      stop = stop || objective - options.optimum <= options.target_gap;
    }
    if (options.kkt_tolerance > 0)
      stop = stop || problem.optimality_residual_norm() <= options.kkt_tolerance;
    if (stop || it % options.trace_every == 0) {
      if (std::isnan(objective)) objective = problem.objective();
      trace.points.push_back({it, seconds(), objective});
      if (!std::isfinite(objective))
        throw std::runtime_error(label + ": the objective became non-finite at iteration " +
                                 std::to_string(it));
    }
    if (stop) break;
  }
  return trace;
}

}  // namespace deepsolve::bcd
