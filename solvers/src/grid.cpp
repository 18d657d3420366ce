#include "deepsolve/solvers/grid.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <sstream>
#include <stdexcept>

namespace deepsolve::solvers {

std::string to_string(CellType t) {
  switch (t) {
    case CellType::fluid:
      return "fluid";
    case CellType::solid:
      return "solid";
    case CellType::air:
      return "air";
  }
  return "unknown";
}

std::string to_string(Boundary b) {
  return b == Boundary::dirichlet ? "dirichlet" : "neumann";
}

Boundary boundary_from_string(const std::string& name) {
  if (name == "dirichlet") return Boundary::dirichlet;
  if (name == "neumann") return Boundary::neumann;
  throw std::invalid_argument("unknown boundary condition '" + name +
                              "' (expected dirichlet or neumann)");
}

Grid::Grid(int dim, std::array<int, 3> size, std::array<double, 3> spacing) : dim_(dim) {
  if (dim != 2 && dim != 3)
    throw std::invalid_argument("grid dimension must be 2 or 3, got " + std::to_string(dim));
  if (dim == 2) {
    size[2] = 1;
    spacing[2] = 1.0;
  }
  const char* axis = "xyz";
  for (int d = 0; d < dim; ++d) {
    if (size[d] < 1)
      throw std::invalid_argument(std::string("grid size in ") + axis[d] + " must be >= 1, got " +
                                  std::to_string(size[d]));
    if (!(spacing[d] > 0.0) || !std::isfinite(spacing[d])) {
      std::ostringstream msg;
      msg << "grid spacing in " << axis[d] << " must be positive and finite, got " << spacing[d];
      throw std::invalid_argument(msg.str());
    }
  }
  const double cells = double(size[0]) * size[1] * size[2];
  if (cells > 4.0e9)
    throw std::invalid_argument("grid of " + std::to_string(cells) +
                                " cells is larger than this build supports (4e9)");
  n_ = size;
  h_ = spacing;
  bc_.fill(Boundary::dirichlet);
  cells_.assign(static_cast<std::size_t>(num_cells()), CellType::fluid);
}

Grid Grid::unit_box(int dim, int n) {
  if (n < 1) throw std::invalid_argument("grid size must be >= 1, got " + std::to_string(n));
  const double h = 1.0 / n;
  return Grid(dim, {n, n, dim == 3 ? n : 1}, {h, h, h});
}

std::array<double, 3> Grid::center(int i, int j, int k) const {
  return {(i + 0.5) * h_[0], (j + 0.5) * h_[1], dim_ == 3 ? (k + 0.5) * h_[2] : 0.0};
}

void Grid::set_cells(std::vector<CellType> cells) {
  if (static_cast<std::int64_t>(cells.size()) != num_cells())
    throw std::invalid_argument("cell-type field has " + std::to_string(cells.size()) +
                                " entries, the grid has " + std::to_string(num_cells()) + " cells");
  cells_ = std::move(cells);
}

std::int64_t Grid::count(CellType t) const {
  return std::count(cells_.begin(), cells_.end(), t);
}

void Grid::set_coefficients(std::vector<double> coefficients) {
  if (static_cast<std::int64_t>(coefficients.size()) != num_cells())
    throw std::invalid_argument("coefficient field has " + std::to_string(coefficients.size()) +
                                " entries, the grid has " + std::to_string(num_cells()) + " cells");
  for (std::size_t c = 0; c < coefficients.size(); ++c) {
    if (!(coefficients[c] > 0.0) || !std::isfinite(coefficients[c])) {
      std::ostringstream msg;
      msg << "coefficient of cell " << c << " must be positive and finite, got " << coefficients[c];
      throw std::invalid_argument(msg.str());
    }
  }
  coef_ = std::move(coefficients);
}

std::vector<std::vector<std::int64_t>> Grid::floating_components() const {
  std::vector<std::vector<std::int64_t>> floating;
  std::vector<char> seen(cells_.size(), 0);
  std::deque<std::int64_t> queue;
  for (std::int64_t start = 0; start < num_cells(); ++start) {
    if (seen[start] || cells_[start] != CellType::fluid) continue;
    std::vector<std::int64_t> component;
    bool anchored = false;  // touches a Dirichlet condition somewhere
    seen[start] = 1;
    queue.push_back(start);
    while (!queue.empty()) {
      const std::int64_t c = queue.front();
      queue.pop_front();
      component.push_back(c);
      std::array<int, 3> p{int(c % n_[0]), int((c / n_[0]) % n_[1]),
                           int(c / (std::int64_t(n_[0]) * n_[1]))};
      for (int d = 0; d < dim_; ++d) {
        for (int side = 0; side < 2; ++side) {
          std::array<int, 3> q = p;
          q[d] += side == 0 ? -1 : 1;
          if (q[d] < 0 || q[d] >= n_[d]) {
            anchored |= bc_[2 * d + side] == Boundary::dirichlet;
            continue;
          }
          const std::int64_t nb = index(q[0], q[1], q[2]);
          if (cells_[nb] == CellType::air) anchored = true;
          if (cells_[nb] == CellType::fluid && !seen[nb]) {
            seen[nb] = 1;
            queue.push_back(nb);
          }
        }
      }
    }
    if (!anchored) {
      std::sort(component.begin(), component.end());
      floating.push_back(std::move(component));
    }
  }
  return floating;
}

std::string Grid::describe() const {
  std::ostringstream s;
  s << dim_ << "D " << n_[0] << "x" << n_[1];
  if (dim_ == 3) s << "x" << n_[2];
  const bool isotropic = h_[1] == h_[0] && (dim_ == 2 || h_[2] == h_[0]);
  if (isotropic) {
    s << ", h=" << h_[0];
  } else {
    s << ", h=(" << h_[0] << "," << h_[1];
    if (dim_ == 3) s << "," << h_[2];
    s << ")";
  }
  s << ", " << count(CellType::fluid) << " fluid / " << count(CellType::solid) << " solid / "
    << count(CellType::air) << " air cells";
  if (has_coefficients()) s << ", variable coefficients";
  return s.str();
}

}  // namespace deepsolve::solvers
