// The pressure projection on the MAC grid (Bridson, "Fluid Simulation for Computer Graphics",
// 2nd ed., ch. 5) and the boundary conditions it relies on, with the matrix of the library
// (solvers/stencil.hpp: A = -div grad with weights 1/h^2, Neumann walls and solid neighbours
// without flux, a Dirichlet domain face at p = 0 half a cell away).
//
// With D the discrete divergence (sum over a cell's faces of the outward velocity, / h) and G the
// face gradient, A = -D G on fluid cells. Solving A p = b with b = -(1/dt) D u* and setting
// u = u* - dt G p gives D u = D u* + dt A p = -dt (b - A p) = -dt r: the divergence left after the
// projection is dt times the solver's residual, so ||D u||_inf <= dt ||r||_2 <= rtol dt ||b||_2 =
// rtol ||D u*||_2 (2-norm over fluid cells) for a solve stopped at ||r|| <= rtol ||b|| (up to
// rounding; with a closed top, plus the null-space component of b, which no pressure removes).
#pragma once

#include <array>
#include <vector>

#include "deepsolve/solvers/grid.hpp"
#include "mac_fields.hpp"

namespace smoke {

/// What the face conditions need: the whole-grid cell types, the open top, the obstacle's velocity.
struct FaceConditions {
  const std::vector<deepsolve::solvers::CellType>* cells = nullptr;
  bool top_open = true;
  std::array<double, 3> obstacle_velocity{0, 0, 0};

  bool solid(const MacFields& f, int i, int j, int k) const {
    return (*cells)[(static_cast<std::size_t>(k) * f.n() + j) * f.n() + i] ==
           deepsolve::solvers::CellType::solid;
  }
};

/// Sets the faces that are not unknowns of the projection in this rank's owned values: domain
/// walls 0 (the top too when closed), faces touching a solid cell the obstacle's velocity
/// (rigid translation), and the density in solid cells 0.
void enforce_boundaries(const MacFields& f, double* owned, const FaceConditions& fc);

struct DivergenceNorms {
  double max = 0.0;  ///< max |D u| over fluid cells (all ranks)
  double l2 = 0.0;   ///< ||D u||_2 over fluid cells (all ranks)
};

/// D u on this rank's cells from a ghosted array (0 on solid cells), laid out on
/// f.owned_cells() (x fastest), and its norms over all ranks. Collective.
DivergenceNorms divergence(const MacFields& f, const double* ghosted, const FaceConditions& fc,
                           std::vector<double>* owned_divergence);

/// u -= dt G p on every face between two fluid cells and on the open top face above a fluid cell
/// (p = 0 on that face, half a cell above the cell's centre). `p` is a ghosted array of the
/// pressure problem's DMDA over `p_box` (one ghost layer).
void subtract_pressure_gradient(const MacFields& f, double* owned, const double* p,
                                const Box& p_box, const FaceConditions& fc, double dt);

}  // namespace smoke
