// Uniform 2D/3D cell-centred grid: sizes, spacing, per-face boundary conditions, the cell-type
// field (fluid / solid obstacle / Dirichlet "air") and optional per-cell coefficients.
//
// Cells are numbered as PETSc's DMDA numbers them in natural ordering: x fastest, then y, then z
// (index = (k * ny + j) * nx + i). A 2D grid has nz = 1.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::solvers {

/// What occupies a cell. Fluid cells are unknowns; solid cells are no-flux obstacles (Neumann);
/// air cells hold a homogeneous Dirichlet value (a free surface in a fluid code).
enum class CellType : std::uint8_t { fluid = 0, solid = 1, air = 2 };

/// Boundary condition on one face of the domain box.
enum class Boundary : std::uint8_t { dirichlet = 0, neumann = 1 };

/// The six faces of the box, in the order the stencil code uses them.
enum class Face : int { x_lo = 0, x_hi = 1, y_lo = 2, y_hi = 3, z_lo = 4, z_hi = 5 };

std::string to_string(CellType t);
std::string to_string(Boundary b);
Boundary boundary_from_string(const std::string& name);

/// An axis-aligned box of cells [lo, lo + n) in grid index space.
struct Box {
  std::array<int, 3> lo{0, 0, 0};
  std::array<int, 3> n{1, 1, 1};
  std::int64_t num_cells() const { return static_cast<std::int64_t>(n[0]) * n[1] * n[2]; }
  bool operator==(const Box& o) const { return lo == o.lo && n == o.n; }
};

class Grid {
 public:
  /// A dim-dimensional grid of size[0] x size[1] (x size[2]) cells of the given spacing. For dim 2
  /// the third entries are ignored (nz = 1). All faces Dirichlet, all cells fluid, coefficient 1.
  /// Throws std::invalid_argument naming the offending value for dim not in {2,3}, a size < 1 or
  /// a spacing that is not positive and finite, or more than kMaxCells cells; and
  /// learned::MemoryEstimateError (an invalid_argument) when its cell-type field alone would not
  /// fit in the memory available (learned/memory.hpp), before allocating it.
  Grid(int dim, std::array<int, 3> size, std::array<double, 3> spacing);

  /// The most cells a grid may have.
  static constexpr double kMaxCells = 4.0e9;
  /// Bytes a grid of these sizes holds: 1 per cell (the cell types), 9 with coefficients. Throws
  /// std::overflow_error when the product of the sizes does not fit in 64 bits.
  static std::uint64_t estimated_bytes(int dim, std::array<int, 3> size, bool coefficients);

  /// A unit-box grid: spacing 1/n in every direction.
  static Grid unit_box(int dim, int n);

  int dim() const { return dim_; }
  const std::array<int, 3>& size() const { return n_; }
  const std::array<double, 3>& spacing() const { return h_; }
  std::int64_t num_cells() const { return static_cast<std::int64_t>(n_[0]) * n_[1] * n_[2]; }
  Box full_box() const { return Box{{0, 0, 0}, n_}; }

  std::int64_t index(int i, int j, int k = 0) const {
    return (static_cast<std::int64_t>(k) * n_[1] + j) * n_[0] + i;
  }
  /// Physical position of the centre of cell (i, j, k); the domain starts at the origin.
  std::array<double, 3> center(int i, int j, int k = 0) const;

  Boundary boundary(Face f) const { return bc_[static_cast<int>(f)]; }
  void set_boundary(Face f, Boundary b) { bc_[static_cast<int>(f)] = b; }
  void set_all_boundaries(Boundary b) { bc_.fill(b); }

  CellType cell(int i, int j, int k = 0) const { return cells_[index(i, j, k)]; }
  void set_cell(int i, int j, int k, CellType t) { cells_[index(i, j, k)] = t; }
  const std::vector<CellType>& cells() const { return cells_; }
  /// Replaces the whole cell-type field; throws std::invalid_argument if its length is not
  /// num_cells() or an entry is not a CellType.
  void set_cells(std::vector<CellType> cells);
  std::int64_t count(CellType t) const;

  bool has_coefficients() const { return !coef_.empty(); }
  /// Per-cell diffusion coefficient (1 when none were set).
  double coefficient(std::int64_t cell) const { return coef_.empty() ? 1.0 : coef_[cell]; }
  const std::vector<double>& coefficients() const { return coef_; }
  /// Sets variable coefficients; throws if the length is wrong or a value is not positive/finite.
  void set_coefficients(std::vector<double> coefficients);

  /// Fluid cells grouped into connected components (face neighbours). A component that touches no
  /// Dirichlet condition (no air neighbour, no Dirichlet domain face) is "floating": the operator
  /// is singular on it, with the indicator of the component as a null vector.
  /// Returns, for each floating component, the sorted list of its cells.
  std::vector<std::vector<std::int64_t>> floating_components() const;

  /// A short human-readable description, e.g. "3D 64x64x64, h=0.015625, 12345 solid cells".
  std::string describe() const;

 private:
  int dim_;
  std::array<int, 3> n_;
  std::array<double, 3> h_;
  std::array<Boundary, 6> bc_;
  std::vector<CellType> cells_;
  std::vector<double> coef_;
};

}  // namespace deepsolve::solvers
