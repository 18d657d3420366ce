#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers {

std::array<FaceState, 6> face_states(const Grid& grid, int i, int j, int k) {
  std::array<FaceState, 6> s{};
  s.fill(FaceState::none);
  if (grid.cell(i, j, k) != CellType::fluid) return s;
  const std::array<int, 3> p{i, j, k};
  const auto& n = grid.size();
  for (int d = 0; d < grid.dim(); ++d) {
    for (int side = 0; side < 2; ++side) {
      const int f = 2 * d + side;
      std::array<int, 3> q = p;
      q[d] += side == 0 ? -1 : 1;
      if (q[d] < 0 || q[d] >= n[d]) {
        s[f] = grid.boundary(static_cast<Face>(f)) == Boundary::dirichlet
                   ? FaceState::dirichlet_face
                   : FaceState::none;
        continue;
      }
      switch (grid.cell(q[0], q[1], q[2])) {
        case CellType::fluid:
          s[f] = FaceState::coupled;
          break;
        case CellType::air:
          s[f] = FaceState::air;
          break;
        case CellType::solid:
          s[f] = FaceState::none;
          break;
      }
    }
  }
  return s;
}

std::uint16_t stencil_code(const Grid& grid, int i, int j, int k) {
  if (grid.cell(i, j, k) != CellType::fluid) return kEliminatedCode;
  const auto states = face_states(grid, i, j, k);
  unsigned code = 0;
  for (int f = 0; f < 6; ++f) code |= static_cast<unsigned>(states[f]) << (2 * f);
  return static_cast<std::uint16_t>(code);
}

double eliminated_diagonal(const Grid& grid) {
  double d = 0.0;
  for (int a = 0; a < grid.dim(); ++a) d += 2.0 / (grid.spacing()[a] * grid.spacing()[a]);
  return d;
}

StencilRow stencil_row(const Grid& grid, int i, int j, int k) {
  StencilRow row;
  if (grid.cell(i, j, k) != CellType::fluid) {
    row.eliminated = true;
    row.diag = eliminated_diagonal(grid);
    return row;
  }
  const auto states = face_states(grid, i, j, k);
  const std::int64_t c = grid.index(i, j, k);
  const double kc = grid.coefficient(c);
  for (int f = 0; f < 2 * grid.dim(); ++f) {
    const int d = f / 2;
    const double inv_h2 = 1.0 / (grid.spacing()[d] * grid.spacing()[d]);
    switch (states[f]) {
      case FaceState::none:
        break;
      case FaceState::coupled: {
        std::array<int, 3> q{i, j, k};
        q[d] += (f % 2 == 0) ? -1 : 1;
        const double kn = grid.coefficient(grid.index(q[0], q[1], q[2]));
        const double w = 2.0 * kc * kn / (kc + kn) * inv_h2;  // harmonic mean: flux continuity
        row.off[f] = w;
        row.diag += w;
        break;
      }
      case FaceState::air:
        row.diag += kc * inv_h2;
        break;
      case FaceState::dirichlet_face:
        row.diag += 2.0 * kc * inv_h2;
        break;
    }
  }
  return row;
}

}  // namespace deepsolve::solvers
