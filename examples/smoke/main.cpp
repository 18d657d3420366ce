// smoke: an incompressible smoke simulation on a MAC grid that solves its pressure Poisson system
// every step with a chosen solver (docs/smoke.md). `smoke [run] ...` runs one solver, `smoke
// compare ...` several on the same scene. Runs under mpiexec; PETSc's options pass through.
#include <petscsys.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/petsc_arguments.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/solvers/petsc/error.hpp"
#include "frames.hpp"
#include "options.hpp"
#include "poisson_solve/collective.hpp"
#include "report.hpp"
#include "simulation.hpp"
#include "vtk_output.hpp"

namespace smoke {
namespace {

namespace ex = deepsolve::examples;
namespace dl = deepsolve::learned;
using poisson_solve::all_ranks_failed;
using poisson_solve::rank_of;
using poisson_solve::size_of;

constexpr int kExitError = 2, kExitNotConverged = 3;
constexpr double kAgreeTimeout = 10.0;

const char kOverview[] =
    R"(smoke: an incompressible smoke simulation on a MAC grid that solves its pressure
Poisson system every time step with a chosen solver (see docs/smoke.md).

Usage:
  smoke [run] [options]       one solver: a line per step, --json, --frames, --vtk
  smoke compare [options]     several solvers on the same scene: a table and plots in --out

  smoke run --help, smoke compare --help: the options.

Examples:
  smoke --dim 2 --size 128 --steps 100 --obstacle moving --solver dcdm --frames frames --every 5
  mpiexec -n 4 smoke run --dim 3 --size 48 --solver gamg --vtk vtk --json run.json
  smoke compare --size 256 --steps 50 --solvers dcdm,icc,gamg,gmg --out cmp
)";

using Arguments = ex::PetscArguments;

void print0(MPI_Comm comm, const std::string& text) {
  if (rank_of(comm) != 0) return;
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

std::string describe(const std::exception& e) {
  if (const auto* pe = dynamic_cast<const deepsolve::petsc::Error*>(&e)) {
    char* specific = nullptr;
    PetscErrorMessage(pe->code(), nullptr, &specific);
    if (specific && *specific) return ex::one_line(specific) + " [" + e.what() + "]";
  }
  return e.what();
}

deepsolve::petsc::PoissonSolverOptions solver_options(const std::string& name,
                                                      const SolverSettings& s) {
  return deepsolve::petsc::PoissonSolverOptions()
      .solver(name)
      .model(s.model)
      .rtol(s.rtol)
      .max_iterations(s.max_iterations)
      .nonzero_initial_guess(s.warm_start);
}

std::unique_ptr<Simulation> make_simulation(const dl::DataParallel& errors, MPI_Comm comm,
                                            const Scene& scene, const std::string& solver,
                                            const SolverSettings& settings) {
  std::unique_ptr<Simulation> sim;
  dl::collectively(errors, [&] {
    sim = std::make_unique<Simulation>(comm, scene, solver_options(solver, settings));
  });
  return sim;
}

std::string frame_name(const char* prefix, int step, const char* ext) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_%05d.%s", prefix, step, ext);
  return buf;
}

/// Rank 0 runs `write`; every rank learns whether it worked.
template <class F>
void on_rank0(const dl::DataParallel& errors, F&& write) {
  dl::collectively(errors, [&] {
    if (errors.is_root()) write();
  });
}

int run_command(const Arguments& args, const std::vector<std::string>& cli, MPI_Comm errcomm) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  const dl::DataParallel errors(errcomm);
  RunOptions o;
  dl::collectively(errors, [&] { o = parse_run(cli); });
  if (!o.help.empty()) {
    print0(comm, o.help);
    return 0;
  }
  auto sim = make_simulation(errors, comm, o.scene, o.solver, o.settings);
  std::unique_ptr<VtkWriter> vtk;
  if (!o.vtk.empty()) vtk = std::make_unique<VtkWriter>(*sim);
  SolverRun run{o.solver, sim->solver().description(), {}};
  char head[512];
  std::snprintf(head, sizeof head,
                "smoke: %dD %d^%d, obstacle %s, %s advection, top %s, dt %.5g, "
                "%d ranks\nsolver: %s (rtol %g%s)\n",
                o.scene.dim, o.scene.size, o.scene.dim, o.scene.obstacle.c_str(),
                o.scene.advection.c_str(), o.scene.top_open ? "open" : "closed", sim->dt(),
                size_of(comm), run.description.c_str(), o.settings.rtol,
                o.settings.warm_start ? ", warm start" : "");
  print0(comm, head);
  if (!o.quiet) print0(comm, step_header());

