#include "deepsolve/solvers/petsc/classical.hpp"

#include "deepsolve/solvers/petsc/cell_centred_multigrid.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace deepsolve::petsc {

/// Parallel ICC(0) is block Jacobi with an ICC(0) factorisation of each rank's block. PCBJACOBI
/// creates its blocks in KSPSetUp, so that is when their PCs can be set; a -sub_pc_type from the
/// options database wins.
void use_icc_blocks(KSP ksp) {
  PC pc;
  DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
  PetscBool bjacobi = PETSC_FALSE;
  DEEPSOLVE_PETSC_CALL(PetscObjectTypeCompare((PetscObject)pc, PCBJACOBI, &bjacobi));
  if (!bjacobi) return;  // -pc_type overrode it
  DEEPSOLVE_PETSC_CALL(KSPSetUp(ksp));
  PetscInt blocks = 0;
  KSP* sub = nullptr;
  DEEPSOLVE_PETSC_CALL(PCBJacobiGetSubKSP(pc, &blocks, nullptr, &sub));
  for (PetscInt b = 0; b < blocks; ++b) {
    const char* prefix = nullptr;
    DEEPSOLVE_PETSC_CALL(KSPGetOptionsPrefix(sub[b], &prefix));
    PetscBool given = PETSC_FALSE;
    DEEPSOLVE_PETSC_CALL(PetscOptionsHasName(nullptr, prefix, "-pc_type", &given));
    if (given) continue;
    PC subpc;
    DEEPSOLVE_PETSC_CALL(KSPGetPC(sub[b], &subpc));
    DEEPSOLVE_PETSC_CALL(PCSetType(subpc, PCICC));
    DEEPSOLVE_PETSC_CALL(PCSetFromOptions(subpc));  // -sub_pc_factor_levels etc.
  }
}

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

std::vector<ClassicalMethod> classical_methods() {
  return {
      {"cg", "KSPCG, no preconditioner"},
      {"jacobi", "KSPCG + PCJACOBI"},
      {"icc", "KSPCG + ICC(0) (block Jacobi with ICC(0) blocks on more than one rank)"},
      {"gamg", "KSPCG + PCGAMG (smoothed aggregation, PETSc defaults)"},
      {"boomeramg", "KSPCG + PCHYPRE BoomerAMG (hypre defaults)"},
      {"gmg",
       "KSPCG + PCMG V-cycle on the DMDA hierarchy (Galerkin, cell-centred linear transfer)"},
      {"pfmg", "KSPCG + hypre PFMG (structured-grid multigrid, one V-cycle, hypre's defaults)"},
  };
}

bool is_classical_method(const std::string& name) {
  const auto m = classical_methods();
  return std::any_of(m.begin(), m.end(), [&](const auto& c) { return c.name == name; });
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
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, size == 1 ? PCICC : PCBJACOBI));
  } else if (method == "gamg") {
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCGAMG));
  } else if (method == "boomeramg") {
#if defined(PETSC_HAVE_HYPRE)
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCHYPRE));
    DEEPSOLVE_PETSC_CALL(PCHYPRESetType(pc, "boomeramg"));
#else
    throw std::invalid_argument(
        "solver 'boomeramg' needs a PETSc built with hypre; this one is not");
#endif
  } else if (method == "pfmg") {
#if defined(PETSC_HAVE_HYPRE)
    // PFMG reads hypre's structured-grid matrix; CG keeps multiplying by the AIJ one.
    DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, problem.matrix(), problem.hypre_struct_matrix()));
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCPFMG));
#else
    throw std::invalid_argument("solver 'pfmg' needs a PETSc built with hypre; this one is not");
#endif
  } else if (method == "gmg") {
    DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCMG));
    DEEPSOLVE_PETSC_CALL(PCMGSetLevels(pc, multigrid_levels(problem), nullptr));
    DEEPSOLVE_PETSC_CALL(PCMGSetGalerkin(pc, PC_MG_GALERKIN_BOTH));
  }
  DEEPSOLVE_PETSC_CALL(KSPSetFromOptions(ksp));
  // What needs the options applied first: -pc_mg_levels decides how many transfers there are, and
  // -pc_type/-sub_pc_type may replace the PCs.
  if (method == "gmg") {
    PetscBool mg = PETSC_FALSE;
    DEEPSOLVE_PETSC_CALL(PetscObjectTypeCompare((PetscObject)pc, PCMG, &mg));
    if (mg) set_cell_centred_multigrid(ksp, pc, problem);
  } else if (method == "icc" && size > 1) {
    use_icc_blocks(ksp);
  }
}

}  // namespace deepsolve::petsc
