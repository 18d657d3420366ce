#include "deepsolve/solvers/rhs.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/random.hpp"

namespace deepsolve::solvers {

namespace {

template <class Value>
std::vector<double> fill_box(const Grid& grid, const Box& box, Value value) {
  std::vector<double> out(static_cast<std::size_t>(box.num_cells()), 0.0);
  std::size_t o = 0;
  for (int k = box.lo[2]; k < box.lo[2] + box.n[2]; ++k)
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i, ++o)
        if (grid.cell(i, j, k) == CellType::fluid) out[o] = value(i, j, k);
  return out;
}

}  // namespace

std::vector<double> random_rhs(const Grid& grid, const Box& box, std::uint64_t seed) {
  return fill_box(grid, box, [&](int i, int j, int k) {
    return hashed_normal(seed, static_cast<std::uint64_t>(grid.index(i, j, k)));
  });
}

ManufacturedSolution::ManufacturedSolution(const Grid& grid) : grid_(&grid) {
  if (grid.count(CellType::fluid) != grid.num_cells() || grid.has_coefficients())
    throw std::invalid_argument(
        "the manufactured solution needs a grid without obstacles, air cells or variable "
        "coefficients");
  const auto L = domain_extent(grid);
  for (int d = 0; d < grid.dim(); ++d) {
    const bool lo_dirichlet = grid.boundary(static_cast<Face>(2 * d)) == Boundary::dirichlet;
    const bool hi_dirichlet = grid.boundary(static_cast<Face>(2 * d + 1)) == Boundary::dirichlet;
    // Zero value on a Dirichlet face, zero slope on a Neumann one: the lowest mode that fits.
    cosine_[d] = !lo_dirichlet;
    wavenumber_[d] = (lo_dirichlet == hi_dirichlet ? M_PI : M_PI / 2) / L[d];
  }
}

double ManufacturedSolution::u(const std::array<double, 3>& x) const {
  double v = 1.0;
  for (int d = 0; d < grid_->dim(); ++d)
    v *= cosine_[d] ? std::cos(wavenumber_[d] * x[d]) : std::sin(wavenumber_[d] * x[d]);
  return v;
}

double ManufacturedSolution::f(const std::array<double, 3>& x) const {
  double k2 = 0.0;
  for (int d = 0; d < grid_->dim(); ++d) k2 += wavenumber_[d] * wavenumber_[d];
  return k2 * u(x);  // -laplace(u) for a product of sines/cosines
}

std::vector<double> ManufacturedSolution::rhs(const Box& box) const {
  return fill_box(*grid_, box, [&](int i, int j, int k) { return f(grid_->center(i, j, k)); });
}

std::vector<double> ManufacturedSolution::solution(const Box& box) const {
  return fill_box(*grid_, box, [&](int i, int j, int k) { return u(grid_->center(i, j, k)); });
}

std::vector<double> point_source_rhs(const Grid& grid, const Box& box,
                                     std::array<double, 3> position, double strength) {
  std::array<int, 3> cell{0, 0, 0};
  for (int d = 0; d < grid.dim(); ++d) {
    const double s = position[d] / grid.spacing()[d];
    if (!(s >= 0.0 && s < grid.size()[d])) {
      std::ostringstream msg;
      msg << "point source coordinate " << position[d] << " along axis "
          << "xyz"[d] << " lies outside the domain [0, " << grid.size()[d] * grid.spacing()[d]
          << ")";
      throw std::invalid_argument(msg.str());
    }
    cell[d] = static_cast<int>(s);
  }
  if (grid.cell(cell[0], cell[1], cell[2]) != CellType::fluid)
    throw std::invalid_argument("point source lies in a " +
                                to_string(grid.cell(cell[0], cell[1], cell[2])) + " cell");
  double volume = 1.0;
  for (int d = 0; d < grid.dim(); ++d) volume *= grid.spacing()[d];
  return fill_box(grid, box, [&](int i, int j, int k) {
    return (i == cell[0] && j == cell[1] && k == cell[2]) ? strength / volume : 0.0;
  });
}

std::vector<double> restrict_to_box(const Grid& grid, const std::vector<double>& full,
                                    const Box& box) {
  if (static_cast<std::int64_t>(full.size()) != grid.num_cells())
    throw std::invalid_argument("field has " + std::to_string(full.size()) +
                                " entries, the grid has " + std::to_string(grid.num_cells()) +
                                " cells");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(box.num_cells()));
  for (int k = box.lo[2]; k < box.lo[2] + box.n[2]; ++k)
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i)
        out.push_back(full[grid.index(i, j, k)]);
  return out;
}

std::int64_t first_non_finite(const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return static_cast<std::int64_t>(i);
  return -1;
}

}  // namespace deepsolve::solvers
