// A Poisson solver that a simulation keeps and calls every time step: the problem on a DMDA
// (dmda_poisson.hpp) and one KSP configured by name, DCDM with a trained network or one of the
// classical methods (classical.hpp). set_cells() changes the geometry between steps without
// re-creating anything: the matrix is reassembled in place and only what depends on it is redone
// (the preconditioner's set-up for the classical methods, the network's geometry inputs for DCDM).
// This is what the C API (deepsolve/deepsolve.h) and examples/smoke call.
#pragma once

#include <petscksp.h>

#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/options.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace deepsolve::solvers::dcdm {
class NetworkDirection;
}

namespace deepsolve::petsc {

struct PoissonSolverOptions {
  /// "dcdm" (the network of model()) or a classical method of classical_methods(): "cg",
  /// "jacobi", "icc", "gamg", "boomeramg", "gmg".
  DEEPSOLVE_ARG(std::string, solver) = "dcdm";
  /// dcdm: the model file; empty means the shipped model of the grid's dimension
  /// (dcdm/default_models.hpp).
  DEEPSOLVE_ARG(std::string, model) = "";
  /// dcdm: where the network runs ("cpu", "cuda", "cuda:N", "auto").
  DEEPSOLVE_ARG(std::string, device) = "cpu";
  /// Stop when ||b - A x|| <= max(rtol ||b||, atol) (the unpreconditioned residual).
  DEEPSOLVE_ARG(double, rtol) = 1e-6;
  DEEPSOLVE_ARG(double, atol) = 1e-50;
  DEEPSOLVE_ARG(int, max_iterations) = 10000;
  /// dcdm: previous directions each new one is A-orthogonalised against.
  DEEPSOLVE_ARG(int, window) = 2;
  /// Start from the x given to solve() (e.g. the last step's pressure) instead of zero.
  DEEPSOLVE_ARG(bool, nonzero_initial_guess) = false;
  /// Prefix of this solver's options in PETSc's database (KSPSetOptionsPrefix), e.g. "pressure_"
  /// for -pressure_ksp_monitor. The options database is applied after the settings above.
  DEEPSOLVE_ARG(std::string, options_prefix) = "";
};

/// What one solve did.
struct PoissonSolveResult {
  int iterations = 0;
  /// ||b - A x|| / ||b|| recomputed with the matrix-free operator (b after the null space
  /// projection).
  double relative_residual = 0.0;
  std::string reason;  ///< PETSc's KSPConvergedReason spelling, e.g. "CONVERGED_RTOL"
  bool converged = false;
  /// Set-up this solve paid for: the seconds since the solver was built or set_cells() last
  /// changed the geometry (reassembly, preconditioner or network geometry), maximum over ranks;
  /// 0 when the geometry did not change since the previous solve.
  double setup_s = 0.0;
  double solve_s = 0.0;  ///< KSPSolve, maximum over ranks
};

class PoissonSolver {
 public:
  /// Builds the problem (DmdaPoisson with `layout`) and the KSP, and sets the solver up. Throws
  /// std::invalid_argument for an unknown solver name (listing the valid ones) or a bad option
  /// value, std::runtime_error naming the model file when it cannot be loaded or does not fit the
  /// grid, and petsc::Error for PETSc failures.
  PoissonSolver(MPI_Comm comm, const solvers::Grid& grid, const PoissonSolverOptions& options = {},
                const DmdaLayout& layout = {});
  ~PoissonSolver();
  PoissonSolver(const PoissonSolver&) = delete;
  PoissonSolver& operator=(const PoissonSolver&) = delete;

  const DmdaPoisson& problem() const { return *problem_; }
  const PoissonSolverOptions& options() const { return options_; }
  KSP ksp() const { return ksp_; }
  /// e.g. "KSPCG + PCGAMG" or "KSPDCDM, network models/dcdm_2d.pt (...) on cpu, window 2".
  const std::string& description() const { return description_; }
  /// All solvers the constructor accepts.
  static std::vector<std::string> solver_names();

  /// A new cell-type field (whole grid, natural ordering, the same on every rank): reassembles the
  /// operator, updates the network's geometry inputs (dcdm) and sets the solver up again. The time
  /// is reported as the next solve's setup_s. Throws std::invalid_argument for a wrong length.
  void set_cells(std::vector<solvers::CellType> cells);
  /// The same from this rank's block only (problem().owned_box(), x fastest): the blocks are
  /// gathered to every rank. Collective. Throws std::invalid_argument for a wrong length or a value
  /// that is not a CellType (checked on this rank only: a caller under MPI agrees on errors first).
  void set_owned_cells(const std::vector<solvers::CellType>& owned);

  /// Whether solve() starts from the x it is given (kept across set_cells).
  void set_nonzero_initial_guess(bool nonzero);

  /// Solves A x = b; b and x are vectors of problem(). b is not modified: a copy is set to 0 on
  /// solid and air cells (they are not unknowns; x is 0 there) and projected when the problem has
  /// a null space. x is the initial guess with nonzero_initial_guess (taken as 0 on solid and air
  /// cells). Divergence is a result (converged false, PETSc's reason), not an exception.
  PoissonSolveResult solve(Vec b, Vec x);
  /// The same with plain arrays laid out on problem().owned_box() (x fastest).
  PoissonSolveResult solve(const double* b, double* x);

 private:
  void configure();
  void set_up();

  MPI_Comm comm_;
  PoissonSolverOptions options_;
  std::unique_ptr<DmdaPoisson> problem_;
  std::shared_ptr<solvers::dcdm::NetworkDirection> network_;
  KSP ksp_ = nullptr;
  std::string description_;
  double pending_setup_s_ = 0.0;
};

}  // namespace deepsolve::petsc
