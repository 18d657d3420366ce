#include "deepsolve/solvers/stencil_operator.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "deepsolve/solvers/stencil.hpp"
#include "vector_clones.hpp"

namespace deepsolve::solvers {

namespace {

constexpr int kTableStride = 8;  // diagonal, six face masks, padding
constexpr int kMinRun = 4;       // shorter stretches of one class are "mixed"

// The loops below are written on restrict pointers, one stencil per loop, with no lookups and no
// branches, so that GCC vectorises them with the baseline instruction set (SSE2 on x86-64). Every
// form evaluates the same expression as the per-cell path,
//   diag x_c - w_x (m_0 x_l + m_1 x_r) - w_y (m_2 x_s + m_3 x_n) [- w_z (m_4 x_b + m_5 x_t)],
// in the same order, with masks m that are exactly 0 or 1, so all forms agree to the last bit.
//
// Each loop is also compiled for AVX2 (DEEPSOLVE_VECTOR_CLONES, vector_clones.hpp).

// All 2*Dim faces coupled: every mask is 1.
template <int Dim>
DEEPSOLVE_VECTOR_CLONES void interior_run(double* __restrict y, const double* __restrict xc,
                                          const double* __restrict xs, const double* __restrict xn,
                                          const double* __restrict xb, const double* __restrict xt,
                                          int begin, int end, double diag, double wx, double wy,
                                          double wz) {
  for (int i = begin; i < end; ++i) {
    double acc = diag * xc[i] - wx * (xc[i - 1] + xc[i + 1]) - wy * (xs[i] + xn[i]);
    if constexpr (Dim == 3) acc -= wz * (xb[i] + xt[i]);
    y[i] = acc;
  }
}

// One stencil class with any masks (cells along a domain face or an obstacle wall).
template <int Dim>
DEEPSOLVE_VECTOR_CLONES void uniform_run(double* __restrict y, const double* __restrict xc,
                                         const double* __restrict xs, const double* __restrict xn,
                                         const double* __restrict xb, const double* __restrict xt,
                                         int begin, int end, const double* t, double wx, double wy,
                                         double wz) {
  const double diag = t[0], m0 = t[1], m1 = t[2], m2 = t[3], m3 = t[4], m4 = t[5], m5 = t[6];
  for (int i = begin; i < end; ++i) {
    double acc =
        diag * xc[i] - wx * (m0 * xc[i - 1] + m1 * xc[i + 1]) - wy * (m2 * xs[i] + m3 * xn[i]);
    if constexpr (Dim == 3) acc -= wz * (m4 * xb[i] + m5 * xt[i]);
    y[i] = acc;
  }
}

// Solid or air cells: a diagonal row.
DEEPSOLVE_VECTOR_CLONES void eliminated_run(double* __restrict y, const double* __restrict xc,
                                            int begin, int end, double diag) {
  for (int i = begin; i < end; ++i) y[i] = diag * xc[i];
}

// Variable coefficients, cells [begin, end) of a row; d and o* point at the row's first cell.
template <int Dim>
DEEPSOLVE_VECTOR_CLONES void variable_run(double* __restrict y, const double* __restrict xc,
                                          const double* __restrict xs, const double* __restrict xn,
                                          const double* __restrict xb, const double* __restrict xt,
                                          const double* __restrict d, const double* __restrict o0,
                                          const double* __restrict o1, const double* __restrict o2,
                                          const double* __restrict o3, const double* __restrict o4,
                                          const double* __restrict o5, int begin, int end) {
  for (int i = begin; i < end; ++i) {
    double acc =
        d[i] * xc[i] - o0[i] * xc[i - 1] - o1[i] * xc[i + 1] - o2[i] * xs[i] - o3[i] * xn[i];
    if constexpr (Dim == 3) acc -= o4[i] * xb[i] + o5[i] * xt[i];
    y[i] = acc;
  }
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
  const bool variable = grid.has_coefficients();
  std::vector<int> class_of_code;         // face-state code -> stencil class
  std::vector<std::uint16_t> cell_class;  // constant coefficients: the class of each cell
  if (variable) {
    diag_.resize(count);
    for (auto& o : off_) o.resize(count);
  } else {
    cell_class.resize(count);
    class_of_code.assign(2 * kEliminatedCode, -1);
  }
  // The class of a code: its diagonal (summed over the faces in order) and its coupling masks.
  auto class_for = [&](unsigned code) {
    int& c = class_of_code[code];
    if (c >= 0) return static_cast<std::uint16_t>(c);
    c = static_cast<int>(class_table_.size() / kTableStride);
    double d = 0.0;
    double mask[6];
    for (int f = 0; f < 6; ++f) {
      const auto s = static_cast<FaceState>((code >> (2 * f)) & 3u);
      const double w = weight_[f / 2];
      d += s == FaceState::dirichlet_face ? 2 * w : s == FaceState::none ? 0.0 : w;
      mask[f] = s == FaceState::coupled ? 1.0 : 0.0;
    }
    class_table_.push_back((code & kEliminatedCode) ? eliminated_diagonal(grid) : d);
    for (double m : mask) class_table_.push_back(m);
    class_table_.push_back(0.0);
    return static_cast<std::uint16_t>(c);
  };
  std::size_t o = 0;
  for (int k = owned.lo[2]; k < owned.lo[2] + owned.n[2]; ++k)
    for (int j = owned.lo[1]; j < owned.lo[1] + owned.n[1]; ++j)
      for (int i = owned.lo[0]; i < owned.lo[0] + owned.n[0]; ++i, ++o) {
        if (variable) {
          const StencilRow row = stencil_row(grid, i, j, k);
          diag_[o] = row.diag;
          for (int f = 0; f < 6; ++f) off_[f][o] = row.off[f];
        } else {
          cell_class[o] = class_for(stencil_code(grid, i, j, k));
        }
      }
  if (!variable) {
    unsigned all_coupled = 0;
    for (int f = 0; f < 2 * dim_; ++f)
      all_coupled |= static_cast<unsigned>(FaceState::coupled) << (2 * f);
    interior_class_ = class_of_code[all_coupled];
    eliminated_class_ = class_of_code[kEliminatedCode];
    build_runs(cell_class);
  }
  zero_row_.assign(static_cast<std::size_t>(owned.n[0]) + 2, 0.0);
}

// Cells 1 .. nx-2 of a row become runs of one class (at least kMinRun long) and mixed runs in
// between, whose cells keep their class in mixed_class_; cells 0 and nx-1, whose x neighbours may
// lie outside the input, are applied one at a time with the classes kept in the row's pattern. Rows
// with equal classes share a pattern (most rows of a grid look alike), which keeps the runs an
// apply reads small enough to stay in the cache.
void StencilOperator::build_runs(const std::vector<std::uint16_t>& cell_class) {
  const int nx = owned_.n[0];
  const std::int64_t num_rows = static_cast<std::int64_t>(owned_.n[1]) * owned_.n[2];
  const auto row_bytes = static_cast<std::size_t>(nx) * sizeof(std::uint16_t);
  std::unordered_map<std::string_view, std::uint32_t> pattern_of;  // a row's classes -> pattern
  patterns_.clear();
  row_pattern_.resize(static_cast<std::size_t>(num_rows));
  for (std::int64_t r = 0; r < num_rows; ++r) {
    const std::uint16_t* cls = cell_class.data() + r * nx;
    const std::string_view key(reinterpret_cast<const char*>(cls), row_bytes);
    const auto [found, added] =
        pattern_of.try_emplace(key, static_cast<std::uint32_t>(patterns_.size()));
    row_pattern_[static_cast<std::size_t>(r)] = found->second;
    if (!added) continue;
    const auto first_run = static_cast<std::int64_t>(runs_.size());
    patterns_.push_back(RowPattern{first_run, cls[0], cls[nx - 1]});
    int i = 1;
    while (i < nx - 1) {
      int end = i + 1;
      while (end < nx - 1 && cls[end] == cls[i]) ++end;
      if (end - i >= kMinRun) {
        const int c = cls[i];
        const Run::Kind kind = c == interior_class_     ? Run::interior
                               : c == eliminated_class_ ? Run::eliminated
                                                        : Run::uniform;
        runs_.push_back(Run{0, i, end, cls[i], kind});
      } else {
        if (static_cast<std::int64_t>(runs_.size()) > first_run && runs_.back().kind == Run::mixed)
          runs_.back().end = end;  // extend the mixed run just before
        else
          runs_.push_back(
              Run{static_cast<std::int64_t>(mixed_class_.size()), i, end, 0, Run::mixed});
        mixed_class_.insert(mixed_class_.end(), cls + i, cls + end);
      }
      i = end;
    }
  }
  patterns_.push_back(RowPattern{static_cast<std::int64_t>(runs_.size()), 0, 0});
  patterns_.shrink_to_fit();
  runs_.shrink_to_fit();
  mixed_class_.shrink_to_fit();
}

std::int64_t StencilOperator::bytes_per_apply() const {
  if (variable_coefficients()) return (16 + 7 * 8) * rows();
  return 16 * rows() + static_cast<std::int64_t>(sizeof(std::uint32_t) * row_pattern_.size() +
                                                 sizeof(RowPattern) * patterns_.size() +
                                                 sizeof(Run) * runs_.size() +
                                                 sizeof(std::uint16_t) * mixed_class_.size());
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
  check_input_box(input);  // also when input == owned_: a sub-box needs its ghost layer
  if (dim_ == 2)
    variable_coefficients() ? apply_variable<2>(x, input, y) : apply_constant<2>(x, input, y);
  else
    variable_coefficients() ? apply_variable<3>(x, input, y) : apply_constant<3>(x, input, y);
}

// A named namespace, not an anonymous one: the lambdas below capture these types, and where this
// file is included (a unity build) GCC warns about closure members of anonymous-namespace type
// (-Wsubobject-linkage).
namespace row_sweep {

// Pointers to the x values of one row of owned cells and of its four neighbour rows in y and z.
// Neighbour rows that are not in the input box are replaced by a row of zeros (they can only lie
// across domain faces, which never couple), so the loops need no branches.
struct RowInput {
  const double* c;
  const double* s;
  const double* n;
  const double* b;
  const double* t;
};

struct SweepGeometry {
  std::int64_t sy, sz;  // strides of the input box
  int dx, dy, dz;       // offset of the owned box in the input box
  int in_ny, in_nz;
  const double* zero;  // zero[-1 .. nx] readable

