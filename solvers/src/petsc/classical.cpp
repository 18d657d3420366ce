#include "deepsolve/solvers/petsc/classical.hpp"

#include <algorithm>
#include <stdexcept>

namespace deepsolve::petsc {

std::vector<ClassicalMethod> classical_methods() {
  return {
      {"cg", "KSPCG, no preconditioner"},
      {"jacobi", "KSPCG + PCJACOBI"},
      {"icc", "KSPCG + ICC(0) (block Jacobi with ICC(0) blocks on more than one rank)"},
      {"gamg", "KSPCG + PCGAMG (smoothed aggregation, PETSc defaults)"},
      {"boomeramg", "KSPCG + PCHYPRE BoomerAMG (hypre defaults)"},
      {"gmg", "KSPCG + PCMG on the DMDA hierarchy (Galerkin, cell-centred Q0 transfer)"},
  };
}

bool is_classical_method(const std::string& name) {
  const auto m = classical_methods();
  return std::any_of(m.begin(), m.end(), [&](const auto& c) { return c.name == name; });
}

int multigrid_levels(const DmdaPoisson& problem) {
  PetscInt procs[3] = {1, 1, 1};
  DEEPSOLVE_PETSC_CALL(DMDAGetInfo(problem.dm(), nullptr, nullptr, nullptr, nullptr, &procs[0],
                                   &procs[1], &procs[2], nullptr, nullptr, nullptr, nullptr, nullptr,
                                   nullptr));
  auto n = problem.grid().size();
  int levels = 1;
  for (;;) {
    bool ok = true;
    for (int d = 0; d < problem.grid().dim(); ++d)
      ok = ok && n[d] % 2 == 0 && n[d] / 2 >= std::max<int>(4, static_cast<int>(procs[d]));
    if (!ok) break;
    for (int d = 0; d < problem.grid().dim(); ++d) n[d] /= 2;
    ++levels;
  }
  return levels;
}

void configure_classical_ksp(KSP ksp, const std::string& method, const DmdaPoisson& problem,
                             double rtol, double atol, int max_iterations) {
  if (!is_classical_method(method)) {
    std::string valid;
    for (const auto& m : classical_methods()) valid += (valid.empty() ? "" : ", ") + m.name;
    throw std::invalid_argument("unknown classical solver '" + method + "' (valid: " + valid + ")");
  }
  PetscMPIInt size;
  MPI_Comm_size(problem.comm(), &size);
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPCG));
  DEEPSOLVE_PETSC_CALL(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, rtol, atol, PETSC_DEFAULT, max_iterations));
  PC pc;
  DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
  if (method == "cg") {
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCNONE));
  } else if (method == "jacobi") {
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCJACOBI));
  } else if (method == "icc") {
    if (size == 1) {
      DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCICC));
    } else {
      DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCBJACOBI));
      DEEPSOLVE_PETSC_CALL(PetscOptionsSetValue(nullptr, "-sub_pc_type", "icc"));
    }
  } else if (method == "gamg") {
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCGAMG));
  } else if (method == "boomeramg") {
#if defined(PETSC_HAVE_HYPRE)
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCHYPRE));
    DEEPSOLVE_PETSC_CALL(PCHYPRESetType(pc, "boomeramg"));
#else
    throw std::invalid_argument("solver 'boomeramg' needs a PETSc built with hypre; this one is not");
#endif
  } else if (method == "gmg") {
    DEEPSOLVE_PETSC_CALL(KSPSetDM(ksp, problem.dm()));
    DEEPSOLVE_PETSC_CALL(KSPSetDMActive(ksp, PETSC_FALSE));  // operators are ours, not the DM's
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCMG));
    DEEPSOLVE_PETSC_CALL(PCMGSetLevels(pc, multigrid_levels(problem), nullptr));
    DEEPSOLVE_PETSC_CALL(PCMGSetGalerkin(pc, PC_MG_GALERKIN_BOTH));
  }
  DEEPSOLVE_PETSC_CALL(KSPSetFromOptions(ksp));
}

}  // namespace deepsolve::petsc
