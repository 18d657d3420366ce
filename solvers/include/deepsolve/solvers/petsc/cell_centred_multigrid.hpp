// Geometric multigrid (PCMG) for the cell-centred Poisson problem of a DmdaPoisson.
//
// PETSc's own DMDA transfer for cell-centred grids (DMDA_Q0, piecewise constant) gives a V-cycle
// whose iteration count grows with the grid: piecewise-constant prolongation plus restriction have
// m_P + m_R = 2, not more than the order of the Laplacian (Wesseling, "An Introduction to Multigrid
// Methods", 1992). This builds cell-centred bi/trilinear interpolation instead (weights 3/4, 1/4
// per axis, mirrored at Dirichlet/Neumann faces) and Galerkin coarse operators P^T A P in which
// solid and air cells do not take part, which keeps the iteration count flat with obstacles too.
#pragma once

#include <petscksp.h>

#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace deepsolve::petsc {

/// Number of PCMG levels the DMDA hierarchy supports: halve while every axis stays even and keeps
/// at least 4 cells per axis and one per rank.
int multigrid_levels(const DmdaPoisson& problem);

/// Installs the transfers and coarse operators on `pc` (a PCMG whose level count is already set,
/// at most multigrid_levels(problem)). `-deepsolve_gmg_interpolation q0` selects PETSc's DMDA_Q0
/// transfer with Galerkin products instead, for comparison. Throws std::invalid_argument for too
/// many levels or an unknown interpolation.
void set_cell_centred_multigrid(KSP ksp, PC pc, const DmdaPoisson& problem);

}  // namespace deepsolve::petsc
