// The engine experiments of `bcd reproduce` (Nutini, Laradji & Schmidt, JMLR 2022, Section 9, on
// the seeded analogs of its datasets A, B and C, deepsolve/solvers/bcd/datasets.hpp): gradient
// updates on A and C (Fig. 4), matrix updates on A (Fig. 5), partitions on A (Fig. 10), Newton
// with a line search on logistic B (Fig. 12) and the active-set experiment on NNLS + L1 with A
// (Figs. 7 and 13). Each builds its curves and checks the orderings the paper reports.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiment.hpp"

namespace bcd_example {

struct EngineSettings {
  bool quick = false;             // small datasets (seconds in all)
  std::int64_t iterations = 500;  // per rule
  std::uint64_t seed = 1;
  std::vector<std::string> only;                     // experiment ids to run (empty: all)
  std::function<void(const std::string&)> progress;  // one line per rule run (may be empty)
};

/// The ids, in the order they run.
std::vector<std::string> engine_experiment_ids();
std::vector<Experiment> engine_experiments(const EngineSettings& settings);

/// f - f* of `curve` at the last trace point with iteration <= `iteration`.
double gap_at_iteration(const Experiment& e, const deepsolve::bcd::Trace& curve,
                        std::int64_t iteration);
/// The first iteration with f - f* <= target, -1 if never.
std::int64_t iterations_to(const Experiment& e, const deepsolve::bcd::Trace& curve, double target);
/// The curve with this label; throws std::logic_error if absent.
const deepsolve::bcd::Trace& curve_named(const Experiment& e, const std::string& label);

}  // namespace bcd_example
