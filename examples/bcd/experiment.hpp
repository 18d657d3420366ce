// One experiment of `bcd reproduce`: a figure of the paper (Nutini, Laradji & Schmidt, JMLR 2022)
// rebuilt on a seeded analog of its dataset, its curves, and the orderings the paper reports,
// each checked on the measured curves.
#pragma once

#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/trace.hpp"

namespace bcd_example {

struct Ordering {
  std::string claim;   // e.g. "GSQ-VB < GSL-VB < GS-VB < random (f - f* after 500 iterations)"
  bool holds = false;  // on the measured curves
  std::string detail;  // the numbers behind the verdict
};

struct Experiment {
  std::string id;      // file stem of its CSV and PNG, e.g. "fig6_trees_D"
  std::string title;   // plot title
  double optimum = 0;  // f*, subtracted from every objective (computed to high accuracy)
  std::vector<deepsolve::bcd::Trace> curves;
  std::vector<Ordering> orderings;
};

}  // namespace bcd_example
