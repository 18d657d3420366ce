// One row of the Poisson operator (stencil.hpp) applied at one cell of the whole grid, from the
// cell's 16-bit stencil code (stencil_code) and the grid spacing alone. It is the body of the CUDA
// kernel (cuda/cuda_stencil_operator.hpp) and compiles as plain C++ too, so the tests check it on
// the CPU against StencilOperator, with which it agrees to the last bit: it evaluates
//   diag x_c - w_x (m_0 x_l + m_1 x_r) - w_y (m_2 x_s + m_3 x_n) [- w_z (m_4 x_b + m_5 x_t)]
// in the same order, with masks m of exactly 0 or 1 and the diagonal summed over the faces in
// order. (nvcc contracts some of it into fused multiply-adds, so on a GPU it agrees to round-off.)
#pragma once

#include <cstdint>

#include "deepsolve/solvers/stencil.hpp"

#if defined(__CUDACC__)
#define DEEPSOLVE_HOST_DEVICE __host__ __device__
#else
#define DEEPSOLVE_HOST_DEVICE
#endif

namespace deepsolve::solvers {

/// What stencil_cell reads: the codes of every cell of the grid in natural order (x fastest),
/// the grid size, w[d] = 1/h_d^2 (w[2] = 0 in 2D) and the diagonal of eliminated rows.
struct StencilCodeView {
  const std::uint16_t* codes = nullptr;
  int nx = 1, ny = 1, nz = 1;
  int dim = 2;
  double w[3] = {0.0, 0.0, 0.0};
  double eliminated_diag = 0.0;
};

/// (A x) at cell (i, j, k); x holds every cell of the grid in natural order.
DEEPSOLVE_HOST_DEVICE inline double stencil_cell(const StencilCodeView& v, const double* x, int i,
                                                 int j, int k) {
  const std::int64_t sy = v.nx, sz = static_cast<std::int64_t>(v.nx) * v.ny;
  const std::int64_t c = k * sz + j * sy + i;
  const unsigned code = v.codes[c];
  if (code & kEliminatedCode) return v.eliminated_diag * x[c];
  double diag = 0.0;
  double m[6];
  for (int f = 0; f < 6; ++f) {
    const unsigned s = (code >> (2 * f)) & 3u;
    const double w = v.w[f / 2];
    diag += s == static_cast<unsigned>(FaceState::dirichlet_face) ? 2 * w
            : s == static_cast<unsigned>(FaceState::none)         ? 0.0
                                                                  : w;
    m[f] = s == static_cast<unsigned>(FaceState::coupled) ? 1.0 : 0.0;
  }
  // A neighbour outside the grid is never coupled (its mask is 0): read 0 instead.
  const double xl = i > 0 ? x[c - 1] : 0.0, xr = i + 1 < v.nx ? x[c + 1] : 0.0;
  const double xs = j > 0 ? x[c - sy] : 0.0, xn = j + 1 < v.ny ? x[c + sy] : 0.0;
  double acc = diag * x[c] - v.w[0] * (m[0] * xl + m[1] * xr) - v.w[1] * (m[2] * xs + m[3] * xn);
  if (v.dim == 3) {
    const double xb = k > 0 ? x[c - sz] : 0.0, xt = k + 1 < v.nz ? x[c + sz] : 0.0;
    acc -= v.w[2] * (m[4] * xb + m[5] * xt);
  }
  return acc;
}

}  // namespace deepsolve::solvers
