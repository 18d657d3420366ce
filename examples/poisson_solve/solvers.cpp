#include "solvers.hpp"

#include <petscksp.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "collective.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"
#include "deepsolve/solvers/petsc/register.hpp"

namespace poisson_solve {

namespace petsc = deepsolve::petsc;
namespace ds = deepsolve::solvers;

namespace {

/// Starts a timed phase: all ranks start together.
double start_clock(MPI_Comm comm) {
  MPI_Barrier(comm);
  return MPI_Wtime();
}

double max_over_ranks(MPI_Comm comm, double local) {
  double global = local;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_MAX, comm);
  return global;
}

/// Owns a KSP.
struct KspHandle {
  KSP ksp = nullptr;
  explicit KspHandle(MPI_Comm comm) { DEEPSOLVE_PETSC_CALL(KSPCreate(comm, &ksp)); }
  ~KspHandle() { KSPDestroy(&ksp); }
  KspHandle(const KspHandle&) = delete;
  KspHandle& operator=(const KspHandle&) = delete;
};

Row run_library_cg(const std::string& name, const DmdaPoisson& problem, const petsc::Vector& b,
                   petsc::Vector& x, const SolveSettings& s) {
  const MPI_Comm comm = problem.comm();
  Row row;
  row.solver = name;
  const bool matrix_free = name == "cg-mf";
  row.description =
      matrix_free ? "deepsolve CG, matrix-free stencil" : "deepsolve CG, MatMult (AIJ)";
  ds::KrylovOptions options;
  options.rtol(s.rtol).atol(s.atol).max_iterations(s.max_iterations);
  if (s.monitor)
    options.monitor([comm](int it, double rnorm) {
      PetscPrintf(comm, "%3d KSP Residual norm %14.12e \n", it, rnorm);
    });
  petsc::PetscSpace space;
  double t0 = start_clock(comm);
  ds::SolveResult result;
  if (matrix_free) {
    auto A = [&problem](const petsc::Vector& in, petsc::Vector& out) {
      problem.apply_matrix_free(in, out);
    };
    result = ds::conjugate_gradient(space, A, b, x, options);
  } else {
    result = ds::conjugate_gradient(space, petsc::MatOperator{problem.matrix()}, b, x, options);
  }
  row.solve_s = max_over_ranks(comm, MPI_Wtime() - t0);
  row.iterations = result.iterations;
  row.reason = ds::to_string(result.reason);
  row.converged = result.converged();
  if (s.converged_reason)
    PetscPrintf(comm, "Linear solve %s due to %s iterations %d\n",
                row.converged ? "converged" : "did not converge", row.reason.c_str(),
                row.iterations);
  return row;
}

Row run_petsc(const std::string& name, const DmdaPoisson& problem, const petsc::Vector& b,
              petsc::Vector& x, const SolveSettings& s) {
  const MPI_Comm comm = problem.comm();
  Row row;
  row.solver = name;
  double t0 = start_clock(comm);
  KspHandle h(comm);
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(h.ksp, problem.matrix(), problem.matrix()));
  petsc::configure_classical_ksp(h.ksp, name, problem, s.rtol, s.atol, s.max_iterations);
  DEEPSOLVE_PETSC_CALL(KSPSetUp(h.ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetUpOnBlocks(h.ksp));  // block factorizations belong to the setup too
  row.setup_s = max_over_ranks(comm, MPI_Wtime() - t0);
  row.description = petsc::describe_ksp(h.ksp);

  t0 = start_clock(comm);
  DEEPSOLVE_PETSC_CALL(KSPSolve(h.ksp, b, x));
  row.solve_s = max_over_ranks(comm, MPI_Wtime() - t0);
  PetscInt its;
  KSPConvergedReason reason;
  DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(h.ksp, &its));
  DEEPSOLVE_PETSC_CALL(KSPGetConvergedReason(h.ksp, &reason));
  row.iterations = static_cast<int>(its);
  row.reason = KSPConvergedReasons[reason];
  row.converged = reason > 0;
  return row;
}

