#include "projection.hpp"

#include <mpi.h>
#include <cmath>

namespace smoke {

namespace {

/// Calls f(i, j, k, d, index along d) for every face value (component d < dim) this rank owns.
template <class F>
void for_each_owned_face(const MacFields& f, F&& visit) {
  const Box& o = f.owned();
  for (int k = o.lo[2]; k < o.lo[2] + o.n[2]; ++k)
    for (int j = o.lo[1]; j < o.lo[1] + o.n[1]; ++j)
      for (int i = o.lo[0]; i < o.lo[0] + o.n[0]; ++i) {
        const int idx[3] = {i, j, k};
        for (int d = 0; d < f.dim(); ++d) {
          bool defined = true;
          for (int e = 0; e < f.dim(); ++e) defined = defined && idx[e] < f.extent(d, e);
          if (defined) visit(i, j, k, d, idx[d]);
        }
      }
}

/// The cell below face (i, j, k) along d (index - 1 along d).
std::array<int, 3> cell_below(int i, int j, int k, int d) {
  std::array<int, 3> c{i, j, k};
  c[d] -= 1;
  return c;
}

}  // namespace

void enforce_boundaries(const MacFields& f, double* owned, const FaceConditions& fc) {
  const int n = f.n();
  const int up = f.dim() - 1;
  for_each_owned_face(f, [&](int i, int j, int k, int d, int along) {
    double& u = owned[f.owned_offset(i, j, k, d)];
    if (along == 0 || along == n) {
      if (!(along == n && d == up && fc.top_open)) u = 0.0;
      return;
    }
    const auto b = cell_below(i, j, k, d);
    if (fc.solid(f, i, j, k) || fc.solid(f, b[0], b[1], b[2])) u = fc.obstacle_velocity[d];
  });
  const Box& c = f.owned_cells();
  for (int k = c.lo[2]; k < c.lo[2] + c.n[2]; ++k)
    for (int j = c.lo[1]; j < c.lo[1] + c.n[1]; ++j)
      for (int i = c.lo[0]; i < c.lo[0] + c.n[0]; ++i)
        if (fc.solid(f, i, j, k)) owned[f.owned_offset(i, j, k, f.density())] = 0.0;
}

DivergenceNorms divergence(const MacFields& f, const double* g, const FaceConditions& fc,
                           std::vector<double>* out) {
  const Box& c = f.owned_cells();
  const double h = 1.0 / f.n();
  if (out) out->assign(static_cast<std::size_t>(c.num_cells()), 0.0);
  double local[2] = {0.0, 0.0};  // max, sum of squares
  std::size_t at = 0;
  for (int k = c.lo[2]; k < c.lo[2] + c.n[2]; ++k)
    for (int j = c.lo[1]; j < c.lo[1] + c.n[1]; ++j)
      for (int i = c.lo[0]; i < c.lo[0] + c.n[0]; ++i, ++at) {
        if (fc.solid(f, i, j, k)) continue;
        double div = 0.0;
        for (int d = 0; d < f.dim(); ++d) {
          int hi[3] = {i, j, k};
          hi[d] += 1;
          div += g[f.ghosted_offset(hi[0], hi[1], hi[2], d)] - g[f.ghosted_offset(i, j, k, d)];
        }
        div /= h;
        if (out) (*out)[at] = div;
        local[0] = std::max(local[0], std::abs(div));
        local[1] += div * div;
      }
  double global[2];
  MPI_Allreduce(&local[0], &global[0], 1, MPI_DOUBLE, MPI_MAX, f.comm());
  MPI_Allreduce(&local[1], &global[1], 1, MPI_DOUBLE, MPI_SUM, f.comm());
  return {global[0], std::sqrt(global[1])};
}

void subtract_pressure_gradient(const MacFields& f, double* owned, const double* p, const Box& pb,
                                const FaceConditions& fc, double dt) {
  const int n = f.n();
  const int up = f.dim() - 1;
  const double h = 1.0 / n;
  auto pressure = [&](int i, int j, int k) {
    return p[(static_cast<std::size_t>(k - pb.lo[2]) * pb.n[1] + (j - pb.lo[1])) * pb.n[0] +
             (i - pb.lo[0])];
  };
  for_each_owned_face(f, [&](int i, int j, int k, int d, int along) {
    if (along == 0) return;
    const auto b = cell_below(i, j, k, d);
    if (fc.solid(f, b[0], b[1], b[2])) return;
    double& u = owned[f.owned_offset(i, j, k, d)];
    if (along == n) {
      // The open top: p = 0 on the face, half a cell above the centre below it.
      if (d == up && fc.top_open) u -= dt * (0.0 - pressure(b[0], b[1], b[2])) / (0.5 * h);
      return;
    }
    if (fc.solid(f, i, j, k)) return;
    u -= dt * (pressure(i, j, k) - pressure(b[0], b[1], b[2])) / h;
  });
}

}  // namespace smoke
