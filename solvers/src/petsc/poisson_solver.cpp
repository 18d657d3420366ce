#include "deepsolve/solvers/petsc/poisson_solver.hpp"

#include <cmath>
#include <stdexcept>

#include "deepsolve/solvers/dcdm/default_models.hpp"
#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"
#include "deepsolve/solvers/petsc/register.hpp"

namespace deepsolve::petsc {

namespace {

double max_over_ranks(MPI_Comm comm, double local) {
  double global = local;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_MAX, comm);
  return global;
}

/// Wall time of a collective phase: every rank starts together, the slowest rank's time counts.
class PhaseClock {
 public:
  explicit PhaseClock(MPI_Comm comm) : comm_(comm) {
    MPI_Barrier(comm_);
    start_ = MPI_Wtime();
  }
  double seconds() const { return max_over_ranks(comm_, MPI_Wtime() - start_); }

 private:
  MPI_Comm comm_;
  double start_;
};

/// Sets v to zero on this rank's solid and air cells; returns whether any entry was nonzero.
bool zero_outside_fluid(const DmdaPoisson& problem, Vec v) {
  const Box& box = problem.owned_box();
  const solvers::Grid& grid = problem.grid();
  PetscScalar* a;
  DEEPSOLVE_PETSC_CALL(VecGetArray(v, &a));
  bool changed = false;
  std::size_t at = 0;
  for (int k = box.lo[2]; k < box.lo[2] + box.n[2]; ++k)
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i, ++at)
        if (grid.cell(i, j, k) != solvers::CellType::fluid && a[at] != 0.0) {
          a[at] = 0.0;
          changed = true;
        }
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(v, &a));
  return changed;
}

}  // namespace

std::vector<std::string> PoissonSolver::solver_names() {
  std::vector<std::string> names{"dcdm"};
  for (const auto& m : classical_methods()) names.push_back(m.name);
  return names;
}

PoissonSolver::PoissonSolver(MPI_Comm comm, const solvers::Grid& grid,
                             const PoissonSolverOptions& options, const DmdaLayout& layout)
    : comm_(comm), options_(options) {
  const bool dcdm = options_.solver() == "dcdm";
  if (!dcdm && !is_classical_method(options_.solver())) {
    std::string valid;
    for (const auto& name : solver_names()) valid += (valid.empty() ? "" : ", ") + name;
    throw std::invalid_argument("unknown solver '" + options_.solver() + "' (valid: " + valid +
                                ")");
  }
  if (!(options_.rtol() >= 0.0 && options_.rtol() < 1.0))
    throw std::invalid_argument("rtol " + std::to_string(options_.rtol()) + " is not in [0, 1)");
  if (!(options_.atol() >= 0.0) || !std::isfinite(options_.atol()))
    throw std::invalid_argument("atol " + std::to_string(options_.atol()) +
                                " is not a finite value >= 0");
  if (options_.max_iterations() < 1)
    throw std::invalid_argument("max_iterations " + std::to_string(options_.max_iterations()) +
                                " is not >= 1");
  if (options_.window() < 0)
    throw std::invalid_argument("window " + std::to_string(options_.window()) + " is not >= 0");

  const PhaseClock clock(comm_);
  problem_ = std::make_unique<DmdaPoisson>(comm_, grid, layout);
  if (dcdm) {
    if (options_.model().empty()) options_.model(solvers::dcdm::default_model_path(grid.dim()));
    int rank = 0;
    MPI_Comm_rank(comm_, &rank);
    try {
      network_ = std::make_shared<solvers::dcdm::NetworkDirection>(
          options_.model(), grid,
          solvers::dcdm::NetworkDirectionOptions().device(options_.device()).rank(rank));
    } catch (const std::invalid_argument& e) {  // the device
      throw std::invalid_argument("device '" + options_.device() + "': " + e.what());
    } catch (const std::exception& e) {
      std::string message = e.what();
      if (message.find(options_.model()) == std::string::npos)
        message = options_.model() + ": " + message;
      throw std::runtime_error("model " + message);
    }
  }
  try {
    configure();
    set_up();
  } catch (...) {
    KSPDestroy(&ksp_);
    throw;
  }
  pending_setup_s_ = clock.seconds();
}

PoissonSolver::~PoissonSolver() {
  KSPDestroy(&ksp_);
}

void PoissonSolver::configure() {
  DEEPSOLVE_PETSC_CALL(KSPCreate(comm_, &ksp_));
  if (!options_.options_prefix().empty())
    DEEPSOLVE_PETSC_CALL(KSPSetOptionsPrefix(ksp_, options_.options_prefix().c_str()));
  DEEPSOLVE_PETSC_CALL(
      KSPSetInitialGuessNonzero(ksp_, options_.nonzero_initial_guess() ? PETSC_TRUE : PETSC_FALSE));
  if (!network_) {
    DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp_, problem_->matrix(), problem_->matrix()));
    configure_classical_ksp(ksp_, options_.solver(), *problem_, options_.rtol(), options_.atol(),
                            options_.max_iterations());
    return;
  }
  // DCDM: the matrix-free operator only (the network needs no assembled matrix, so a geometry
  // change does not assemble one), and the DMDA so that the direction model sees the whole grid.
  DEEPSOLVE_PETSC_CALL(register_types());
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp_, KSPDCDM));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp_, problem_->matrix_free(), problem_->matrix_free()));
  DEEPSOLVE_PETSC_CALL(KSPSetDM(ksp_, problem_->dm()));
  DEEPSOLVE_PETSC_CALL(KSPSetDMActive(ksp_, PETSC_FALSE));
  DEEPSOLVE_PETSC_CALL(KSPSetNormType(ksp_, KSP_NORM_UNPRECONDITIONED));
  DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp_, options_.rtol(), options_.atol(), PETSC_DEFAULT,
                                        options_.max_iterations()));
  DEEPSOLVE_PETSC_CALL(KSPDCDMSetWindow(ksp_, options_.window()));
  DEEPSOLVE_PETSC_CALL(KSPDCDMSetDirectionModel(ksp_, network_));
  DEEPSOLVE_PETSC_CALL(KSPSetFromOptions(ksp_));
}

