// poisson_solve: the first program to run. Solves one Poisson problem (2D/3D grid, obstacles,
// Dirichlet/Neumann faces) with deepsolve's CG and PETSc's classical solvers and prints one row
// per solver; see --help. Runs under mpiexec; PETSc's own options pass through.
#include <petscdmda.h>
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "collective.hpp"
#include "common/cli.hpp"
#include "common/petsc_arguments.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/solvers/io.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"
#include "deepsolve/solvers/petsc/error.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "options.hpp"
#include "problem.hpp"
#include "report.hpp"
#include "solvers.hpp"

namespace poisson_solve {
namespace {

namespace petsc = deepsolve::petsc;
namespace ds = deepsolve::solvers;
namespace dl = deepsolve::learned;
namespace ex = deepsolve::examples;

/// A right-hand side whose null-space component is at most this fraction of ||b|| is compatible
/// (rounding, or a field projected before it was saved); it is still projected out exactly.
constexpr double kCompatibleFraction = 1e-10;
/// How long a failing rank waits for the others before it aborts the job.
constexpr double kAgreeTimeout = 10.0;

const char kPetscHelp[] =
    "poisson_solve: run 'poisson_solve --help' for its own options. PETSc's options follow.\n";

using Arguments = ex::PetscArguments;

void print0(const std::string& text) {
  if (rank_of(PETSC_COMM_WORLD) != 0) return;
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

void print_error(const std::string& message) {
  ex::print_error("poisson_solve", message);
}

/// An exception's message; for a PETSc error, PETSc's own text for it first.
std::string describe(const std::exception& e) {
  if (const auto* pe = dynamic_cast<const petsc::Error*>(&e)) {
    char* specific = nullptr;
    PetscErrorMessage(pe->code(), nullptr, &specific);
    if (specific && *specific) return ex::one_line(specific) + " [" + e.what() + "]";
  }
  return e.what();
}

/// Rank 0 runs `write`; every rank learns whether it worked.
template <class F>
void write_on_rank0(const dl::DataParallel& errors, F&& write) {
  dl::collectively(errors, [&] {
    if (errors.is_root()) write();
  });
}

bool wants_solver_output(const std::vector<std::string>& petsc_args) {
  for (std::size_t i = 1; i < petsc_args.size(); ++i) {
    const std::string& a = petsc_args[i];
    if (a[0] != '-' || a == "-log_view") continue;
    if (a.find("monitor") != std::string::npos || a.find("_view") != std::string::npos ||
        a.find("converged_reason") != std::string::npos || a == "-info")
      return true;
  }
  return false;
}

bool has_petsc_option(const char* name) {
  PetscBool set = PETSC_FALSE;
  DEEPSOLVE_PETSC_CALL(PetscOptionsHasName(nullptr, nullptr, name, &set));
  return set == PETSC_TRUE;
}

/// max |x - u| / max |u| on the grid, ignoring the null-space component of x - u.
double error_vs_exact(const petsc::DmdaPoisson& problem, Vec x, Vec u) {
  petsc::Vector e = problem.create_vector();
  DEEPSOLVE_PETSC_CALL(VecWAXPY(e, -1.0, u, x));
  if (problem.null_space()) DEEPSOLVE_PETSC_CALL(MatNullSpaceRemove(problem.null_space(), e));
  PetscReal enorm, unorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(e, NORM_INFINITY, &enorm));
  DEEPSOLVE_PETSC_CALL(VecNorm(u, NORM_INFINITY, &unorm));
  return unorm > 0 ? enorm / unorm : enorm;
}

// One matrix-free apply y = A b, the median of five, the slowest rank's: the unit in which the
// benchmarks express the cost of a DCDM iteration outside the network.
double time_matrix_free_apply(const petsc::DmdaPoisson& problem, Vec b) {
  petsc::Vector y = problem.create_vector();
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(b));
  std::vector<double> times;
  for (int rep = 0; rep < 5; ++rep) {
    MPI_Barrier(comm);
    const double t0 = MPI_Wtime();
    problem.apply_matrix_free(b, y);
    double t = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm);
    times.push_back(t);
  }
  std::nth_element(times.begin(), times.begin() + 2, times.end());
  return times[2];
}

/// PETSc reads the options it is given only when an object asks for them, so a misspelt one is
/// silently ignored unless -options_left is on (which also prints the whole option table). Says
/// which were never read, leaving out those PETSc reads only in PetscFinalize (-log_view, ...).
void warn_unused_petsc_options() {
  PetscInt n = 0;
  char** names = nullptr;
  char** values = nullptr;
  if (PetscOptionsLeftGet(nullptr, &n, &names, &values) != 0) return;
  std::string unused;
  for (PetscInt i = 0; i < n; ++i) {
    const std::string name = names[i];
    bool at_finalize = false;
    for (const char* prefix :
         {"log_", "options_", "malloc_", "memory_view", "objects_dump", "saws"})
      at_finalize = at_finalize || name.rfind(prefix, 0) == 0;
    if (!at_finalize) unused += " -" + name;
  }
  PetscOptionsLeftRestore(nullptr, &n, &names, &values);
  if (!unused.empty() && rank_of(PETSC_COMM_WORLD) == 0) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "poisson_solve: warning: PETSc option(s) never used:%s (misspelt, or meant for a "
                 "solver that did not run)\n",
                 unused.c_str());
  }
}

