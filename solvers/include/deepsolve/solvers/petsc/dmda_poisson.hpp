// The Poisson problem on a PETSc DMDA, distributed over an MPI communicator: the assembled AIJ
// matrix (from stencil.hpp, like PETSc's ex45/ex50 but with Dirichlet rows eliminated so the matrix
// is symmetric), the same operator matrix-free as a MATSHELL, the null space of floating fluid
// regions, and moving fields between whole-grid arrays and distributed vectors.
#pragma once

#include <petscdmda.h>
#include <petscmat.h>

#include <memory>
#include <vector>

#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/petsc/vector.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"

namespace deepsolve::petsc {

using solvers::Box;
using solvers::Grid;

class DmdaPoisson {
 public:
  /// Creates the DMDA (honouring -da_processors_x/y/z), assembles the matrix, builds the
  /// matrix-free operator for this rank's box, and attaches a null space if the problem has one.
  DmdaPoisson(MPI_Comm comm, const Grid& grid);
  ~DmdaPoisson();
  DmdaPoisson(const DmdaPoisson&) = delete;
  DmdaPoisson& operator=(const DmdaPoisson&) = delete;

  MPI_Comm comm() const { return comm_; }
  const Grid& grid() const { return grid_; }
  DM dm() const { return da_; }
  /// The assembled operator (MATAIJ).
  Mat matrix() const { return A_; }
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

  /// Relative size of b's component in the null space: ||P b|| / ||b|| (0 when nonsingular).
  double null_space_fraction(Vec b) const;
  /// Removes b's component in the null space.
  void project_out_null_space(Vec b) const;

 private:
  void create();
  void destroy();
  void assemble();
  void build_null_space();

  MPI_Comm comm_;
  Grid grid_;
  DM da_ = nullptr;
  Mat A_ = nullptr;
  Mat shell_ = nullptr;
  MatNullSpace null_space_ = nullptr;
  Box owned_;
  Box ghosted_;
  std::unique_ptr<solvers::StencilOperator> stencil_;
};

}  // namespace deepsolve::petsc