void PoissonSolver::set_up() {
  DEEPSOLVE_PETSC_CALL(KSPSetUp(ksp_));
  DEEPSOLVE_PETSC_CALL(KSPSetUpOnBlocks(ksp_));  // block factorisations are set-up too
  if (network_) {
    description_ =
        "KSPDCDM, " + network_->describe() + ", window " + std::to_string(options_.window());
  } else {
    description_ = describe_ksp(ksp_);
  }
}

void PoissonSolver::set_cells(std::vector<solvers::CellType> cells) {
  const PhaseClock clock(comm_);
  problem_->set_cells(std::move(cells));
  if (network_) {
    // DCDM: only the network's geometry inputs change; the MATSHELL is the same object, with a
    // new state, so the KSP keeps its work space.
    network_->set_grid(problem_->grid());
  } else {
    // A classical method is configured again: geometric multigrid's transfers and coarse operators
    // depend on the geometry, and AMG or ICC would redo their set-up on the new matrix anyway.
    KSPDestroy(&ksp_);
    configure();
  }
  set_up();
  pending_setup_s_ += clock.seconds();
}

void PoissonSolver::set_owned_cells(const std::vector<solvers::CellType>& owned) {
  const Box& box = problem_->owned_box();
  if (static_cast<std::int64_t>(owned.size()) != box.num_cells())
    throw std::invalid_argument("set_owned_cells: " + std::to_string(owned.size()) +
                                " cell types, this rank owns " + std::to_string(box.num_cells()) +
                                " cells");
  // Through a distributed vector: the DMDA already knows how to gather its blocks.
  std::vector<double> values(owned.size());
  for (std::size_t c = 0; c < owned.size(); ++c) values[c] = static_cast<double>(owned[c]);
  Vector v = problem_->create_vector();
  problem_->set_owned_values(values, v);
  const std::vector<double> all = problem_->gather_to_all(v);
  std::vector<solvers::CellType> cells(all.size());
  for (std::size_t c = 0; c < all.size(); ++c)
    cells[c] = static_cast<solvers::CellType>(static_cast<int>(all[c]));
  set_cells(std::move(cells));
}

void PoissonSolver::set_nonzero_initial_guess(bool nonzero) {
  options_.nonzero_initial_guess(nonzero);
  DEEPSOLVE_PETSC_CALL(KSPSetInitialGuessNonzero(ksp_, nonzero ? PETSC_TRUE : PETSC_FALSE));
}

PoissonSolveResult PoissonSolver::solve(Vec b, Vec x) {
  PoissonSolveResult result;
  const DmdaPoisson& p = *problem_;
  // Solid and air cells are not unknowns: b and the initial guess are taken as 0 there. A guess
  // left nonzero in a cell an obstacle has just covered would otherwise stay in the residual for
  // good, since DCDM's directions are 0 on those cells.
  Vector copy = p.create_vector();
  DEEPSOLVE_PETSC_CALL(VecCopy(b, copy));
  zero_outside_fluid(p, copy);
  if (options_.nonzero_initial_guess()) zero_outside_fluid(p, x);
  p.project_out_null_space(copy);
  Vec rhs = copy;
  const PhaseClock clock(comm_);
  DEEPSOLVE_PETSC_CALL(KSPSolve(ksp_, rhs, x));
  result.solve_s = clock.seconds();
  result.setup_s = pending_setup_s_;
  pending_setup_s_ = 0.0;

  PetscInt its = 0;
  KSPConvergedReason reason;
  DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(ksp_, &its));
  DEEPSOLVE_PETSC_CALL(KSPGetConvergedReason(ksp_, &reason));
  result.iterations = static_cast<int>(its);
  result.reason = KSPConvergedReasons[reason];
  result.converged = reason > 0;

  Vector r = p.create_vector();
  p.apply_matrix_free(x, r);  // the same operator as the AIJ matrix, which DCDM never assembles
  DEEPSOLVE_PETSC_CALL(VecAYPX(r, -1.0, rhs));  // r <- b - A x
  PetscReal rnorm = 0.0, bnorm = 0.0;
  DEEPSOLVE_PETSC_CALL(VecNorm(r, NORM_2, &rnorm));
  DEEPSOLVE_PETSC_CALL(VecNorm(rhs, NORM_2, &bnorm));
  result.relative_residual = bnorm > 0 ? rnorm / bnorm : rnorm;
  return result;
}

PoissonSolveResult PoissonSolver::solve(const double* b, double* x) {
  const PetscInt n = static_cast<PetscInt>(problem_->owned_box().num_cells());
  Vector bv = problem_->create_vector();
  Vector xv = problem_->create_vector();
  {
    PetscScalar* a;
    DEEPSOLVE_PETSC_CALL(VecGetArray(bv, &a));
    std::copy(b, b + n, a);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(bv, &a));
    DEEPSOLVE_PETSC_CALL(VecGetArray(xv, &a));
    if (options_.nonzero_initial_guess())
      std::copy(x, x + n, a);
    else
      std::fill(a, a + n, 0.0);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(xv, &a));
  }
  PoissonSolveResult result = solve(bv, xv);
  const PetscScalar* a;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(xv, &a));
  std::copy(a, a + n, x);
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(xv, &a));
  return result;
}

}  // namespace deepsolve::petsc
