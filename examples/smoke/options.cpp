#include "options.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <stdexcept>

#include "common/cli.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/solvers/petsc/poisson_solver.hpp"

namespace smoke {

namespace ex = deepsolve::examples;

namespace {

const char kSceneFooter[] = R"(
The scene: a unit box (2D: N x N cells, 3D: N^3), up is the last axis (y in 2D, z in 3D). A smoke
source near the bottom sets density and an upward velocity every step; buoyancy lifts the smoke;
a disc (2D) / sphere (3D) obstacle is absent, static, or moving on a horizontal sinusoid. Walls
are closed (no flow through), the top is open (pressure 0) unless --top closed. Each step solves
the pressure Poisson system with the chosen solver (deepsolve::petsc::PoissonSolver); with a
moving obstacle the operator changes and the solver's set-up is redone (setup_s).

PETSc options: every argument that starts with a single '-' (other than -h) goes to PETSc, with
the next one as its value unless that starts with '-' and is not a number: -ksp_monitor,
-ksp_converged_reason, -log_view, -da_processors_x 2, -pc_gamg_threshold 0.02, ... They apply to
every solver (in compare, to each in turn) and override --rtol/--max-it there.

Exit status: 0; 3 when some pressure solve did not converge (the run goes on; its steps show the
reason); 2 invalid input or another error (one line on stderr, "smoke: error: ...").
)";

void add_scene_options(CLI::App& app, Scene& s, SolverSettings& settings) {
  app.add_option("--dim", s.dim, "2 or 3")->capture_default_str();
  app.add_option("--size", s.size, "cells per axis (>= 8)")->capture_default_str();
  app.add_option("--steps", s.steps, "time steps (>= 1)")->capture_default_str();
  app.add_option("--obstacle", s.obstacle, "none | static | moving")->capture_default_str();
  app.add_option("--advection", s.advection, "semi-lagrangian | maccormack")->capture_default_str();
  app.add_option("--top", s.top_open, "open (p = 0) | closed")
      ->transform(
          CLI::CheckedTransformer(std::map<std::string, bool>{{"open", true}, {"closed", false}}))
      ->default_str("open");
  app.add_option("--dt", s.dt, "time step (0: --cfl h / the fastest prescribed speed)")
      ->capture_default_str();
  app.add_option("--cfl", s.cfl, "CFL number of the default time step")->capture_default_str();
  app.add_option("--max-cfl", s.max_cfl,
                 "largest CFL number allowed during the run (sets the ghost width)")
      ->capture_default_str();
  app.add_option("--buoyancy", s.buoyancy, "upward acceleration per unit density")
      ->capture_default_str();
  app.add_option("--source-speed", s.source_speed, "upward velocity in the source")
      ->capture_default_str();
  app.add_option("--obstacle-radius", s.obstacle_radius, "radius (box widths)")
      ->capture_default_str();
  app.add_option("--obstacle-amplitude", s.obstacle_amplitude,
                 "moving: horizontal excursion of the centre (box widths)")
      ->capture_default_str();
  app.add_option("--obstacle-period", s.obstacle_period, "moving: period of the sinusoid")
      ->capture_default_str();
  app.add_option("--seed", s.seed, "seed of the source's density noise")->capture_default_str();
  app.add_option("--model", settings.model, "dcdm: model file (default: the shipped model)");
  app.add_option("--rtol", settings.rtol, "stop at ||b - A p|| <= rtol ||b||")
      ->capture_default_str();
  app.add_option("--max-it", settings.max_iterations, "most iterations per solve")
      ->capture_default_str();
  app.add_flag("--warm-start", settings.warm_start,
               "start each solve from the last step's pressure");
}

void check_settings(const SolverSettings& s) {
  ex::check(s.rtol > 0 && s.rtol < 1, "--rtol must be in (0, 1), got " + ex::format_number(s.rtol));
  ex::check_at_least("--max-it", s.max_iterations, 1);
  if (!s.model.empty())
    ex::check(std::filesystem::is_regular_file(s.model), "--model " + s.model + ": no such file");
}

void check_solver(const std::string& option, const std::string& name) {
  ex::check_choice(option, "solver", name, deepsolve::petsc::PoissonSolver::solver_names());
}

}  // namespace

std::string output_in(const std::string& dir, const std::string& name, const std::string& option) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw std::invalid_argument(option + " " + dir + ": cannot create it (" + error.message() +
                                ")");
  const std::string path = (std::filesystem::path(dir) / name).string();
  deepsolve::learned::check_output_path(path, option);
  return path;
}

RunOptions parse_run(const std::vector<std::string>& args) {
  RunOptions o;
  CLI::App app{"smoke run: a smoke simulation that solves its pressure system every step",
               "smoke run"};
  ex::setup_app(app, 30, kSceneFooter);
  add_scene_options(app, o.scene, o.settings);
  std::string solvers;
  for (const auto& name : deepsolve::petsc::PoissonSolver::solver_names())
    solvers += (solvers.empty() ? "" : " | ") + name;
  app.add_option("--solver", o.solver, solvers)->capture_default_str();
  app.add_option("--json", o.json, "write the steps and a summary as JSON");
  app.add_option("--frames", o.frames, "write PNG frames of the density into this folder");
  app.add_option("--vtk", o.vtk, "write .vts files (density, velocity, pressure) into this folder");
  app.add_option("--every", o.every, "frames and VTK every K steps (and the last)")
      ->capture_default_str();
  app.add_flag("--quiet", o.quiet, "no line per step");
  o.help = ex::parse(app, args);
  if (!o.help.empty()) return o;
  check_scene(o.scene);
  check_settings(o.settings);
  check_solver("--solver", o.solver);
  ex::check_at_least("--every", o.every, 1);
  ex::OutputFiles outputs;
  outputs.add("--json", o.json);
  outputs.check_writable();
  if (!o.frames.empty()) output_in(o.frames, "frame_00000.png", "--frames");
  if (!o.vtk.empty()) output_in(o.vtk, "smoke_00000.vts", "--vtk");
  return o;
}

CompareOptions parse_compare(const std::vector<std::string>& args) {
  CompareOptions o;
  std::string solvers = "dcdm,icc,gamg,gmg";
  bool verbose = false;
  CLI::App app{"smoke compare: the same scene with several solvers, a table and plots",
               "smoke compare"};
  ex::setup_app(app, 30, kSceneFooter);
  add_scene_options(app, o.scene, o.settings);
  app.add_option("--solvers", solvers, "comma-separated solvers")->capture_default_str();
  app.add_option("--out", o.out,
                 "folder for compare.csv, compare.json, iterations.png and time.png")
      ->required();
  app.add_flag("--verbose", verbose, "a line per step of every solver");
  o.help = ex::parse(app, args);
  if (!o.help.empty()) return o;
  o.quiet = !verbose;
  check_scene(o.scene);
  check_settings(o.settings);
  o.solvers = ex::split_list(solvers, true);
  ex::check(!o.solvers.empty(), "--solvers is empty");
  for (const auto& s : o.solvers) check_solver("--solvers", s);
  for (const char* name : {"compare.csv", "compare.json", "iterations.png", "time.png"})
    output_in(o.out, name, "--out");
  return o;
}

}  // namespace smoke
