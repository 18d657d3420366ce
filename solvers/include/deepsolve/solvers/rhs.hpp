// Right-hand sides for the Poisson problems. Each generator fills the cells of one box (a rank's
// owned part, or the whole grid) and puts zero on solid and air cells, which are not unknowns.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

/// Independent N(0,1) values, seeded; the value of a cell depends only on (seed, global index), so
/// every rank count produces the same field.
std::vector<double> random_rhs(const Grid& grid, const Box& box, std::uint64_t seed);

/// A smooth exact solution u of -div grad u = f that satisfies the grid's face conditions: per axis
/// sin(pi x/L) (Dirichlet-Dirichlet), cos(pi x/L) (Neumann-Neumann), sin(pi x/2L) or cos(pi x/2L)
/// (mixed). Requires a grid without obstacles, air cells or variable coefficients.
struct ManufacturedSolution {
  explicit ManufacturedSolution(const Grid& grid);
  double u(const std::array<double, 3>& x) const;
  double f(const std::array<double, 3>& x) const;
  std::vector<double> rhs(const Box& box) const;       ///< f at cell centres
  std::vector<double> solution(const Box& box) const;  ///< u at cell centres

 private:
  const Grid* grid_;
  std::array<double, 3> wavenumber_{};
  std::array<bool, 3> cosine_{};
};

/// A unit source (strength / cell volume) in the fluid cell containing `position`.
/// Throws if the position is outside the domain or inside a solid/air cell.
std::vector<double> point_source_rhs(const Grid& grid, const Box& box,
                                     std::array<double, 3> position, double strength = 1.0);

/// Copies the part of a whole-grid field that lies in `box`.
std::vector<double> restrict_to_box(const Grid& grid, const std::vector<double>& full,
                                    const Box& box);

/// Index of the first entry that is NaN or infinite, or -1.
std::int64_t first_non_finite(const std::vector<double>& values);

}  // namespace deepsolve::solvers
