// The simulation's distributed state on a MAC grid (Bridson, "Fluid Simulation for Computer
// Graphics", ch. 2): one PETSc DMDA of (N+1)^dim points with dim + 1 values each. Point (i, j, k)
// holds the velocity component along axis d on the low face of cell (i, j, k) (component d) and
// the smoke density at the cell's centre (component dim). The extra layer i = N (j = N, k = N)
// holds the high faces of the box; its other values are unused and kept 0.
//
// Every rank owns the same cells as in the pressure problem's DMDA (the layout is derived from a
// cell-centred DMDA of N^dim cells); the ranks of the last column along each axis also own the
// extra layer. The ghost width covers a semi-Lagrangian backtrace of up to Scene::max_cfl cells
// (box stencil, so corners are exchanged too).
#pragma once

#include <petscdmda.h>

#include <array>
#include <cstdint>
#include <vector>

#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

namespace smoke {

using deepsolve::solvers::Box;

class MacFields {
 public:
  /// Creates the DMDAs on `comm` for a dim-dimensional grid of n cells per axis. The split follows
  /// PETSc's choice for the cell grid (honouring -da_processors_x/y/z). Throws
  /// std::invalid_argument when a rank would own fewer cells along an axis than the ghost width.
  MacFields(MPI_Comm comm, int dim, int n, int ghost);
  ~MacFields();
  MacFields(const MacFields&) = delete;
  MacFields& operator=(const MacFields&) = delete;

  MPI_Comm comm() const { return comm_; }
  int dim() const { return dim_; }
  int n() const { return n_; }
  int dof() const { return dim_ + 1; }
  int density() const { return dim_; }  ///< the component that holds the density
  int ghost() const { return ghost_; }
  DM dm() const { return da_; }
  /// The layout of the pressure problem (cells per rank column along each axis).
  const deepsolve::petsc::DmdaLayout& cell_layout() const { return cell_layout_; }
  /// Points this rank owns (with the extra layer on the last ranks) and its ghosted box.
  const Box& owned() const { return owned_; }
  const Box& ghosted() const { return ghosted_; }
  /// Cells this rank owns: owned() without the extra layer (the pressure problem's owned box).
  const Box& owned_cells() const { return owned_cells_; }

  /// Offset of (i, j, k, c) in an array over `box` (x fastest, dof values per point).
  std::int64_t offset(const Box& box, int i, int j, int k, int c) const {
    return (((static_cast<std::int64_t>(k - box.lo[2]) * box.n[1] + (j - box.lo[1])) * box.n[0] +
             (i - box.lo[0])) *
                dof() +
            c);
  }
  std::int64_t owned_offset(int i, int j, int k, int c) const { return offset(owned_, i, j, k, c); }
  std::int64_t ghosted_offset(int i, int j, int k, int c) const {
    return offset(ghosted_, i, j, k, c);
  }
  bool in_ghosted(int i, int j, int k) const;

  /// Number of points along `axis` at which component c is defined: n + 1 for a velocity
  /// component along its own axis (faces), n otherwise (cells).
  int extent(int c, int axis) const { return c == axis ? n_ + 1 : n_; }

  /// Global <-> ghosted local vector.
  void to_local(Vec global, Vec local) const;

  /// The whole array of one component (extent(c, .) points per axis, x fastest) on every rank.
  /// Collective; for output and tests (O(N^dim) communication).
  std::vector<double> gather_component(Vec global, int c) const;

 private:
  MPI_Comm comm_;
  int dim_, n_, ghost_;
  DM da_ = nullptr;
  deepsolve::petsc::DmdaLayout cell_layout_;
  Box owned_, ghosted_, owned_cells_;
};

}  // namespace smoke
