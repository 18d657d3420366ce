// The classical PETSc solvers deepsolve measures itself against, configured on a DmdaPoisson
// problem: CG with no preconditioner, Jacobi, ICC(0), GAMG, hypre BoomerAMG and geometric
// multigrid (PCMG V-cycles on the DMDA hierarchy, every axis halved per level, cell-centred
// linear interpolation, Galerkin coarse operators; -deepsolve_gmg_interpolation q0 switches to
// PETSc's piecewise-constant DMDA_Q0 transfer, whose iteration count grows with the grid size).
// All use KSPCG with the unpreconditioned residual norm, so every method stops on the same
// quantity.
#pragma once

#include <petscksp.h>

#include <string>
#include <vector>

#include "deepsolve/solvers/petsc/cell_centred_multigrid.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace deepsolve::petsc {

struct ClassicalMethod {
  std::string name;         ///< as given on command lines: "cg", "jacobi", "icc", ...
  std::string description;  ///< the PETSc configuration it stands for
};

std::vector<ClassicalMethod> classical_methods();
bool is_classical_method(const std::string& name);

/// Configures `ksp` (operators already set to problem.matrix()) as the named method with the given
/// tolerances, then applies the options database (so -ksp_monitor, -pc_mg_levels, -sub_pc_type
/// etc. still work). For "icc" on more than one rank this calls KSPSetUp (block Jacobi creates its
/// blocks there; each gets ICC(0) unless -sub_pc_type says otherwise). Throws
/// std::invalid_argument for an unknown name, listing the valid ones, and for more -pc_mg_levels
/// than multigrid_levels() allows.
void configure_classical_ksp(KSP ksp, const std::string& method, const DmdaPoisson& problem,
                             double rtol, double atol, int max_iterations);

/// What a configured KSP is, e.g. "KSPCG + PCMG (5 levels)" or "KSPCG + PCBJACOBI (PCICC blocks)".
std::string describe_ksp(KSP ksp);

/// Gives every block of a block-Jacobi PC an ICC(0) factorisation (parallel ICC), unless
/// -sub_pc_type says otherwise; calls KSPSetUp, since block Jacobi creates its blocks there. Does
/// nothing when the KSP's PC is not PCBJACOBI.
void use_icc_blocks(KSP ksp);

}  // namespace deepsolve::petsc
