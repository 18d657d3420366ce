#include "solvers.hpp"

#include <petscksp.h>

#include <cctype>

#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"

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

std::string describe_ksp(KSP ksp) {
  KSPType ktype;
  PC pc;
  PCType ptype;
  DEEPSOLVE_PETSC_CALL(KSPGetType(ksp, &ktype));
  DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
  DEEPSOLVE_PETSC_CALL(PCGetType(pc, &ptype));
  auto upper = [](std::string t) {
    for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return t;
  };
  std::string d = "KSP" + upper(ktype) + " + PC" + upper(ptype);
  PetscBool is;
  DEEPSOLVE_PETSC_CALL(PetscObjectTypeCompare((PetscObject)pc, PCMG, &is));
  if (is) {
    PetscInt levels;
    DEEPSOLVE_PETSC_CALL(PCMGGetLevels(pc, &levels));
    d += " (" + std::to_string(levels) + " levels)";
  }
  DEEPSOLVE_PETSC_CALL(PetscObjectTypeCompare((PetscObject)pc, PCBJACOBI, &is));
  if (is) {
    PetscInt nlocal;
    KSP* sub;
    DEEPSOLVE_PETSC_CALL(PCBJacobiGetSubKSP(pc, &nlocal, nullptr, &sub));
    if (nlocal > 0) {
      PC subpc;
      PCType subtype;
      DEEPSOLVE_PETSC_CALL(KSPGetPC(sub[0], &subpc));
      DEEPSOLVE_PETSC_CALL(PCGetType(subpc, &subtype));
      d += " (PC" + upper(subtype) + " blocks)";
    }
  }
  return d;
}

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
  row.description = describe_ksp(h.ksp);

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

}  // namespace

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
  Row row = name == "cg-mf" || name == "cg-aij" ? run_library_cg(name, problem, b, x, settings)
                                                : run_petsc(name, problem, b, x, settings);
  row.true_relative_residual = true_relative_residual(problem, b, x);
  return row;
}

}  // namespace poisson_solve
