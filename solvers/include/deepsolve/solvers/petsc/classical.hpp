// The classical PETSc solvers deepsolve measures itself against, configured on a DmdaPoisson
// problem: CG with no preconditioner, Jacobi, ICC(0), GAMG, hypre BoomerAMG and geometric
// multigrid (PCMG on the DMDA hierarchy, Galerkin coarse operators). All use KSPCG with the
// unpreconditioned residual norm, so every method stops on the same quantity.
#pragma once

#include <petscksp.h>

#include <string>
#include <vector>

#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace deepsolve::petsc {

struct ClassicalMethod {
  std::string name;         ///< as given on command lines: "cg", "jacobi", "icc", ...
  std::string description;  ///< the PETSc configuration it stands for
};

std::vector<ClassicalMethod> classical_methods();
bool is_classical_method(const std::string& name);

/// Configures `ksp` (operators already set to problem.matrix()) as the named method with the given
/// tolerances, then applies the options database (so -ksp_monitor, -pc_mg_levels etc. still work).
/// Throws std::invalid_argument for an unknown name, listing the valid ones.
void configure_classical_ksp(KSP ksp, const std::string& method, const DmdaPoisson& problem,
                             double rtol, double atol, int max_iterations);

/// Number of PCMG levels the DMDA hierarchy supports: halve while every axis stays even and keeps at
/// least 4 cells per axis and one per rank.
int multigrid_levels(const DmdaPoisson& problem);

}  // namespace deepsolve::petsc
