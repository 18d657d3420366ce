// The 5-point (2D) / 7-point (3D) finite-volume stencil of -div(k grad u) on the cell-centred grid,
// one row at a time. Every form of the operator (PETSc Mat, Eigen matrix, matrix-free apply) is
// built from these two functions, so they agree by construction and the tests check they do.
//
// Face couplings (weights w = k_face / h_d^2, k_face the harmonic mean of the two cells):
//   fluid neighbour        -> off-diagonal -w, diagonal +w
//   air neighbour          -> Dirichlet value 0 at its centre: diagonal +w (eliminated)
//   Dirichlet domain face  -> value 0 on the face, half a cell away: diagonal +2w (ghost mirror)
//   solid neighbour, Neumann domain face -> nothing (no flux)
// Solid and air cells are not unknowns: they get an identity-like row (diagonal only, see
// eliminated_diagonal) that is decoupled from every fluid cell, so the matrix stays symmetric.
#pragma once

#include <array>
#include <cstdint>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

/// How a cell couples through one of its faces.
enum class FaceState : unsigned { none = 0, coupled = 1, air = 2, dirichlet_face = 3 };

/// The six face states of cell (i, j, k) in Face order; all `none` for a solid or air cell, and
/// z faces `none` on a 2D grid.
std::array<FaceState, 6> face_states(const Grid& grid, int i, int j, int k);

/// One matrix row: the diagonal and the (positive) weights of the six face neighbours; the matrix
/// entry towards neighbour f is -off[f]. off[f] is zero unless face f is `coupled`.
struct StencilRow {
  double diag = 0.0;
  std::array<double, 6> off{};
  bool eliminated = false;  ///< a solid or air cell (identity-like row)
};

StencilRow stencil_row(const Grid& grid, int i, int j, int k);

/// Marks a solid or air cell in a stencil code.
constexpr std::uint16_t kEliminatedCode = 1u << 12;

/// The constant-coefficient stencil of cell (i, j, k) in 16 bits: the face states of a fluid cell,
/// two bits per face (face f in bits 2f and 2f + 1), or kEliminatedCode for a solid or air cell.
/// With the grid spacing this is all a matrix-free apply needs (stencil_cell.hpp).
std::uint16_t stencil_code(const Grid& grid, int i, int j, int k);

/// Diagonal given to eliminated (solid/air) rows: the diagonal of an interior fluid cell with
/// coefficient 1, so those rows sit inside the spectrum of the rest instead of far below it.
double eliminated_diagonal(const Grid& grid);

}  // namespace deepsolve::solvers
