// The problem poisson_solve solves: the grid (sizes, boundaries, obstacles) and the right-hand
// side, built from the options on every rank (inputs are replicated) and checked before anything
// collective happens.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"
#include "options.hpp"

namespace poisson_solve {

using deepsolve::solvers::Box;
using deepsolve::solvers::Grid;

struct ProblemInput {
  std::optional<Grid> grid;
  std::string geometry;                 ///< the layout name, or "file <path>"
  std::string rhs_kind;                 ///< random | manufactured | point | ones | file
  std::array<double, 3> point{};        ///< --rhs point: the source position
  std::vector<double> rhs_from_file;    ///< --rhs file: the whole field, natural ordering
  std::int64_t rhs_entries_zeroed = 0;  ///< file entries on solid/air cells that were set to zero
  /// Fluid cells with no open face (solid or a Neumann domain face on every side) have an empty
  /// matrix row, 0 = 0, which smoothers such as SOR reject; they are made solid. How many, and
  /// the first one.
  std::int64_t sealed_cells = 0;
  std::string first_sealed_cell;
};

/// Builds and checks the grid and the right-hand side description. Throws std::invalid_argument /
/// std::runtime_error with a one-line message naming the option or file at fault. `nranks` is the
/// communicator size (a grid needs at least one cell per rank).
ProblemInput load_problem(const Options& options, int nranks);

/// The right-hand side on the cells of `box` (a rank's part of the grid), zero on solid/air cells.
std::vector<double> rhs_on_box(const ProblemInput& input, const Grid& grid, const Box& box,
                               std::uint64_t seed);

/// "3D 64x64x64" / "2D 128x96".
std::string shape(const Grid& grid);
/// "i,j,k" (or "i,j" in 2D) for a natural-ordering index.
std::string cell_label(const Grid& grid, std::int64_t index);

}  // namespace poisson_solve
