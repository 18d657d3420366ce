// poisson_solve's command line: the arguments CLI11 sees (PETSc's single-dash options are split off
// before, see main.cpp) and their checks, which name the offending option.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace poisson_solve {

/// Process exit codes (also listed in --help).
enum ExitCode : int { exit_converged = 0, exit_error = 2, exit_not_converged = 3 };

struct Options {
  int dim = 3;
  int size = 64;
  std::array<int, 3> axis_size{0, 0, 0};  ///< --nx/--ny/--nz; 0 where not given (use --size)
  double spacing = 0.0;                   ///< 0: 1 / (largest cell count), the longest side is 1
  std::string geometry = "sphere";
  bool geometry_given = false;
  std::uint64_t seed = 0;
  std::string cells_file;
  std::string bc = "dirichlet";
  std::array<std::string, 6> face_bc;  ///< per-face overrides in Face order, empty where not given
  std::string rhs = "random";
  std::string rhs_file;
  std::string point;  ///< "X,Y[,Z]" for --rhs point, empty for the default position
  bool project_rhs = false;
  std::vector<std::string> solvers;  ///< resolved list, in the order given
  bool solvers_given = false;
  /// The network of --solvers dcdm: --dcdm-model, else the shipped model for --dim (resolved by
  /// parse_options); empty when no dcdm row runs.
  std::string dcdm_model;
  bool dcdm_model_given = false;
  int dcdm_window = 2;               ///< --dcdm-window: A-orthogonal to the last N directions
  std::string dcdm_device = "auto";  ///< --dcdm-device: cpu | cuda | cuda:N | auto
  double rtol = 1e-6;
  double atol = 1e-50;
  int max_iterations = 10000;
  int dcdm_max_iterations = -1;  ///< --dcdm-max-it: limit of the dcdm rows; -1: --max-it
  std::string json_file;
  std::string write_cells;
  std::string write_rhs;

  std::string help;  ///< non-empty when --help was asked for: print it and exit 0
};

/// Every solver name --solvers accepts, in the order of --help.
std::vector<std::string> all_solver_names();
/// What --solvers all (the default) runs: every solver but the dcdm-* references, and dcdm only
/// when it has a model (`dcdm_model` non-empty).
std::vector<std::string> default_solver_names(const std::string& dcdm_model);
/// One line describing a solver.
std::string solver_description(const std::string& name);
/// dcdm, dcdm-identity, dcdm-jacobi, dcdm-icc: KSP dcdm (deepsolve/solvers/petsc/dcdm_ksp.hpp).
bool is_dcdm_solver(const std::string& name);

/// Parses the CLI11 part of the command line (args[0] is the program name). Throws
/// std::invalid_argument with a one-line message for anything malformed or out of range.
Options parse_options(const std::vector<std::string>& args);

/// The files a run writes (--json, --write-cells, --write-rhs), each with its option.
deepsolve::examples::OutputFiles output_files(const Options& o);

}  // namespace poisson_solve
