// Running one solver on the problem and measuring it: deepsolve's CG (matrix-free or on the AIJ
// matrix), a classical PETSc KSP configured by deepsolve::petsc::configure_classical_ksp, or
// DCDM (KSP dcdm) with a trained network or classical directions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/petsc/vector.hpp"
#include "options.hpp"

namespace poisson_solve {

using deepsolve::petsc::DmdaPoisson;

struct Row {
  std::string solver;
  std::string description;  ///< what ran, e.g. "KSPCG + PCMG (5 levels)"
  int iterations = 0;
  double setup_s = 0.0;  ///< MPI_Wtime, maximum over ranks
  double solve_s = 0.0;
  double true_relative_residual = std::numeric_limits<double>::quiet_NaN();  ///< ||b-Ax||/||b||
  std::string reason;                                                        ///< PETSc's spelling
  bool converged = false;
  double error_vs_exact = std::numeric_limits<double>::quiet_NaN();  ///< --rhs manufactured only
  /// dcdm only: wall time in the network (NetworkDirection::network_seconds(), the maximum over
  /// ranks) and the number of directions it computed.
  double network_s = std::numeric_limits<double>::quiet_NaN();
  std::int64_t network_calls = 0;
};

/// The network of --solvers dcdm, loaded on every rank (each applies it to the whole grid).
struct DcdmNetwork {
  std::shared_ptr<deepsolve::solvers::dcdm::NetworkDirection> direction;
  std::string path;
  double load_s = 0.0;  ///< this rank's time to load and check it; part of the row's setup
};

/// Loads options.dcdm_model for `grid` (solid and air cells masked) on options.dcdm_device, and
/// applies it once to check that it runs on this grid. Throws std::runtime_error with one line
/// naming the file (missing, corrupt, a 2D model on a 3D grid, a wrong output shape) or the
/// device.
DcdmNetwork load_dcdm_network(const Options& options, const deepsolve::solvers::Grid& grid,
                              int rank);

struct SolveSettings {
  double rtol = 1e-6;
  double atol = 1e-50;
  int max_iterations = 10000;
  bool monitor = false;           ///< -ksp_monitor given: print the residuals of cg-mf/cg-aij too
  bool converged_reason = false;  ///< -ksp_converged_reason given: likewise
  int dcdm_window = 2;
  int dcdm_max_iterations = 10000;            ///< the limit of the dcdm rows
  const DcdmNetwork* dcdm_network = nullptr;  ///< needed by dcdm
};

/// Solves A x = b with the named solver (x is overwritten) and fills a row; the residual is
/// recomputed with the assembled matrix. Divergence is a row, not an exception.
Row run_solver(const std::string& name, const DmdaPoisson& problem,
               const deepsolve::petsc::Vector& b, deepsolve::petsc::Vector& x,
               const SolveSettings& settings);

/// ||b - A x|| / ||b|| with the assembled matrix.
double true_relative_residual(const DmdaPoisson& problem, Vec b, Vec x);

}  // namespace poisson_solve
