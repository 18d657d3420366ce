#include "problem.hpp"

#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/io.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/stencil.hpp"

namespace poisson_solve {

namespace ds = deepsolve::solvers;

namespace {

std::array<double, 3> parse_point(const std::string& text, const Grid& grid) {
  std::array<double, 3> p{};
  const auto L = ds::domain_extent(grid);
  if (text.empty()) {
    // The fluid cell centre nearest to a quarter of each side (off-centre, so clear of the default
    // sphere; the nearest fluid cell when an obstacle covers that point).
    std::array<double, 3> target{0.25 * L[0], 0.25 * L[1], 0.25 * L[2]};
    double best = HUGE_VAL;
    const auto& n = grid.size();
    for (int k = 0; k < n[2]; ++k)
      for (int j = 0; j < n[1]; ++j)
        for (int i = 0; i < n[0]; ++i) {
          if (grid.cell(i, j, k) != ds::CellType::fluid) continue;
          const auto c = grid.center(i, j, k);
          double r2 = 0.0;
          for (int d = 0; d < grid.dim(); ++d) r2 += (c[d] - target[d]) * (c[d] - target[d]);
          if (r2 < best) best = r2, p = c;
        }
    return p;
  }
  std::istringstream in(text);
  std::string item;
  int d = 0;
  while (std::getline(in, item, ',')) {
    if (d == grid.dim())
      throw std::invalid_argument("--point: '" + text + "' has more than " +
                                  std::to_string(grid.dim()) + " coordinates");
    char* end = nullptr;
    p[d] = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(p[d]))
      throw std::invalid_argument("--point: '" + item + "' is not a finite number");
    ++d;
  }
  if (d != grid.dim())
    throw std::invalid_argument("--point: '" + text + "' needs " + std::to_string(grid.dim()) +
                                " comma-separated coordinates");
  return p;
}

}  // namespace

std::string shape(const Grid& grid) {
  const auto& n = grid.size();
  return std::to_string(grid.dim()) + "D " + std::to_string(n[0]) + "x" + std::to_string(n[1]) +
         (grid.dim() == 3 ? "x" + std::to_string(n[2]) : "");
}

std::string cell_label(const Grid& grid, std::int64_t index) {
  const auto& n = grid.size();
  const std::int64_t i = index % n[0], j = (index / n[0]) % n[1],
                     k = index / (std::int64_t(n[0]) * n[1]);
  return std::to_string(i) + "," + std::to_string(j) +
         (grid.dim() == 3 ? "," + std::to_string(k) : "");
}

ProblemInput load_problem(const Options& o, int nranks) {
  ProblemInput in;
  std::array<int, 3> n{};
  for (int d = 0; d < 3; ++d) n[d] = o.axis_size[d] > 0 ? o.axis_size[d] : o.size;
  if (o.dim == 2) n[2] = 1;
  const double cells = double(n[0]) * n[1] * n[2];
  if (cells > double(PETSC_MAX_INT))
    throw std::invalid_argument("the grid has " + std::to_string(std::int64_t(cells)) +
                                " cells, more than this PETSc's 32-bit indices allow (" +
                                std::to_string(PETSC_MAX_INT) + ")");
  if (cells < nranks)
    throw std::invalid_argument("the grid has " + std::to_string(std::int64_t(cells)) +
                                " cells, fewer than the " + std::to_string(nranks) + " MPI ranks");
  const double h = o.spacing > 0.0 ? o.spacing : 1.0 / *std::max_element(n.begin(), n.end());
  in.grid.emplace(o.dim, n, std::array<double, 3>{h, h, h});
  Grid& grid = *in.grid;

  grid.set_all_boundaries(ds::boundary_from_string(o.bc));
  for (int f = 0; f < 6; ++f)
    if (!o.face_bc[f].empty())
      grid.set_boundary(static_cast<ds::Face>(f), ds::boundary_from_string(o.face_bc[f]));

  if (!o.cells_file.empty()) {
    ds::read_cell_types(o.cells_file, grid);  // its messages name the file and the problem
    in.geometry = "file " + o.cells_file;
  } else {
    ds::apply_geometry(grid, o.geometry, o.seed);
    in.geometry = o.geometry;
  }
  // Sealed fluid cells: every face state `none`.
  const auto& n3 = grid.size();
  for (int k = 0; k < n3[2]; ++k)
    for (int j = 0; j < n3[1]; ++j)
      for (int i = 0; i < n3[0]; ++i) {
        if (grid.cell(i, j, k) != ds::CellType::fluid) continue;
        const auto faces = ds::face_states(grid, i, j, k);
        bool open = false;
        for (int f = 0; f < 2 * grid.dim(); ++f) open = open || faces[f] != ds::FaceState::none;
        if (open) continue;
        grid.set_cell(i, j, k, ds::CellType::solid);
        if (in.sealed_cells++ == 0) in.first_sealed_cell = cell_label(grid, grid.index(i, j, k));
      }
  if (grid.count(ds::CellType::fluid) == 0)
    throw std::invalid_argument(
        "the grid has no fluid cells (every cell is solid or air): "
        "nothing to solve");

  in.rhs_kind = o.rhs;
  if (o.rhs == "manufactured") {
    try {
      ds::ManufacturedSolution check(grid);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("--rhs manufactured: ") + e.what() +
                                  " (use --geometry empty)");
    }
  } else if (o.rhs == "point") {
    in.point = parse_point(o.point, grid);
    try {  // validates the position; the one-cell box keeps it cheap
      ds::point_source_rhs(grid, Box{}, in.point);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("--rhs point: ") + e.what());
    }
  } else if (o.rhs == "file") {
    in.rhs_from_file = ds::read_petsc_vector(o.rhs_file);
    const auto& v = in.rhs_from_file;
    if (static_cast<std::int64_t>(v.size()) != grid.num_cells())
      throw std::invalid_argument(o.rhs_file + ": the right-hand side has " +
                                  std::to_string(v.size()) + " entries, the grid (" + shape(grid) +
                                  ") has " + std::to_string(grid.num_cells()) + " cells");
    const std::int64_t bad = ds::first_non_finite(v);
    if (bad >= 0) {
      std::ostringstream msg;
      msg << o.rhs_file << ": entry " << bad << " (cell " << cell_label(grid, bad) << ") of the "
          << "right-hand side is " << v[bad];
      throw std::invalid_argument(msg.str());
    }
    const auto& cells = grid.cells();
    for (std::size_t c = 0; c < v.size(); ++c)
      if (cells[c] != ds::CellType::fluid && v[c] != 0.0) {
        in.rhs_from_file[c] = 0.0;
        ++in.rhs_entries_zeroed;
      }
  }
  return in;
}

std::vector<double> rhs_on_box(const ProblemInput& in, const Grid& grid, const Box& box,
                               std::uint64_t seed) {
  if (in.rhs_kind == "random") return ds::random_rhs(grid, box, seed);
  if (in.rhs_kind == "manufactured") return ds::ManufacturedSolution(grid).rhs(box);
  if (in.rhs_kind == "point") return ds::point_source_rhs(grid, box, in.point);
  if (in.rhs_kind == "file") return ds::restrict_to_box(grid, in.rhs_from_file, box);
  // ones: 1 on every fluid cell
  std::vector<double> out(static_cast<std::size_t>(box.num_cells()), 0.0);
  std::size_t o = 0;
  for (int k = box.lo[2]; k < box.lo[2] + box.n[2]; ++k)
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i, ++o)
        if (grid.cell(i, j, k) == ds::CellType::fluid) out[o] = 1.0;
  return out;
}

}  // namespace poisson_solve