  SweepGeometry(const Box& owned, const Box& in, const double* zero_row)
      : sy(in.n[0]),
        sz(static_cast<std::int64_t>(in.n[0]) * in.n[1]),
        dx(owned.lo[0] - in.lo[0]),
        dy(owned.lo[1] - in.lo[1]),
        dz(owned.lo[2] - in.lo[2]),
        in_ny(in.n[1]),
        in_nz(in.n[2]),
        zero(zero_row) {}

  template <int Dim>
  RowInput row(const double* x, int j, int k) const {
    RowInput r;
    r.c = x + ((k + dz) * sz + (j + dy) * sy + dx);
    r.s = (j + dy > 0) ? r.c - sy : zero;
    r.n = (j + dy + 1 < in_ny) ? r.c + sy : zero;
    r.b = zero;
    r.t = zero;
    if constexpr (Dim == 3) {
      r.b = (k + dz > 0) ? r.c - sz : zero;
      r.t = (k + dz + 1 < in_nz) ? r.c + sz : zero;
    }
    return r;
  }
};

constexpr int kChunk = 256;  // cells of a row applied before switching to the next row of a group

// Software prefetch, `kPrefetchAhead` cells ahead of the piece being applied, of the one input row
// that is read from memory for the first time (the row above in y in 2D, in z in 3D: the others
// were read for the previous row or plane) and of the output row (a store misses too: it reads the
// line first). The hardware prefetchers alone keep too few lines in flight for one core: on an AMD
// EPYC (Zen 5) this made the 2D apply 20-30% and the 3D apply 10-20% faster, the same loop with
// no other change.
constexpr std::ptrdiff_t kPrefetchAhead = 256;

// Prefetches `bytes` bytes from `address` on, one cache line at a time. The address is an integer,
// not a pointer, since it runs past the end of its array by up to kPrefetchAhead cells (a prefetch
// never faults). The hint is "keep in all levels" (locality 3, prefetcht0/prefetchw): the
// prefetched input row is read again for the next one or two rows. With the non-temporal hint
// (locality 0), which an Intel Xeon (Emerald Rapids) keeps out of its L2, the 2D apply took 2.5x
// and the 3D apply 1.8x as long as with this hint; there, locality 1, 2 and 3 and no prefetch at
// all were alike (2026-12-03).
template <int ForWrite>
void prefetch_bytes(std::uintptr_t address, std::ptrdiff_t bytes) {
  for (std::ptrdiff_t o = 0; o < bytes; o += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(address + o), ForWrite, 3);
}

// Rows applied together with constant coefficients: neighbours along the outermost axis (z planes
// in 3D, y rows in 2D), interleaved chunk by chunk, so that the input rows the two share are read
// from memory once and reused from L1 and an apply streams 2 instead of 3 input rows per output
// row. (On an AMD EPYC this made the constant-coefficient apply 10-20% faster; with variable
// coefficients, whose seven coefficient arrays are further streams, it made it slower, so that
// path goes row by row.)
constexpr int kConstantGroup = 2;

}  // namespace row_sweep

// Cells 1 .. nx-2 of a row are covered by its runs; cells 0 and nx-1 check their x neighbours
// explicitly, since those may lie outside the input box.
//
// Plain loops, not a row visitor taking a lambda: with the lambda (its captures read through the
// closure, the run cursors kept in memory) the 3D 128^3 apply took 7-10% longer.
template <int Dim>
void StencilOperator::apply_constant(const double* x, const Box& in, double* y) const {
  using namespace row_sweep;
  const int nx = owned_.n[0], ny = owned_.n[1], nz = owned_.n[2];
  const SweepGeometry geo(owned_, in, zero_row_.data() + 1);
  const double wx = weight_[0], wy = weight_[1], wz = weight_[2];
  const double* const table = class_table_.data();
  const Run* const runs = runs_.data();
  const RowPattern* const patterns = patterns_.data();
  const std::uint32_t* const row_pattern = row_pattern_.data();
  const std::uint16_t* const mixed_class = mixed_class_.data();
  const bool has_left = geo.dx > 0, has_right = geo.dx + nx < in.n[0];
  const int outer = Dim == 3 ? nz : ny;  // the axis along which rows are grouped
  const int rows_per_member = Dim == 3 ? ny : 1;
  for (int g0 = 0; g0 < outer; g0 += kConstantGroup) {
    const int group = std::min(kConstantGroup, outer - g0);
    std::int64_t cursor[kConstantGroup] = {};  // next run of each row of the group
    for (int m = 0; m < rows_per_member; ++m)
      for (int i0 = 0; i0 < nx; i0 += kChunk) {
        const int i1 = std::min(nx, i0 + kChunk);
        for (int s = 0; s < group; ++s) {
          const int j = Dim == 3 ? m : g0 + s, k = Dim == 3 ? g0 + s : 0;
          const std::int64_t r = static_cast<std::int64_t>(k) * ny + j;
          const RowInput xr = geo.row<Dim>(x, j, k);
          const double* const xc = xr.c;
          double* const yr = y + r * nx;
          const double* lead = Dim == 3 ? xr.t : xr.n;
          if (lead == geo.zero) lead = xc;  // no row above: prefetch one that is cached anyway
          constexpr std::ptrdiff_t ahead = kPrefetchAhead * sizeof(double);
          const std::ptrdiff_t bytes = (i1 - i0) * static_cast<std::ptrdiff_t>(sizeof(double));
          prefetch_bytes<0>(reinterpret_cast<std::uintptr_t>(lead + i0) + ahead, bytes);
          prefetch_bytes<1>(reinterpret_cast<std::uintptr_t>(yr + i0) + ahead, bytes);
          auto cell = [&](int i, std::uint16_t cls, double left, double right) {
            const double* t = table + kTableStride * cls;
            double acc = t[0] * xc[i] - wx * (t[1] * left + t[2] * right) -
                         wy * (t[3] * xr.s[i] + t[4] * xr.n[i]);
            if constexpr (Dim == 3) acc -= wz * (t[5] * xr.b[i] + t[6] * xr.t[i]);
            yr[i] = acc;
          };
          const std::uint32_t p = row_pattern[r];
          const RowPattern& row = patterns[p];
          const double left_edge = has_left ? xc[-1] : 0.0;
          const double right_edge = has_right ? xc[nx] : 0.0;
          if (nx == 1) {
            cell(0, row.first_class, left_edge, right_edge);
            continue;
          }
          std::int64_t q = i0 == 0 ? row.first_run : cursor[s];
          if (i0 == 0) cell(0, row.first_class, left_edge, xc[1]);
          const std::int64_t q_end = patterns[p + 1].first_run;
          for (; q < q_end; ++q) {
            const Run& run = runs[q];
            if (run.begin >= i1) break;
            const int b = std::max(run.begin, i0), e = std::min(run.end, i1);
            const double* t = table + kTableStride * run.cls;
            switch (run.kind) {
              case Run::interior:
                interior_run<Dim>(yr, xc, xr.s, xr.n, xr.b, xr.t, b, e, t[0], wx, wy, wz);
                break;
              case Run::eliminated:
                eliminated_run(yr, xc, b, e, t[0]);
                break;
              case Run::uniform:
                uniform_run<Dim>(yr, xc, xr.s, xr.n, xr.b, xr.t, b, e, t, wx, wy, wz);
                break;
              case Run::mixed: {
                const std::uint16_t* cls = mixed_class + run.mixed_offset;
                for (int i = b; i < e; ++i) cell(i, cls[i - run.begin], xc[i - 1], xc[i + 1]);
                break;
              }
            }
            if (run.end > i1) break;  // the run goes on in the next chunk
          }
          cursor[s] = q;
          if (i1 == nx) cell(nx - 1, row.last_class, xc[nx - 2], right_edge);
        }
      }
  }
}

template <int Dim>
void StencilOperator::apply_variable(const double* x, const Box& in, double* y) const {
  using namespace row_sweep;
  const int nx = owned_.n[0], ny = owned_.n[1], nz = owned_.n[2];
  const SweepGeometry geo(owned_, in, zero_row_.data() + 1);
  const bool has_left = geo.dx > 0, has_right = geo.dx + nx < in.n[0];
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j) {
      const std::int64_t o = (static_cast<std::int64_t>(k) * ny + j) * nx;
      const RowInput xr = geo.row<Dim>(x, j, k);
      const double* xc = xr.c;
      double* yr = y + o;
      const double* d = diag_.data() + o;
      const double *o0 = off_[0].data() + o, *o1 = off_[1].data() + o, *o2 = off_[2].data() + o,
                   *o3 = off_[3].data() + o, *o4 = off_[4].data() + o, *o5 = off_[5].data() + o;
      auto cell = [&](int i, double left, double right) {
        double acc =
            d[i] * xc[i] - o0[i] * left - o1[i] * right - o2[i] * xr.s[i] - o3[i] * xr.n[i];
        if constexpr (Dim == 3) acc -= o4[i] * xr.b[i] + o5[i] * xr.t[i];
        yr[i] = acc;
      };
      const double left_edge = has_left ? xc[-1] : 0.0;
      const double right_edge = has_right ? xc[nx] : 0.0;
      if (nx == 1) {
        cell(0, left_edge, right_edge);
        continue;
      }
      cell(0, left_edge, xc[1]);
      variable_run<Dim>(yr, xc, xr.s, xr.n, xr.b, xr.t, d, o0, o1, o2, o3, o4, o5, 1, nx - 1);
      cell(nx - 1, xc[nx - 2], right_edge);
    }
}

}  // namespace deepsolve::solvers
