// What a run reports: a line per step, the JSON record (steps and summary), and the table and
// plots of `smoke compare`.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "options.hpp"
#include "simulation.hpp"

namespace smoke {

/// One run of one solver: its name, description and steps.
struct SolverRun {
  std::string solver;
  std::string description;
  std::vector<StepRecord> steps;
  double total_setup_s() const;
  double total_solve_s() const;
  long total_iterations() const;
  double max_divergence() const;
  bool all_converged() const;
};

std::string step_header();
std::string step_line(const StepRecord& r);

nlohmann::json step_json(const StepRecord& r);
/// The scene and solver settings (the part of the summary that does not depend on the solver).
nlohmann::json scene_json(const Scene& s, double dt, const SolverSettings& settings, int ranks);
/// {"steps": [...], "summary": {...}} of a run.
nlohmann::json run_json(const SolverRun& run, const Scene& s, double dt,
                        const SolverSettings& settings, int ranks, const std::string& command);

/// smoke compare's outputs in `out`: compare.csv (one row per solver), compare.json (the scene and
/// every run's steps), iterations.png and time.png (per step, one line per solver). Returns the
/// table as text for the terminal.
std::string write_comparison(const std::string& out, const std::vector<SolverRun>& runs,
                             const Scene& s, double dt, const SolverSettings& settings, int ranks,
                             const std::string& command);

}  // namespace smoke