/// DCDM through PETSc: KSP dcdm on the matrix-free operator (the AIJ matrix is the preconditioning
/// matrix, which only dcdm-jacobi's diagonal and dcdm-icc's factorisation read), with the DMDA
/// set on the KSP so that the network's whole-grid gather knows the grid. PETSc's options are
/// applied after poisson_solve's, as for the classical solvers, so -ksp_dcdm_window, -ksp_rtol or
/// -ksp_monitor work (and -ksp_dcdm_model replaces the row's model).
Row run_dcdm(const std::string& name, const DmdaPoisson& problem, const petsc::Vector& b,
             petsc::Vector& x, const SolveSettings& s) {
  const MPI_Comm comm = problem.comm();
  Row row;
  row.solver = name;
  const DcdmNetwork* network = name == "dcdm" ? s.dcdm_network : nullptr;
  if (name == "dcdm" && (!network || !network->direction))
    throw std::logic_error("dcdm: the network was not loaded");
  DEEPSOLVE_PETSC_CALL(petsc::register_types());

  double t0 = start_clock(comm);
  KspHandle h(comm);
  KSP ksp = h.ksp;
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPDCDM));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, problem.matrix_free(), problem.matrix()));
  DEEPSOLVE_PETSC_CALL(KSPSetDM(ksp, problem.dm()));
  DEEPSOLVE_PETSC_CALL(KSPSetDMActive(ksp, PETSC_FALSE));  // the operators are ours, not the DM's
  DEEPSOLVE_PETSC_CALL(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, s.rtol, s.atol, PETSC_DEFAULT, s.dcdm_max_iterations));
  DEEPSOLVE_PETSC_CALL(KSPDCDMSetWindow(ksp, s.dcdm_window));
  PC pc;
  DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
  std::string directions;
  if (network) {
    DEEPSOLVE_PETSC_CALL(petsc::KSPDCDMSetDirectionModel(ksp, network->direction));
    directions = network->direction->describe();
  } else if (name == "dcdm-identity") {
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetModel(ksp, "identity"));
    directions = "identity directions (q = r)";
  } else if (name == "dcdm-jacobi") {
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetModel(ksp, "jacobi"));
    directions = "Jacobi directions (q = D^-1 r)";
  } else if (name == "dcdm-icc") {
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetModel(ksp, "pc"));
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, size_of(comm) == 1 ? PCICC : PCBJACOBI));
    directions = "directions from the PC";
  } else {
    throw std::invalid_argument("unknown DCDM solver '" + name + "'");
  }
  DEEPSOLVE_PETSC_CALL(KSPSetFromOptions(ksp));
  if (name == "dcdm-icc" && size_of(comm) > 1) petsc::use_icc_blocks(ksp);
  DEEPSOLVE_PETSC_CALL(KSPSetUp(ksp));
  // KSP dcdm leaves the factorisation of its PC to the first KSPSolve; it belongs to the setup.
  if (name == "dcdm-icc") DEEPSOLVE_PETSC_CALL(PCSetUp(pc));
  DEEPSOLVE_PETSC_CALL(KSPSetUpOnBlocks(ksp));
  row.setup_s = max_over_ranks(comm, MPI_Wtime() - t0 + (network ? network->load_s : 0.0));
  row.description = "KSPDCDM, " + directions;
  if (name == "dcdm-icc") row.description = petsc::describe_ksp(ksp) + " directions";
  row.description += ", window " + std::to_string(s.dcdm_window);

  if (network) network->direction->reset_timing();
  t0 = start_clock(comm);
  DEEPSOLVE_PETSC_CALL(KSPSolve(ksp, b, x));
  row.solve_s = max_over_ranks(comm, MPI_Wtime() - t0);
  if (network) {
    row.network_s = max_over_ranks(comm, network->direction->network_seconds());
    row.network_calls = network->direction->calls();
  }
  PetscInt its;
  KSPConvergedReason reason;
  DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(ksp, &its));
  DEEPSOLVE_PETSC_CALL(KSPGetConvergedReason(ksp, &reason));
  row.iterations = static_cast<int>(its);
  row.reason = KSPConvergedReasons[reason];
  row.converged = reason > 0;
  return row;
}

}  // namespace

DcdmNetwork load_dcdm_network(const Options& options, const deepsolve::solvers::Grid& grid,
                              int rank) {
  namespace dcdm = deepsolve::solvers::dcdm;
  DcdmNetwork network;
  network.path = options.dcdm_model;
  const double t0 = MPI_Wtime();
  try {
    network.direction = std::make_shared<dcdm::NetworkDirection>(
        options.dcdm_model, grid,
        dcdm::NetworkDirectionOptions().device(options.dcdm_device).rank(rank));
    // One direction on this grid, so that a model whose forward fails or returns another shape
    // is refused before any solver runs (it also warms the network up; the time is set-up).
    const auto n = static_cast<std::size_t>(grid.num_cells());
    std::vector<double> r(n, 0.0), q(n, 0.0);
    const std::int64_t fluid = grid.count(deepsolve::solvers::CellType::fluid);
    for (std::size_t i = 0; i < n; ++i)
      if (grid.cells()[i] == deepsolve::solvers::CellType::fluid)
        r[i] = 1.0 / std::sqrt(static_cast<double>(fluid));
    network.direction->apply(r.data(), q.data());
    network.direction->reset_timing();
  } catch (const std::invalid_argument& e) {  // the device
    throw std::runtime_error("--dcdm-device " + options.dcdm_device + ": " + e.what());
  } catch (const std::exception& e) {  // the file; the loader's messages start with its path
    std::string message = e.what();
    if (message.find(options.dcdm_model) == std::string::npos)
      message = options.dcdm_model + ": " + message;
    throw std::runtime_error(
        (options.dcdm_model_given ? "--dcdm-model: " : "dcdm: shipped model ") + message);
  }
  network.load_s = MPI_Wtime() - t0;
  return network;
}

double true_relative_residual(const DmdaPoisson& problem, Vec b, Vec x) {
  petsc::Vector r = problem.create_vector();
  DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix(), x, r));
  DEEPSOLVE_PETSC_CALL(VecAYPX(r, -1.0, b));  // r <- b - A x
  PetscReal rnorm, bnorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(r, NORM_2, &rnorm));
  DEEPSOLVE_PETSC_CALL(VecNorm(b, NORM_2, &bnorm));
  return bnorm > 0 ? rnorm / bnorm : rnorm;
}

Row run_solver(const std::string& name, const DmdaPoisson& problem, const petsc::Vector& b,
               petsc::Vector& x, const SolveSettings& settings) {
  DEEPSOLVE_PETSC_CALL(VecZeroEntries(x));
  Row row;
  if (name == "cg-mf" || name == "cg-aij")
    row = run_library_cg(name, problem, b, x, settings);
  else if (is_dcdm_solver(name))
    row = run_dcdm(name, problem, b, x, settings);
  else
    row = run_petsc(name, problem, b, x, settings);
  row.true_relative_residual = true_relative_residual(problem, b, x);
  return row;
}

}  // namespace poisson_solve
