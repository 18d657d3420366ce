#include "deepsolve/solvers/geometry.hpp"

#include <algorithm>
#include <stdexcept>

#include "deepsolve/solvers/random.hpp"

namespace deepsolve::solvers {

std::array<double, 3> domain_extent(const Grid& grid) {
  std::array<double, 3> L{};
  for (int d = 0; d < 3; ++d) L[d] = grid.size()[d] * grid.spacing()[d];
  if (grid.dim() == 2) L[2] = 0.0;
  return L;
}

template <class Inside>
static void paint(Grid& grid, CellType type, Inside inside) {
  const auto& n = grid.size();
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i)
        if (inside(grid.center(i, j, k))) grid.set_cell(i, j, k, type);
}

void add_sphere(Grid& grid, std::array<double, 3> center, double radius, CellType type) {
  if (grid.dim() == 2) center[2] = 0.0;
  paint(grid, type, [&](const std::array<double, 3>& x) {
    double r2 = 0.0;
    for (int d = 0; d < 3; ++d) r2 += (x[d] - center[d]) * (x[d] - center[d]);
    return r2 <= radius * radius;
  });
}

void add_box(Grid& grid, std::array<double, 3> lo, std::array<double, 3> hi, CellType type) {
  if (grid.dim() == 2) lo[2] = hi[2] = 0.0;
  paint(grid, type, [&](const std::array<double, 3>& x) {
    for (int d = 0; d < 3; ++d)
      if (x[d] < lo[d] || x[d] > hi[d]) return false;
    return true;
  });
}

void add_random_obstacles(Grid& grid, int count, std::uint64_t seed) {
  if (count < 0)
    throw std::invalid_argument("obstacle count must be >= 0, got " + std::to_string(count));
  const auto L = domain_extent(grid);
  double extent = std::min(L[0], L[1]);
  if (grid.dim() == 3) extent = std::min(extent, L[2]);
  SplitMix64 rng(seed);
  for (int o = 0; o < count; ++o) {
    const double size = extent * (0.04 + 0.08 * rng.uniform());
    std::array<double, 3> c{};
    for (int d = 0; d < grid.dim(); ++d) {
      const double margin = size + grid.spacing()[d];
      c[d] = margin + (L[d] - 2 * margin) * rng.uniform();
    }
    if (rng.uniform() < 0.5) {
      add_sphere(grid, c, size);
    } else {
      std::array<double, 3> lo{}, hi{};
      for (int d = 0; d < 3; ++d) {
        lo[d] = c[d] - size;
        hi[d] = c[d] + size;
      }
      add_box(grid, lo, hi);
    }
  }
}

std::vector<std::string> geometry_names() {
  return {"empty", "sphere", "boxes", "random"};
}

void apply_geometry(Grid& grid, const std::string& name, std::uint64_t seed) {
  const auto L = domain_extent(grid);
  const std::array<double, 3> mid{L[0] / 2, L[1] / 2, L[2] / 2};
  if (name == "empty") return;
  if (name == "sphere") {
    double extent = std::min(L[0], L[1]);
    if (grid.dim() == 3) extent = std::min(extent, L[2]);
    add_sphere(grid, mid, 0.2 * extent);
  } else if (name == "boxes") {
    add_box(grid, {0.2 * L[0], 0.2 * L[1], 0.2 * L[2]}, {0.4 * L[0], 0.7 * L[1], 0.6 * L[2]});
    add_box(grid, {0.6 * L[0], 0.3 * L[1], 0.4 * L[2]}, {0.8 * L[0], 0.8 * L[1], 0.8 * L[2]});
  } else if (name == "random") {
    add_random_obstacles(grid, 8, seed);
  } else {
    std::string valid;
    for (const auto& g : geometry_names()) valid += (valid.empty() ? "" : ", ") + g;
    throw std::invalid_argument("unknown geometry '" + name + "' (valid: " + valid + ")");
  }
}

}  // namespace deepsolve::solvers