int run(const Arguments& args, MPI_Comm errcomm) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  const int rank = rank_of(comm);
  const dl::DataParallel errors(errcomm);

  // 1. Everything that can be checked before a collective PETSc call; the output paths first
  // (rank 0 writes them), so that a bad one fails before any work.
  Options options;
  dl::collectively(errors, [&] { options = parse_options(args.cli); });
  if (!options.help.empty()) {
    print0(options.help);
    return exit_converged;
  }
  const Options& o = options;
  dl::collectively(errors, [&] {
    if (rank == 0) output_files(o).check_writable();
  });
  ProblemInput input;
  dl::collectively(errors, [&] { input = load_problem(o, size_of(comm)); });
  // The DCDM network: loaded on every rank, which each apply it to the whole grid. A missing or
  // corrupt file, or a model of the other dimension, is bad input like any other.
  DcdmNetwork network;
  if (!o.dcdm_model.empty())
    dl::collectively(errors, [&] { network = load_dcdm_network(o, *input.grid, rank); });

  Report report;
  report.command_line = args.all;
  report.petsc_options.assign(args.petsc.begin() + 1, args.petsc.end());
  report.options = &o;
  report.input = &input;
  report.ranks = size_of(comm);
  if (network.direction) report.dcdm = &network;
  // PETSc's option overrides poisson_solve's in the dcdm rows, as -ksp_rtol does elsewhere (read
  // only when one runs, so that it is reported as unused otherwise).
  PetscInt window = o.dcdm_window;
  if (std::any_of(o.solvers.begin(), o.solvers.end(), is_dcdm_solver))
    DEEPSOLVE_PETSC_CALL(
        PetscOptionsGetInt(nullptr, nullptr, "-ksp_dcdm_window", &window, nullptr));
  report.dcdm_window = static_cast<int>(window);

  // 2. The distributed problem.
  MPI_Barrier(comm);
  double t0 = MPI_Wtime();
  petsc::DmdaPoisson problem(comm, *input.grid);
  double setup = MPI_Wtime() - t0;
  MPI_Allreduce(&setup, &report.setup_s, 1, MPI_DOUBLE, MPI_MAX, comm);
  const Grid& grid = problem.grid();
  PetscInt procs[3] = {1, 1, 1};
  DEEPSOLVE_PETSC_CALL(DMDAGetInfo(problem.dm(), nullptr, nullptr, nullptr, nullptr, &procs[0],
                                   &procs[1], &procs[2], nullptr, nullptr, nullptr, nullptr,
                                   nullptr, nullptr));
  for (int d = 0; d < 3; ++d) report.processes[d] = static_cast<int>(procs[d]);

  petsc::Vector b = problem.create_vector();
  problem.set_owned_values(rhs_on_box(input, grid, problem.owned_box(), o.seed), b);
  if (input.sealed_cells > 0)
    report.notes.push_back(std::to_string(input.sealed_cells) +
                           " fluid cell(s) with solid on every side (first: " +
                           input.first_sealed_cell + ") made solid: their equation is 0 = 0");
  if (input.rhs_entries_zeroed > 0)
    report.notes.push_back(
        std::to_string(input.rhs_entries_zeroed) +
        " nonzero rhs entries on solid/air cells were set to zero (not unknowns)");

  // Singular problems: the rhs must be compatible (every rank computes the same numbers).
  PetscReal bnorm_given;
  DEEPSOLVE_PETSC_CALL(VecNorm(b, NORM_2, &bnorm_given));
  if (problem.null_space()) {
    PetscInt n = 0;
    DEEPSOLVE_PETSC_CALL(MatNullSpaceGetVecs(problem.null_space(), nullptr, &n, nullptr));
    report.floating_regions = static_cast<int>(n);
    report.null_space_fraction = problem.null_space_fraction(b);
    if (report.null_space_fraction > kCompatibleFraction && !o.project_rhs) {
      char buf[512];
      std::snprintf(
          buf, sizeof buf,
          "the right-hand side is incompatible with the singular problem (%d fluid "
          "region%s touching no Dirichlet condition): its null-space component is %.3g of "
          "||b|| (allowed: %g); pass --project-rhs to remove it",
          report.floating_regions, report.floating_regions > 1 ? "s" : "",
          report.null_space_fraction, kCompatibleFraction);
      throw UsageError(buf);
    }
    problem.project_out_null_space(b);
    report.projected = o.project_rhs;
  } else if (o.project_rhs) {
    report.notes.push_back("--project-rhs: the problem is nonsingular, nothing to project");
  }
  PetscReal bnorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(b, NORM_2, &bnorm));
  report.rhs_norm = bnorm;
  if (!(bnorm > 1e-12 * bnorm_given))  // zero, or only rounding left after the projection
    throw UsageError(report.null_space_fraction > 0.0
                         ? "the right-hand side lies entirely in the null space: it is zero after "
                           "--project-rhs, nothing to solve"
                         : "the right-hand side is zero on every fluid cell: nothing to solve");

  report.apply_s = time_matrix_free_apply(problem, b);

  if (!o.write_cells.empty())
    write_on_rank0(errors, [&] { ds::write_cell_types(o.write_cells, grid); });
  if (!o.write_rhs.empty()) {
    const std::vector<double> full = problem.gather_to_all(b);
    write_on_rank0(errors, [&] { ds::write_petsc_vector(o.write_rhs, full); });
  }

  std::vector<std::string> solvers = o.solvers;
  for (auto it = solvers.begin(); it != solvers.end();) {
    if (*it == "gmg" && petsc::multigrid_levels(problem) < 2) {
      const std::string why =
          "gmg needs a grid it can coarsen at least once (every axis even, "
          "at least 8 cells and 2 per rank); " +
          shape(grid) + " is not";
      if (o.solvers_given) throw UsageError(why);
      report.notes.push_back("gmg skipped: " + why);
      it = solvers.erase(it);
    } else {
      ++it;
    }
  }
  print0(header_text(report));

  // 3. The solvers, one row each.
  SolveSettings settings;
  settings.rtol = o.rtol;
  settings.atol = o.atol;
  settings.max_iterations = o.max_iterations;
  settings.dcdm_max_iterations =
      o.dcdm_max_iterations >= 0 ? o.dcdm_max_iterations : o.max_iterations;
  settings.monitor = has_petsc_option("-ksp_monitor");
  settings.converged_reason = has_petsc_option("-ksp_converged_reason");
  settings.dcdm_window = report.dcdm_window;
  settings.dcdm_network = &network;
  const bool verbose = wants_solver_output(args.petsc);
  const bool manufactured = input.rhs_kind == "manufactured";
  petsc::Vector u;
  if (manufactured) {
    u = problem.create_vector();
    problem.set_owned_values(ds::ManufacturedSolution(grid).solution(problem.owned_box()), u);
  }
  petsc::Vector x = problem.create_vector();
  const TableLayout layout = table_layout(solvers, manufactured);
  if (!verbose) print0(table_header(layout));
  for (const auto& name : solvers) {
    if (verbose) print0("\n=== " + name + ": " + solver_description(name) + "\n");
    Row row = run_solver(name, problem, b, x, settings);
    if (manufactured) row.error_vs_exact = error_vs_exact(problem, x, u);
    if (!verbose) print0(table_row(row, layout));
    report.rows.push_back(row);
  }
  if (verbose) {
    print0(table_header(layout));
    for (const auto& row : report.rows) print0(table_row(row, layout));
  }
  bool all_converged = true;
  for (const auto& row : report.rows) all_converged = all_converged && row.converged;
  report.exit_code = all_converged ? exit_converged : exit_not_converged;
  if (!all_converged) print0("\nsome solvers did not converge (exit status 3)\n");

  if (!o.json_file.empty())
    write_on_rank0(
        errors, [&] { deepsolve::learned::write_file_atomically(o.json_file, json_text(report)); });
  return report.exit_code;
}

}  // namespace
}  // namespace poisson_solve

