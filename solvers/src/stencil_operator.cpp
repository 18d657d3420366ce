#include "deepsolve/solvers/stencil_operator.hpp"

#include <stdexcept>
#include <string>

#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers {

namespace {

constexpr std::uint16_t kEliminated = 1u << 12;  // solid/air cell: diagonal only

/// 1 when face f of the cell with this code couples to a fluid neighbour, else 0.
inline double coupled(std::uint16_t code, int f) {
  return static_cast<double>(((code >> (2 * f)) & 3u) == static_cast<unsigned>(FaceState::coupled));
}

}  // namespace

StencilOperator::StencilOperator(const Grid& grid) : StencilOperator(grid, grid.full_box()) {}

StencilOperator::StencilOperator(const Grid& grid, const Box& owned)
    : dim_(grid.dim()), owned_(owned), grid_size_(grid.size()) {
  for (int d = 0; d < 3; ++d) {
    if (owned.lo[d] < 0 || owned.n[d] < 1 || owned.lo[d] + owned.n[d] > grid.size()[d])
      throw std::invalid_argument("operator box does not lie inside the grid along axis " +
                                  std::string(1, "xyz"[d]));
    weight_[d] = d < dim_ ? 1.0 / (grid.spacing()[d] * grid.spacing()[d]) : 0.0;
  }
  const auto count = static_cast<std::size_t>(owned.num_cells());
  if (grid.has_coefficients()) {
    diag_.resize(count);
    for (auto& o : off_) o.resize(count);
  } else {
    code_.resize(count);
    diag_table_.resize(2 * kEliminated);
    for (unsigned c = 0; c < diag_table_.size(); ++c) {
      double d = 0.0;
      for (int f = 0; f < 6; ++f) {
        const auto s = static_cast<FaceState>((c >> (2 * f)) & 3u);
        const double w = weight_[f / 2];
        d += s == FaceState::dirichlet_face ? 2 * w : s == FaceState::none ? 0.0 : w;
      }
      diag_table_[c] = (c & kEliminated) ? eliminated_diagonal(grid) : d;
    }
  }
  std::size_t o = 0;
  for (int k = owned.lo[2]; k < owned.lo[2] + owned.n[2]; ++k)
    for (int j = owned.lo[1]; j < owned.lo[1] + owned.n[1]; ++j)
      for (int i = owned.lo[0]; i < owned.lo[0] + owned.n[0]; ++i, ++o) {
        if (grid.has_coefficients()) {
          const StencilRow row = stencil_row(grid, i, j, k);
          diag_[o] = row.diag;
          for (int f = 0; f < 6; ++f) off_[f][o] = row.off[f];
        } else if (grid.cell(i, j, k) != CellType::fluid) {
          code_[o] = kEliminated;
        } else {
          const auto states = face_states(grid, i, j, k);
          std::uint16_t c = 0;
          for (int f = 0; f < 6; ++f) c |= static_cast<std::uint16_t>(states[f]) << (2 * f);
          code_[o] = c;
        }
      }
  zero_row_.assign(static_cast<std::size_t>(owned.n[0]) + 2, 0.0);
}

std::int64_t StencilOperator::bytes_per_apply() const {
  const std::int64_t per_cell = 16 + (variable_coefficients() ? 7 * 8 : 2);
  return per_cell * rows();
}

void StencilOperator::check_input_box(const Box& input) const {
  for (int d = 0; d < 3; ++d) {
    const int need_lo = owned_.lo[d] > 0 && d < dim_ ? owned_.lo[d] - 1 : owned_.lo[d];
    const int owned_hi = owned_.lo[d] + owned_.n[d];
    const int need_hi = owned_hi < grid_size_[d] && d < dim_ ? owned_hi + 1 : owned_hi;
    if (input.lo[d] > need_lo || input.lo[d] + input.n[d] < need_hi)
      throw std::invalid_argument(
          "stencil apply: the input box must cover the owned box plus one ghost cell along axis " +
          std::string(1, "xyz"[d]));
  }
}

void StencilOperator::apply(const double* x, const Box& input, double* y) const {
  check_input_box(input);
  const bool variable = variable_coefficients();
  if (dim_ == 2)
    variable ? apply_impl<2, true>(x, input, y) : apply_impl<2, false>(x, input, y);
  else
    variable ? apply_impl<3, true>(x, input, y) : apply_impl<3, false>(x, input, y);
}

// One row of cells along x at a time. Neighbour rows in y and z that are not in the input box are
// replaced by a row of zeros (they can only be domain faces, which never couple), so the inner loop
// has no branches; the first and last cell of a row check their x neighbours explicitly.
template <int Dim, bool Variable>
void StencilOperator::apply_impl(const double* x, const Box& in, double* y) const {
  const int nx = owned_.n[0];
  const std::int64_t sy = in.n[0];
  const std::int64_t sz = sy * in.n[1];
  const int dx = owned_.lo[0] - in.lo[0];
  const int dy = owned_.lo[1] - in.lo[1];
  const int dz = owned_.lo[2] - in.lo[2];
  const double wx = weight_[0], wy = weight_[1], wz = weight_[2];
  const double* zero = zero_row_.data() + 1;  // zero[-1] and zero[nx] are valid too
  std::int64_t o = 0;
  for (int k = 0; k < owned_.n[2]; ++k) {
    for (int j = 0; j < owned_.n[1]; ++j, o += nx) {
      const std::int64_t base = (k + dz) * sz + (j + dy) * sy + dx;
      const double* xc = x + base;
      const double* xs = (j + dy > 0) ? xc - sy : zero;
      const double* xn = (j + dy + 1 < in.n[1]) ? xc + sy : zero;
      const double* xb = zero;
      const double* xt = zero;
      if (Dim == 3) {
        xb = (k + dz > 0) ? xc - sz : zero;
        xt = (k + dz + 1 < in.n[2]) ? xc + sz : zero;
      }
      const bool has_left = dx > 0, has_right = dx + nx < in.n[0];
      double* yr = y + o;
      auto cell = [&](int i, double left, double right) {
        const std::int64_t c = o + i;
        if constexpr (Variable) {
          double acc = diag_[c] * xc[i] - off_[0][c] * left - off_[1][c] * right -
                       off_[2][c] * xs[i] - off_[3][c] * xn[i];
          if (Dim == 3) acc -= off_[4][c] * xb[i] + off_[5][c] * xt[i];
          yr[i] = acc;
        } else {
          const std::uint16_t code = code_[c];
          double acc = diag_table_[code] * xc[i] - wx * (coupled(code, 0) * left + coupled(code, 1) * right) -
                       wy * (coupled(code, 2) * xs[i] + coupled(code, 3) * xn[i]);
          if (Dim == 3) acc -= wz * (coupled(code, 4) * xb[i] + coupled(code, 5) * xt[i]);
          yr[i] = acc;
        }
      };
      if (nx == 1) {
        cell(0, has_left ? xc[-1] : 0.0, has_right ? xc[1] : 0.0);
        continue;
      }
      cell(0, has_left ? xc[-1] : 0.0, xc[1]);
      for (int i = 1; i < nx - 1; ++i) cell(i, xc[i - 1], xc[i + 1]);
      cell(nx - 1, xc[nx - 2], has_right ? xc[nx] : 0.0);
    }
  }
}

}  // namespace deepsolve::solvers
