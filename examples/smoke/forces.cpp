#include "forces.hpp"

#include <array>

#include "deepsolve/learned/random.hpp"

namespace smoke {

void apply_forces_and_source(const MacFields& f, const Scene& s, int step, const double* g,
                             double* owned, double dt) {
  const int up = f.dim() - 1;
  const int n = f.n();
  const double h = 1.0 / n;
  const Box& o = f.owned();
  for (int k = o.lo[2]; k < o.lo[2] + o.n[2]; ++k)
    for (int j = o.lo[1]; j < o.lo[1] + o.n[1]; ++j)
      for (int i = o.lo[0]; i < o.lo[0] + o.n[0]; ++i) {
        const int idx[3] = {i, j, k};
        bool horizontal_inside = true;  // the face column exists (not the extra layer sideways)
        for (int d = 0; d < up; ++d) horizontal_inside = horizontal_inside && idx[d] < n;
        if (!horizontal_inside) continue;
        // Upward face between the cells idx - e_up and idx: interior faces only.
        if (idx[up] >= 1 && idx[up] <= n - 1) {
          int below[3] = {i, j, k};
          below[up] -= 1;
          const double rho = 0.5 * (g[f.ghosted_offset(i, j, k, f.density())] +
                                    g[f.ghosted_offset(below[0], below[1], below[2], f.density())]);
          double& u = owned[f.owned_offset(i, j, k, up)];
          u += dt * s.buoyancy * rho;
          std::array<double, 3> face{0, 0, 0};
          for (int d = 0; d < f.dim(); ++d) face[d] = (idx[d] + (d == up ? 0.0 : 0.5)) * h;
          if (in_source(s, face)) u = s.source_speed;
        }
        if (idx[up] < n) {
          std::array<double, 3> centre{0, 0, 0};
          for (int d = 0; d < f.dim(); ++d) centre[d] = (idx[d] + 0.5) * h;
          if (in_source(s, centre)) {
            const std::uint64_t cell = (static_cast<std::uint64_t>(k) * n + j) * n + i;
            const std::uint64_t key = deepsolve::learned::splitmix64(
                s.seed ^ deepsolve::learned::splitmix64(
                             static_cast<std::uint64_t>(step) * 0x9e3779b97f4a7c15ULL + cell));
            const double noise = 2.0 * deepsolve::learned::to_unit_double(key) - 1.0;
            owned[f.owned_offset(i, j, k, f.density())] =
                s.source_density * (1.0 + s.source_noise * noise);
          }
        }
      }
}

}  // namespace smoke
