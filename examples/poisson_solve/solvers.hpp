// Running one solver on the problem and measuring it: deepsolve's CG (matrix-free or on the AIJ
// matrix) or a classical PETSc KSP configured by deepsolve::petsc::configure_classical_ksp.
#pragma once

#include <limits>
#include <string>

#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/petsc/vector.hpp"

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
};

struct SolveSettings {
  double rtol = 1e-6;
  double atol = 1e-50;
  int max_iterations = 10000;
  bool monitor = false;           ///< -ksp_monitor given: print the residuals of cg-mf/cg-aij too
  bool converged_reason = false;  ///< -ksp_converged_reason given: likewise
};

/// Solves A x = b with the named solver (x is overwritten) and fills a row; the residual is
/// recomputed with the assembled matrix. Divergence is a row, not an exception.
Row run_solver(const std::string& name, const DmdaPoisson& problem,
               const deepsolve::petsc::Vector& b, deepsolve::petsc::Vector& x,
               const SolveSettings& settings);

/// ||b - A x|| / ||b|| with the assembled matrix.
double true_relative_residual(const DmdaPoisson& problem, Vec b, Vec x);

}  // namespace poisson_solve
