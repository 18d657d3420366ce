// The Poisson problem on a PETSc DMDA, distributed over an MPI communicator: the assembled AIJ
// matrix (from stencil.hpp, like PETSc's ex45/ex50 but with Dirichlet rows eliminated so the matrix
// is symmetric), the same operator matrix-free as a MATSHELL, the null space of floating fluid
// regions, and moving fields between whole-grid arrays and distributed vectors.
#pragma once

#include <petscdmda.h>
#include <petscmat.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/petsc/vector.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"

namespace deepsolve::petsc {

using solvers::Box;
using solvers::Grid;

/// How the DMDA splits the grid: the number of cells each rank column owns along x, y and z
/// (PETSc's lx, ly, lz of DMDACreate3d). Ranks are numbered x fastest, then y, then z, as PETSc
/// numbers them. An empty layout lets PETSc decide (honouring -da_processors_x/y/z).
struct DmdaLayout {
  std::vector<int> x, y, z;
  bool empty() const { return x.empty() && y.empty() && z.empty(); }
};

/// The layout in which every rank of `comm` owns `mine` (cells [lo, lo + n) of a grid of `dim`
/// dimensions and sizes `size`), gathered from all ranks. Collective. Throws std::invalid_argument,
/// on every rank, when the boxes do not tile the grid as a tensor product of per-axis ranges in
/// PETSc's rank order (rank = (pz * Py + py) * Px + px), naming the first rank whose box does not
/// fit.
DmdaLayout layout_from_boxes(MPI_Comm comm, int dim, std::array<int, 3> size, const Box& mine);

class DmdaPoisson {
 public:
  /// Creates the DMDA (with `layout`, or as PETSc decides, honouring -da_processors_x/y/z),
  /// assembles the matrix, builds the matrix-free operator for this rank's box, and attaches a
  /// null space if the problem has one. First refuses, on every rank, a grid whose estimated
  /// memory (estimated_node_bytes with no further vectors) exceeds what some rank's node has
  /// available (check_memory). Throws std::invalid_argument when the layout does not sum to the
  /// grid's sizes or does not have one entry per rank column.
  DmdaPoisson(MPI_Comm comm, const Grid& grid, const DmdaLayout& layout = {});

  /// The most cells PETSc's indices (PetscInt) can number.
  static std::int64_t max_cells();
  /// Bytes the ranks on one node need for a DmdaPoisson on a grid of `size` cells (dim 2: size[2]
  /// is ignored) split over `ranks` ranks of which `node_ranks` share the node, plus `vectors`
  /// distributed vectors (right-hand side, solution, a Krylov method's work space): per cell of
  /// the whole grid, on every rank, the caller's Grid and this object's copy, the search for
  /// floating regions (11 bytes, 27 with `coefficients`); per cell split over the ranks, the
  /// assembled 5/7-point AIJ matrix (about 100 bytes in 3D), the DMDA's maps and the matrix-free
  /// operator (56 bytes more with coefficients), and 8 bytes per vector. A lower bound:
  /// preconditioners (ICC, multigrid hierarchies) add to it. Throws std::invalid_argument for more
  /// cells than max_cells(), std::overflow_error when the sizes overflow 64 bits.
  static std::uint64_t estimated_node_bytes(int dim, std::array<int, 3> size, int ranks,
                                            int node_ranks, int vectors, bool coefficients = false);
  /// Collective on `comm`: throws learned::MemoryEstimateError on every rank, naming the grid, the
  /// estimate, the memory available and the largest cube that would fit (then `advice`, when
  /// given), when estimated_node_bytes exceeds the memory available on any rank's node; the
  /// errors of estimated_node_bytes likewise.
  static void check_memory(MPI_Comm comm, int dim, std::array<int, 3> size, int vectors,
                           bool coefficients = false, const std::string& advice = "");

  ~DmdaPoisson();
  DmdaPoisson(const DmdaPoisson&) = delete;
  DmdaPoisson& operator=(const DmdaPoisson&) = delete;

  MPI_Comm comm() const { return comm_; }
  const Grid& grid() const { return grid_; }
  DM dm() const { return da_; }
  /// The assembled operator (MATAIJ). Assembled by the constructor and, after set_cells, again on
  /// first use.
  Mat matrix() const;
  /// The same operator as a hypre structured-grid matrix (MATHYPRESTRUCT), which hypre's PFMG
  /// needs; assembled on first use, and again after set_cells. Throws std::invalid_argument when
  /// PETSc has no hypre.
  Mat hypre_struct_matrix() const;
  /// The matrix-free operator (MATSHELL over StencilOperator); MatMult only.
  Mat matrix_free() const { return shell_; }
  /// This rank's cells.
  const Box& owned_box() const { return owned_; }
  /// Null space of floating fluid regions (nullptr when the problem is nonsingular).
  MatNullSpace null_space() const { return null_space_; }

  Vector create_vector() const;
  /// Copies this rank's part of a whole-grid field (natural ordering) into v.
  void set_from_grid_field(const std::vector<double>& full, Vec v) const;
  /// Copies values laid out on owned_box() into v.
  void set_owned_values(const std::vector<double>& owned, Vec v) const;
  std::vector<double> owned_values(Vec v) const;
  /// The whole field in natural ordering, on every rank.
  std::vector<double> gather_to_all(Vec v) const;

  /// y = A x with the matrix-free stencil (ghost exchange through the DMDA).
  void apply_matrix_free(Vec x, Vec y) const;

  /// Replaces the cell-type field (whole grid, natural ordering, the same on every rank) and
  /// rebuilds what depends on it, keeping the DMDA and the MATSHELL: the matrix-free operator and
  /// the null space are rebuilt, the AIJ (and hypre) matrices are assembled anew when next asked
  /// for (matrix() then returns a new Mat: give it to the KSP again). Throws std::invalid_argument
  /// when the field has the wrong length (nothing is changed then).
  void set_cells(std::vector<solvers::CellType> cells);

  /// Relative size of b's component in the null space: ||P b|| / ||b|| (0 when nonsingular).
  double null_space_fraction(Vec b) const;
  /// Removes b's component in the null space.
  void project_out_null_space(Vec b) const;

 private:
  void create(const DmdaLayout& layout);
  void destroy();
  Mat assemble_aij() const;
  Mat assemble_as(DM da, MatType type) const;
  void build_null_space();

  MPI_Comm comm_;
  Grid grid_;
  DM da_ = nullptr;
  mutable Mat A_ = nullptr;
  Mat shell_ = nullptr;
  mutable Mat struct_ = nullptr;
  mutable DM struct_da_ = nullptr;  // 2D grids: the one-layer 3D DMDA hypre's matrix needs
  MatNullSpace null_space_ = nullptr;
  Box owned_;
  Box ghosted_;
  std::unique_ptr<solvers::StencilOperator> stencil_;
};

}  // namespace deepsolve::petsc