int main(int argc, char** argv) {
  using namespace poisson_solve;
  const Arguments args = ex::split_petsc_arguments(argc, argv);
  std::vector<char*> petsc_argv;
  for (const auto& a : args.petsc) petsc_argv.push_back(const_cast<char*>(a.c_str()));
  petsc_argv.push_back(nullptr);
  int petsc_argc = static_cast<int>(args.petsc.size());
  char** petsc_args = petsc_argv.data();
  if (PetscInitialize(&petsc_argc, &petsc_args, nullptr, kPetscHelp) != 0) {
    print_error("PETSc failed to initialise");
    return exit_error;
  }
  // `poisson_solve --help | head` should end quietly, as other tools do, not in PETSc's handler.
  std::signal(SIGPIPE, SIG_DFL);
  // Errors become exceptions with PETSc's message in them (describe()); no tracebacks.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  MPI_Comm errcomm;  // used only to agree on errors
  MPI_Comm_dup(PETSC_COMM_WORLD, &errcomm);
  const int rank = rank_of(PETSC_COMM_WORLD);

  int code = exit_error;
  try {
    code = run(args, errcomm);
  } catch (const UsageError& e) {  // every rank has it
    if (rank == 0) print_error(e.what());
    code = exit_error;
  } catch (const std::exception& e) {  // perhaps only this rank
    const std::string message = describe(e);
    if (!all_ranks_failed(errcomm, kAgreeTimeout)) {
      std::fprintf(stderr, "poisson_solve: error on rank %d: %s (aborting all ranks)\n", rank,
                   ex::one_line(message).c_str());
      std::fflush(stderr);
      MPI_Abort(PETSC_COMM_WORLD, exit_error);
    }
    if (rank == 0) print_error(message);
    code = exit_error;
  }
  if (code != exit_error) warn_unused_petsc_options();
  MPI_Comm_free(&errcomm);
  PetscFinalize();
  return code;
}
