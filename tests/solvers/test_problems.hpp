// Shared fixtures for the solvers tests: the set of test geometries every operator form must agree
// on, and PETSc's own CG as the reference the library's solvers are compared with.
#pragma once

#include <string>
#include <vector>

#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/random.hpp"

#if DEEPSOLVE_WITH_PETSC
#include <petscksp.h>
#endif

namespace deepsolve::testing {

struct NamedGrid {
  std::string name;
  solvers::Grid grid;
};

/// Small 2D and 3D grids covering every stencil case: Dirichlet/Neumann/mixed faces, obstacles,
/// air cells, anisotropic spacing, variable coefficients, sizes the pooling of later modules will
/// not divide.
inline std::vector<NamedGrid> test_grids() {
  using namespace solvers;
  std::vector<NamedGrid> out;
  out.push_back({"2d_dirichlet_empty", Grid::unit_box(2, 12)});
  {
    Grid g(2, {13, 9, 1}, {0.1, 0.25, 1.0});
    g.set_boundary(Face::x_lo, Boundary::neumann);
    g.set_boundary(Face::y_hi, Boundary::neumann);
    apply_geometry(g, "sphere");
    out.push_back({"2d_mixed_disc_anisotropic", g});
  }
  {
    Grid g = Grid::unit_box(2, 16);
    g.set_all_boundaries(Boundary::neumann);
    apply_geometry(g, "random", 7);
    out.push_back({"2d_neumann_random", g});
  }
  out.push_back({"3d_dirichlet_empty", Grid::unit_box(3, 7)});
  {
    Grid g = Grid::unit_box(3, 10);
    apply_geometry(g, "sphere");
    out.push_back({"3d_dirichlet_sphere", g});
  }
  {
    Grid g(3, {9, 8, 11}, {0.1, 0.12, 0.09});
    g.set_all_boundaries(Boundary::neumann);
    g.set_boundary(Face::z_hi, Boundary::dirichlet);
    apply_geometry(g, "boxes");
    // A layer of air cells on top: a free surface.
    for (int j = 0; j < 8; ++j)
      for (int i = 0; i < 9; ++i) g.set_cell(i, j, 10, CellType::air);
    out.push_back({"3d_boxes_air", g});
  }
  {
    Grid g = Grid::unit_box(3, 9);
    g.set_all_boundaries(Boundary::neumann);
    apply_geometry(g, "random", 3);
    std::vector<double> k(static_cast<std::size_t>(g.num_cells()));
    SplitMix64 rng(11);
    for (auto& v : k) v = 0.1 + 10.0 * rng.uniform();
    g.set_coefficients(k);
    out.push_back({"3d_neumann_random_variable_coef", g});
  }
  return out;
}

#if DEEPSOLVE_WITH_PETSC
/// PETSc's KSPCG on `A` with preconditioner `pc_type`, the unpreconditioned residual norm and
/// relative tolerance `rtol` (no absolute one): the reference the library's CG is compared with.
/// The caller destroys it.
inline KSP petsc_cg(Mat A, PCType pc_type, double rtol) {
  KSP ksp;
  KSPCreate(PetscObjectComm(reinterpret_cast<PetscObject>(A)), &ksp);
  KSPSetOperators(ksp, A, A);
  KSPSetType(ksp, KSPCG);
  PC pc;
  KSPGetPC(ksp, &pc);
  PCSetType(pc, pc_type);
  KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED);
  KSPSetTolerances(ksp, rtol, 1e-50, PETSC_DEFAULT, 10000);
  return ksp;
}
#endif

}  // namespace deepsolve::testing
