#include "deepsolve/solvers/eigen_operator.hpp"

#include <vector>

#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers {

SparseMatrix assemble_eigen_matrix(const Grid& grid) {
  std::vector<Eigen::Triplet<double, std::int64_t>> entries;
  entries.reserve(static_cast<std::size_t>(grid.num_cells()) * (2 * grid.dim() + 1));
  const auto& n = grid.size();
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const std::int64_t row = grid.index(i, j, k);
        const StencilRow s = stencil_row(grid, i, j, k);
        entries.emplace_back(row, row, s.diag);
        for (int f = 0; f < 2 * grid.dim(); ++f) {
          if (s.off[f] == 0.0) continue;
          std::array<int, 3> q{i, j, k};
          q[f / 2] += (f % 2 == 0) ? -1 : 1;
          entries.emplace_back(row, grid.index(q[0], q[1], q[2]), -s.off[f]);
        }
      }
  SparseMatrix A(grid.num_cells(), grid.num_cells());
  A.setFromTriplets(entries.begin(), entries.end());
  return A;
}

}  // namespace deepsolve::solvers
