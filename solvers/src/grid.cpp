#include "deepsolve/solvers/grid.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/memory.hpp"

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

namespace {

std::string shape_text(int dim, const std::array<int, 3>& n) {
  return std::to_string(dim) + "D " + std::to_string(n[0]) + "x" + std::to_string(n[1]) +
         (dim == 3 ? "x" + std::to_string(n[2]) : std::string());
}

}  // namespace

std::uint64_t Grid::estimated_bytes(int dim, std::array<int, 3> size, bool coefficients) {
  if (dim == 2) size[2] = 1;
  const std::uint64_t cells = learned::checked_product(
      {std::uint64_t(std::max(size[0], 0)), std::uint64_t(std::max(size[1], 0)),
       std::uint64_t(std::max(size[2], 0))},
      "a " + shape_text(dim, size) + " grid");
  return learned::checked_product({cells, coefficients ? 9u : 1u}, "a grid's memory");
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
  // In double: nx * ny * nz of ints overflows 64-bit integers (2^93 at most) but not a double.
  const double cells = double(size[0]) * size[1] * size[2];
  if (cells > kMaxCells) {
    std::ostringstream msg;
    msg << "a " << shape_text(dim, size) << " grid has " << cells
        << " cells, more than this build supports (" << kMaxCells << ")";
    throw std::invalid_argument(msg.str());
  }
  learned::check_memory("a " + shape_text(dim, size) + " grid", estimated_bytes(dim, size, false),
                        "1 byte per cell for its cell types", "use fewer cells");
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
  for (std::size_t c = 0; c < cells.size(); ++c)
    if (static_cast<unsigned>(cells[c]) > static_cast<unsigned>(CellType::air))
      throw std::invalid_argument("cell-type field: entry " + std::to_string(c) + " is " +
                                  std::to_string(static_cast<unsigned>(cells[c])) +
                                  ", not a cell type (fluid 0, solid 1, air 2)");
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
