// The progress record of a block coordinate descent run: the objective after chosen iterations,
// with the wall time spent so far, so that rules can be compared per iteration (as in Nutini,
// Laradji & Schmidt, "Let's Make Block Coordinate Descent Converge Faster", JMLR 2022) and per
// second (as users of sparse regression compare solvers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::bcd {

struct TracePoint {
  std::int64_t iteration = 0;  // block updates done (0: the starting point)
  double seconds = 0;          // wall time since the run started, setup included
  double objective = 0;        // f(x) (with its non-smooth part, when the problem has one)
};

struct Trace {
  std::string label;  // e.g. "GSQ-VB, matrix update"
  std::vector<TracePoint> points;
  // The first iteration after which the support of x equals the optimal one and stays so
  // (problems with an L1 term or bounds); -1 when not tracked or never reached.
  std::int64_t support_identified_at = -1;
};

}  // namespace deepsolve::bcd
