// The BCD loop: select a block, update it, record progress (Nutini, Laradji & Schmidt, JMLR 2022,
// Algorithm 1). Stops after max_iterations, when f - f* <= target_gap (f* given), or when the
// KKT residual max_i |r_i| <= kkt_tolerance. For x >= 0 and L1 problems given the optimal
// support, it records the iteration after which supp(x) equals it for good.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/selection.hpp"
#include "deepsolve/solvers/bcd/trace.hpp"
#include "deepsolve/solvers/bcd/update.hpp"

namespace deepsolve::bcd {

struct RunOptions {
  std::int64_t max_iterations = 500;
  std::int64_t trace_every = 1;  // a trace point every k iterations (and the last one)
  Index tau = 5;                 // variable blocks: the block size
  std::uint64_t seed = 1;        // the random rules' stream
  double optimum = std::numeric_limits<double>::quiet_NaN();  // f*, for target_gap
  double target_gap = 0;               // stop when f - f* <= target_gap (0: off)
  double kkt_tolerance = 0;            // stop when max_i |KKT residual_i| <= this (0: off)
  std::vector<Index> optimal_support;  // sorted; with track_support
  bool track_support = false;
};

/// Runs from the problem's current x. `partition` is required for fixed-block rules (and
/// ignored for variable ones). Throws std::invalid_argument on bad options.
Trace run(Problem& problem, Selection& selection, Update& update, const Partition* partition,
          const RunOptions& options, const std::string& label);

/// The indices i with x_i != 0.
std::vector<Index> support_of(const Eigen::VectorXd& x);

}  // namespace deepsolve::bcd
