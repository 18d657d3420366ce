// Matrix-free application of the Poisson operator (stencil.hpp) on CPU in float64.
//
// Built for one box of cells (the whole grid, or one rank's part of a DMDA). With constant
// coefficients each row of cells along x is stored as runs: a run of cells that share one stencil
// (all faces coupled, an obstacle, a domain face...) is applied by a branch-free loop the compiler
// vectorises, with the stencil's diagonal and face masks held in registers; short stretches of
// mixed cells look their stencil up per cell through a 16-bit class index. Rows with the same
// classes share their runs, so an apply streams x, y and one 32-bit index per row. With variable
// coefficients it stores the diagonal and six face weights per cell.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

class StencilOperator {
 public:
  /// The operator on the whole grid.
  explicit StencilOperator(const Grid& grid);
  /// The rows of the cells in `owned` (which must lie inside the grid).
  StencilOperator(const Grid& grid, const Box& owned);

  const Box& owned_box() const { return owned_; }
  std::int64_t rows() const { return owned_.num_cells(); }
  bool variable_coefficients() const { return !diag_.empty(); }

  /// y = A x for the owned rows, where x and y are laid out on the owned box.
  /// Owned-box inputs suffice when the box is the whole grid; otherwise this throws like the
  /// overload below.
  void apply(const double* x, double* y) const { apply(x, owned_, y); }

  /// y = A x for the owned rows, with x laid out on `input`: the owned box grown by one cell on
  /// every side that is not a domain face (a DMDA ghosted local array). Throws if `input` is too
  /// small.
  void apply(const double* x, const Box& input, double* y) const;

  /// Bytes an apply must move at least: x and y once, plus the metadata it reads (with constant
  /// coefficients the pattern index of each row, the patterns with their runs and the 16-bit
  /// stencil class of each cell in a mixed run; with variable coefficients seven doubles per cell).
  std::int64_t bytes_per_apply() const;

 private:
  /// A stretch [begin, end) of one row of cells along x (indices relative to the owned box).
  struct Run {
    enum Kind : std::uint8_t { interior, eliminated, uniform, mixed };
    std::int64_t mixed_offset;  // mixed runs: where their cells' classes start in mixed_class_
    std::int32_t begin;
    std::int32_t end;
    std::uint16_t cls;  // the stencil class of every cell of the run (not for mixed runs)
    Kind kind;
  };
  /// The layout of a row of cells along x: its runs, and the classes of its first and last cell.
  /// Rows whose cells have the same stencil classes share one pattern.
  struct RowPattern {
    std::int64_t first_run;
    std::uint16_t first_class;
    std::uint16_t last_class;
  };

  template <int Dim>
  void apply_constant(const double* x, const Box& input, double* y) const;
  template <int Dim>
  void apply_variable(const double* x, const Box& input, double* y) const;
  void build_runs(const std::vector<std::uint16_t>& cell_class);
  void check_input_box(const Box& input) const;

  int dim_;
  Box owned_;
  std::array<int, 3> grid_size_;
  std::array<double, 3> weight_{};  // 1/h_d^2, constant-coefficient couplings
  // Constant coefficients: each row of cells along x is its first cell, runs covering cells
  // 1 .. nx-2, and its last cell (the two ends check their x neighbours explicitly).
  std::vector<double> class_table_;   // per class: diagonal, six face masks (1 coupled, else 0), 0
  int interior_class_ = -1;           // all 2*dim faces coupled (-1: no such cell)
  int eliminated_class_ = -1;         // solid/air cell: diagonal only
  std::vector<Run> runs_;             // the runs of each pattern, pattern after pattern
  std::vector<RowPattern> patterns_;  // the distinct row layouts, and a sentinel
  std::vector<std::uint32_t> row_pattern_;  // the pattern of each row
  std::vector<std::uint16_t> mixed_class_;  // classes of the cells in mixed runs
  // Variable coefficients.
  std::vector<double> diag_;      // diagonal per cell
  std::vector<double> off_[6];    // face weight per cell (0 if none)
  std::vector<double> zero_row_;  // stands in for a neighbour row outside the input box
};

}  // namespace deepsolve::solvers
