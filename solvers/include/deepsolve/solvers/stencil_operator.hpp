// Matrix-free application of the Poisson operator (stencil.hpp) on CPU in float64.
//
// Built for one box of cells (the whole grid, or one rank's part of a DMDA). With constant
// coefficients each cell stores a 16-bit code of its six face states and the diagonal comes from a
// small table, so an apply streams x, y and two bytes per cell; with variable coefficients it
// stores the diagonal and six face weights per cell.
#pragma once

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
  /// Owned-box inputs suffice when the box is the whole grid.
  void apply(const double* x, double* y) const { apply(x, owned_, y); }

  /// y = A x for the owned rows, with x laid out on `input`: the owned box grown by one cell on every
  /// side that is not a domain face (a DMDA ghosted local array). Throws if `input` is too small.
  void apply(const double* x, const Box& input, double* y) const;

  /// Bytes an apply must move at least: x and y once, plus the per-cell metadata.
  std::int64_t bytes_per_apply() const;

 private:
  template <int Dim, bool Variable>
  void apply_impl(const double* x, const Box& input, double* y) const;
  void check_input_box(const Box& input) const;

  int dim_;
  Box owned_;
  std::array<int, 3> grid_size_;
  std::array<double, 3> weight_{};       // 1/h_d^2, constant-coefficient couplings
  std::vector<std::uint16_t> code_;      // constant coefficients: 2 bits per face state
  std::vector<double> diag_table_;       // diagonal for each code
  std::vector<double> diag_;             // variable coefficients: diagonal per cell
  std::vector<double> off_[6];           // variable coefficients: face weight per cell (0 if none)
  std::vector<double> zero_row_;         // stands in for a neighbour row outside the input box
};

}  // namespace deepsolve::solvers