  const auto write_outputs = [&](int step) {
    if (!o.frames.empty()) {
      const auto density = sim->gather(sim->fields().density());
      on_rank0(errors, [&] {
        write_density_frame(output_in(o.frames, frame_name("frame", step, "png"), "--frames"),
                            o.scene.dim, o.scene.size, density, sim->cells());
      });
    }
    if (vtk) vtk->write(output_in(o.vtk, frame_name("smoke", step, "vts"), "--vtk"), *sim);
  };
  write_outputs(0);
  for (int s = 1; s <= o.scene.steps; ++s) {
    StepRecord rec;
    dl::collectively(errors, [&] { rec = sim->step(); });
    run.steps.push_back(rec);
    if (!o.quiet) print0(comm, step_line(rec));
    if (s % o.every == 0 || s == o.scene.steps) write_outputs(s);
  }
  char tail[256];
  std::snprintf(tail, sizeof tail,
                "total: setup %.4f s, solve %.4f s, %ld iterations (mean %.1f), max divergence "
                "after projection %.3e\n",
                run.total_setup_s(), run.total_solve_s(), run.total_iterations(),
                static_cast<double>(run.total_iterations()) / run.steps.size(),
                run.max_divergence());
  print0(comm, tail);
  if (!o.json.empty())
    on_rank0(errors, [&] {
      ex::write_json(o.json, run_json(run, o.scene, sim->dt(), o.settings, size_of(comm),
                                      ex::command_record(args.all)));
    });
  if (!run.all_converged()) {
    print0(comm, "some pressure solves did not converge (exit status 3)\n");
    return kExitNotConverged;
  }
  return 0;
}

int compare_command(const Arguments& args, const std::vector<std::string>& cli, MPI_Comm errcomm) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  const dl::DataParallel errors(errcomm);
  CompareOptions o;
  dl::collectively(errors, [&] { o = parse_compare(cli); });
  if (!o.help.empty()) {
    print0(comm, o.help);
    return 0;
  }
  std::vector<SolverRun> runs;
  double dt = 0;
  for (const auto& name : o.solvers) {
    auto sim = make_simulation(errors, comm, o.scene, name, o.settings);
    dt = sim->dt();
    SolverRun run{name, sim->solver().description(), {}};
    print0(comm, name + ": " + run.description + "\n");
    if (!o.quiet) print0(comm, step_header());
    for (int s = 1; s <= o.scene.steps; ++s) {
      StepRecord rec;
      dl::collectively(errors, [&] { rec = sim->step(); });
      run.steps.push_back(rec);
      if (!o.quiet) print0(comm, step_line(rec));
    }
    runs.push_back(run);
  }
  std::string table;
  on_rank0(errors, [&] {
    table = write_comparison(o.out, runs, o.scene, dt, o.settings, size_of(comm),
                             ex::command_record(args.all));
  });
  print0(comm, "\n" + table + "wrote compare.csv, compare.json, iterations.png, time.png in " +
                   o.out + "\n");
  for (const auto& r : runs)
    if (!r.all_converged()) return kExitNotConverged;
  return 0;
}

}  // namespace
}  // namespace smoke

int main(int argc, char** argv) {
  using namespace smoke;
  const Arguments args = ex::split_petsc_arguments(argc, argv);
  std::vector<char*> petsc_argv;
  for (const auto& a : args.petsc) petsc_argv.push_back(const_cast<char*>(a.c_str()));
  petsc_argv.push_back(nullptr);
  int petsc_argc = static_cast<int>(args.petsc.size());
  char** petsc_args = petsc_argv.data();
  if (PetscInitialize(&petsc_argc, &petsc_args, nullptr, nullptr) != 0) {
    ex::print_error("smoke", "PETSc failed to initialise");
    return kExitError;
  }
  std::signal(SIGPIPE, SIG_DFL);
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  MPI_Comm errcomm;  // used only to agree on errors
  MPI_Comm_dup(PETSC_COMM_WORLD, &errcomm);
  const int rank = rank_of(PETSC_COMM_WORLD);

  // The command: run (also when the first argument is an option), compare, or the overview.
  std::vector<std::string> cli = args.cli;
  std::string command = "run";
  if (cli.size() >= 2 && (cli[1] == "run" || cli[1] == "compare")) {
    command = cli[1];
    cli.erase(cli.begin() + 1);
  }
  cli[0] = "smoke " + command;
  int code = kExitError;
  try {
    if (args.cli.size() == 1 ||
        (args.cli.size() == 2 && (args.cli[1] == "-h" || args.cli[1] == "--help"))) {
      print0(PETSC_COMM_WORLD, kOverview);
      code = 0;
    } else if (args.cli.size() >= 2 && args.cli[1][0] != '-' && args.cli[1] != "run" &&
               args.cli[1] != "compare") {
      throw dl::CollectiveError("unknown command '" + args.cli[1] + "' (valid: run, compare)");
    } else {
      code = command == "compare" ? compare_command(args, cli, errcomm)
                                  : run_command(args, cli, errcomm);
    }
  } catch (const dl::CollectiveError& e) {  // every rank has it
    if (rank == 0) ex::print_error("smoke", e.what());
    code = kExitError;
  } catch (const std::exception& e) {  // perhaps only this rank
    const std::string message = describe(e);
    if (!all_ranks_failed(errcomm, kAgreeTimeout)) {
      std::fprintf(stderr, "smoke: error on rank %d: %s (aborting all ranks)\n", rank,
                   ex::one_line(message).c_str());
      std::fflush(stderr);
      MPI_Abort(PETSC_COMM_WORLD, kExitError);
    }
    if (rank == 0) ex::print_error("smoke", message);
    code = kExitError;
  }
  MPI_Comm_free(&errcomm);
  PetscFinalize();
  return code;
}
