#include "report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/output.hpp"
#include "common/plot.hpp"
#include "deepsolve/learned/atomic_file.hpp"

namespace smoke {

namespace ex = deepsolve::examples;
using nlohmann::json;

double SolverRun::total_setup_s() const {
  double t = 0;
  for (const auto& s : steps) t += s.setup_s;
  return t;
}
double SolverRun::total_solve_s() const {
  double t = 0;
  for (const auto& s : steps) t += s.solve_s;
  return t;
}
long SolverRun::total_iterations() const {
  long t = 0;
  for (const auto& s : steps) t += s.iterations;
  return t;
}
double SolverRun::max_divergence() const {
  double m = 0;
  for (const auto& s : steps) m = std::max(m, s.divergence);
  return m;
}
bool SolverRun::all_converged() const {
  return std::all_of(steps.begin(), steps.end(), [](const StepRecord& s) { return s.converged; });
}

std::string step_header() {
  return " step     time   its   setup [s]   solve [s]  div before   div after  reason\n";
}

std::string step_line(const StepRecord& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%5d %8.4f %5d %11.5f %11.5f %11.3e %11.3e  %s\n", r.step, r.time,
                r.iterations, r.setup_s, r.solve_s, r.divergence_before, r.divergence,
                r.reason.c_str());
  return buf;
}

json step_json(const StepRecord& r) {
  return json{{"step", r.step},
              {"time", r.time},
              {"iterations", r.iterations},
              {"setup_s", r.setup_s},
              {"solve_s", r.solve_s},
              {"divergence_before", r.divergence_before},
              {"divergence_before_l2", r.divergence_before_l2},
              {"divergence", r.divergence},
              {"relative_residual", r.relative_residual},
              {"reason", r.reason},
              {"converged", r.converged},
              {"cfl", r.cfl},
              {"cells_changed", r.cells_changed},
              {"advect_s", r.advect_s}};
}

json scene_json(const Scene& s, double dt, const SolverSettings& settings, int ranks) {
  std::string grid = std::to_string(s.dim) + "D " + std::to_string(s.size);
  for (int d = 1; d < s.dim; ++d) grid += "x" + std::to_string(s.size);
  return json{{"grid", grid},
              {"dim", s.dim},
              {"size", s.size},
              {"steps", s.steps},
              {"dt", dt},
              {"obstacle", s.obstacle},
              {"advection", s.advection},
              {"top", s.top_open ? "open" : "closed"},
              {"buoyancy", s.buoyancy},
              {"source_speed", s.source_speed},
              {"seed", s.seed},
              {"max_cfl", s.max_cfl},
              {"rtol", settings.rtol},
              {"max_iterations", settings.max_iterations},
              {"warm_start", settings.warm_start},
              {"ranks", ranks}};
}

namespace {

json summary_of(const SolverRun& run) {
  const double n = std::max<std::size_t>(1, run.steps.size());
  return json{{"solver", run.solver},
              {"description", run.description},
              {"steps_run", run.steps.size()},
              {"setup_s", run.total_setup_s()},
              {"solve_s", run.total_solve_s()},
              {"total_s", run.total_setup_s() + run.total_solve_s()},
              {"iterations", run.total_iterations()},
              {"mean_iterations", run.total_iterations() / n},
              {"max_divergence", run.max_divergence()},
              {"all_converged", run.all_converged()}};
}

}  // namespace

json run_json(const SolverRun& run, const Scene& s, double dt, const SolverSettings& settings,
              int ranks, const std::string& command) {
  json steps = json::array();
  for (const auto& r : run.steps) steps.push_back(step_json(r));
  json summary = scene_json(s, dt, settings, ranks);
  summary.update(summary_of(run));
  summary["command"] = command;
  return json{{"steps", steps}, {"summary", summary}};
}

std::string write_comparison(const std::string& out, const std::vector<SolverRun>& runs,
                             const Scene& s, double dt, const SolverSettings& settings, int ranks,
                             const std::string& command) {
  const auto in_out = [&](const char* name) {
    return (std::filesystem::path(out) / name).string();
  };
  ex::Csv csv({"solver", "description", "steps", "setup_s", "solve_s", "total_s", "iterations",
               "mean_iterations", "max_divergence", "all_converged"});
  std::string table =
      "solver       steps   setup [s]   solve [s]   total [s]  mean its  max div after\n";
  json runs_json = json::array();
  ex::LinePlot iterations{"Pressure solve iterations per step", "step", "iterations", {}, NAN};
  ex::LinePlot time{"Pressure set-up + solve time per step", "step", "seconds", {}, NAN};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const SolverRun& r = runs[i];
    const json sum = summary_of(r);
    csv.row({r.solver, r.description, std::to_string(r.steps.size()),
             ex::Csv::number(r.total_setup_s()), ex::Csv::number(r.total_solve_s()),
             ex::Csv::number(r.total_setup_s() + r.total_solve_s()),
             std::to_string(r.total_iterations()), ex::Csv::number(sum["mean_iterations"]),
             ex::Csv::number(r.max_divergence()), r.all_converged() ? "true" : "false"});
    char line[256];
    std::snprintf(line, sizeof line, "%-12s %5zu %11.4f %11.4f %11.4f %9.1f %14.3e%s\n",
                  r.solver.c_str(), r.steps.size(), r.total_setup_s(), r.total_solve_s(),
                  r.total_setup_s() + r.total_solve_s(), sum["mean_iterations"].get<double>(),
                  r.max_divergence(), r.all_converged() ? "" : "  (some solves did not converge)");
    table += line;
    json steps = json::array();
    ex::Series its{r.solver, {}, {}, ex::palette(i)}, secs{r.solver, {}, {}, ex::palette(i)};
    for (const auto& st : r.steps) {
      steps.push_back(step_json(st));
      its.x.push_back(st.step);
      its.y.push_back(st.iterations);
      secs.x.push_back(st.step);
      secs.y.push_back(st.setup_s + st.solve_s);
    }
    iterations.series.push_back(its);
    time.series.push_back(secs);
    runs_json.push_back(json{{"summary", sum}, {"steps", steps}});
  }
  json scene = scene_json(s, dt, settings, ranks);
  scene["command"] = command;
  csv.write(in_out("compare.csv"));
  ex::write_json(in_out("compare.json"), json{{"scene", scene}, {"runs", runs_json}});
  deepsolve::learned::write_file_atomically(in_out("iterations.png"),
                                            ex::plot_png(iterations, 800, 500));
  deepsolve::learned::write_file_atomically(in_out("time.png"), ex::plot_png(time, 800, 500));
  return table;
}

}  // namespace smoke
