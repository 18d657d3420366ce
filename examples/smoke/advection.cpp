#include "advection.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "deepsolve/solvers/petsc/error.hpp"

namespace smoke {

namespace {

/// Interpolation in one ghosted array: the fields' geometry and the points that fell outside.
class Sampler {
 public:
  Sampler(const MacFields& f, const double* a) : f_(f), a_(a), h_(1.0 / f.n()) {}

  /// Component c at the physical position p (bi/trilinear); with lo/hi, also the smallest and
  /// largest of the values interpolated (for the MacCormack limiter).
  double value(int c, const std::array<double, 3>& p, double* lo = nullptr,
               double* hi = nullptr) const {
    int i0[3] = {0, 0, 0};
    double t[3] = {0, 0, 0};
    for (int d = 0; d < f_.dim(); ++d) {
      // Faces of component d sit at integer multiples of h along d, everything else at centres.
      const double s = p[d] / h_ - (c == d ? 0.0 : 0.5);
      const int last = f_.extent(c, d) - 1;
      const double sc = std::clamp(s, 0.0, static_cast<double>(last));
      i0[d] = std::min(static_cast<int>(std::floor(sc)), last - 1);
      t[d] = sc - i0[d];
    }
    const int corners_z = f_.dim() == 3 ? 2 : 1;
    if (!f_.in_ghosted(i0[0], i0[1], i0[2]) ||
        !f_.in_ghosted(i0[0] + 1, i0[1] + 1, i0[2] + corners_z - 1)) {
      ++out_of_reach;
      return 0.0;
    }
    double v = 0.0, vmin = 0.0, vmax = 0.0;
    bool first = true;
    for (int dz = 0; dz < corners_z; ++dz)
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const double w = (dx ? t[0] : 1 - t[0]) * (dy ? t[1] : 1 - t[1]) *
                           (f_.dim() == 3 ? (dz ? t[2] : 1 - t[2]) : 1.0);
          const double x = a_[f_.ghosted_offset(i0[0] + dx, i0[1] + dy, i0[2] + dz, c)];
          v += w * x;
          vmin = first ? x : std::min(vmin, x);
          vmax = first ? x : std::max(vmax, x);
          first = false;
        }
    if (lo) *lo = vmin;
    if (hi) *hi = vmax;
    return v;
  }

  std::array<double, 3> velocity(const std::array<double, 3>& p) const {
    std::array<double, 3> u{0, 0, 0};
    for (int d = 0; d < f_.dim(); ++d) u[d] = value(d, p);
    return u;
  }

  /// Where the fluid at p was dt earlier (dt < 0: where it will be), by the midpoint rule,
  /// kept inside the box.
  std::array<double, 3> trace(const std::array<double, 3>& p, double dt) const {
    const auto u0 = velocity(p);
    std::array<double, 3> mid = p;
    for (int d = 0; d < f_.dim(); ++d) mid[d] = std::clamp(p[d] - 0.5 * dt * u0[d], 0.0, 1.0);
    const auto um = velocity(mid);
    std::array<double, 3> back = p;
    for (int d = 0; d < f_.dim(); ++d) back[d] = std::clamp(p[d] - dt * um[d], 0.0, 1.0);
    return back;
  }

  mutable std::int64_t out_of_reach = 0;

 private:
  const MacFields& f_;
  const double* a_;
  double h_;
};

/// Calls f(i, j, k, c, position) for every defined value this rank owns, and g(i, j, k, c) for
/// the unused ones of the extra layer.
template <class F, class G>
void for_each_owned(const MacFields& f, F&& defined, G&& unused) {
  const Box& o = f.owned();
  const double h = 1.0 / f.n();
  for (int k = o.lo[2]; k < o.lo[2] + o.n[2]; ++k)
    for (int j = o.lo[1]; j < o.lo[1] + o.n[1]; ++j)
      for (int i = o.lo[0]; i < o.lo[0] + o.n[0]; ++i) {
        const int idx[3] = {i, j, k};
        for (int c = 0; c < f.dof(); ++c) {
          bool inside = true;
          std::array<double, 3> p{0, 0, 0};
          for (int d = 0; d < f.dim(); ++d) {
            inside = inside && idx[d] < f.extent(c, d);
            p[d] = (idx[d] + (c == d ? 0.0 : 0.5)) * h;
          }
          if (inside)
            defined(i, j, k, c, p);
          else
            unused(i, j, k, c);
        }
      }
}

}  // namespace

AdvectionResult advect(const MacFields& f, double dt, bool maccormack, Vec state, Vec result,
                       Vec local, Vec scratch_local) {
  AdvectionResult out;
  f.to_local(state, local);
  const PetscScalar* a0 = nullptr;
  PetscScalar* r = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local, &a0));
  DEEPSOLVE_PETSC_CALL(VecGetArray(result, &r));
  const Sampler now(f, a0);
  // The limiter's bounds, kept from the forward step (MacCormack only).
  std::vector<double> lo, hi;
  if (maccormack) {
    const std::size_t n = static_cast<std::size_t>(f.owned().num_cells()) * f.dof();
    lo.assign(n, 0.0);
    hi.assign(n, 0.0);
  }
  for_each_owned(
      f,
      [&](int i, int j, int k, int c, const std::array<double, 3>& p) {
        const auto at = f.owned_offset(i, j, k, c);
        const auto back = now.trace(p, dt);
        if (maccormack)
          r[at] = now.value(c, back, &lo[at], &hi[at]);
        else
          r[at] = now.value(c, back);
      },
      [&](int i, int j, int k, int c) { r[f.owned_offset(i, j, k, c)] = 0.0; });
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(result, &r));

  if (maccormack) {
    // Backward step: carry the forward result along the same velocity forward in time; the
    // difference to the start is twice the error estimate (Selle et al. 2008, eq. 6-7).
    f.to_local(result, scratch_local);
    const PetscScalar* a1 = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(scratch_local, &a1));
    DEEPSOLVE_PETSC_CALL(VecGetArray(result, &r));
    const Sampler forward(f, a1);
    for_each_owned(
        f,
        [&](int i, int j, int k, int c, const std::array<double, 3>& p) {
          const auto at = f.owned_offset(i, j, k, c);
          // The velocity is that of the start of the step (`now`), traced with -dt.
          const auto ahead = now.trace(p, -dt);
          const double back_again = forward.value(c, ahead);
          const double start = a0[f.ghosted_offset(i, j, k, c)];
          const double corrected = r[at] + 0.5 * (start - back_again);
          r[at] = std::clamp(corrected, lo[at], hi[at]);
        },
        [](int, int, int, int) {});
    out.out_of_reach += forward.out_of_reach;
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(result, &r));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(scratch_local, &a1));
  }
  out.out_of_reach += now.out_of_reach;
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local, &a0));
  return out;
}

}  // namespace smoke
