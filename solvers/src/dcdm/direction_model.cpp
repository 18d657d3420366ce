#include "deepsolve/solvers/dcdm/direction_model.hpp"

#include <algorithm>

#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers::dcdm {

void IdentityDirection::apply(const double* r, double* q) { std::copy(r, r + n_, q); }

JacobiDirection::JacobiDirection(const Grid& grid) {
  inverse_diagonal_.resize(static_cast<std::size_t>(grid.num_cells()));
  const auto& n = grid.size();
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const double d = stencil_row(grid, i, j, k).diag;
        inverse_diagonal_[grid.index(i, j, k)] = d > 0.0 ? 1.0 / d : 0.0;  // sealed cell: no coupling
      }
}

void JacobiDirection::apply(const double* r, double* q) {
  for (std::size_t c = 0; c < inverse_diagonal_.size(); ++c) q[c] = inverse_diagonal_[c] * r[c];
}

}  // namespace deepsolve::solvers::dcdm
