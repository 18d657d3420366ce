#include "deepsolve/solvers/stencil_operator.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

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

// Cells 1 .. nx-2 of each row become runs of one class (at least kMinRun long) and mixed runs in
// between, whose cells keep their class in mixed_class_; cells 0 and nx-1, whose x neighbours may
// lie outside the input, are applied one at a time with the classes kept in rows_.
void StencilOperator::build_runs(const std::vector<std::uint16_t>& cell_class) {
  const int nx = owned_.n[0];
  const std::int64_t num_rows = static_cast<std::int64_t>(owned_.n[1]) * owned_.n[2];
  rows_.clear();
  rows_.reserve(static_cast<std::size_t>(num_rows) + 1);
  for (std::int64_t r = 0; r < num_rows; ++r) {
    const std::uint16_t* cls = cell_class.data() + r * nx;
    const auto first_run = static_cast<std::int64_t>(runs_.size());
    rows_.push_back(RowInfo{first_run, cls[0], cls[nx - 1]});
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
  rows_.push_back(RowInfo{static_cast<std::int64_t>(runs_.size()), 0, 0});
  runs_.shrink_to_fit();
  mixed_class_.shrink_to_fit();
}

std::int64_t StencilOperator::bytes_per_apply() const {
  if (variable_coefficients()) return (16 + 7 * 8) * rows();
  return 16 * rows() +
         static_cast<std::int64_t>(sizeof(std::uint16_t) * mixed_class_.size() +
                                   sizeof(Run) * runs_.size() + sizeof(RowInfo) * rows_.size());
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

// Prefetches the elements [from, to) of `base` that lie below `limit`, one cache line at a time
// (offsets, so that no pointer beyond the array is formed).
template <int ForWrite>
void prefetch_range(const double* base, std::ptrdiff_t from, std::ptrdiff_t to,
                    std::ptrdiff_t limit) {
  constexpr std::ptrdiff_t kLine = 64 / sizeof(double);
  for (std::ptrdiff_t o = from; o < std::min(to, limit); o += kLine)
    __builtin_prefetch(base + o, ForWrite, 0);
}

constexpr int kConstantGroup = 2;  // rows per group with constant coefficients (see sweep)

// Calls piece(j, k, i0, i1, slot) for every owned row piece [i0, i1), in groups of Group rows that
// neighbour across the outermost axis (z planes in 3D, y rows in 2D), interleaved chunk by chunk:
// with Group = 2 the input rows the two share are read from memory once and reused from L1, so an
// apply streams 2 instead of 3 input rows per output row. (On an AMD EPYC this made the
// constant-coefficient apply 10-20% faster; with variable coefficients, whose seven coefficient
// arrays are further streams, it made it slower, so that path goes row by row.) `slot` is the
// row's place in its group.
template <int Dim, int Group, class Piece>
void sweep(const Box& owned, Piece&& piece) {
  const int nx = owned.n[0], ny = owned.n[1], nz = owned.n[2];
  if constexpr (Dim == 3) {
    for (int k0 = 0; k0 < nz; k0 += Group) {
      const int group = std::min(Group, nz - k0);
      for (int j = 0; j < ny; ++j)
        for (int i0 = 0; i0 < nx; i0 += kChunk)
          for (int s = 0; s < group; ++s) piece(j, k0 + s, i0, std::min(nx, i0 + kChunk), s);
    }
  } else {
    for (int k = 0; k < nz; ++k)
      for (int j0 = 0; j0 < ny; j0 += Group) {
        const int group = std::min(Group, ny - j0);
        for (int i0 = 0; i0 < nx; i0 += kChunk)
          for (int s = 0; s < group; ++s) piece(j0 + s, k, i0, std::min(nx, i0 + kChunk), s);
      }
  }
}

}  // namespace row_sweep

// Cells 1 .. nx-2 of a row are covered by its runs; cells 0 and nx-1 check their x neighbours
// explicitly, since those may lie outside the input box.
template <int Dim>
void StencilOperator::apply_constant(const double* x, const Box& in, double* y) const {
  using namespace row_sweep;
  const int nx = owned_.n[0];
  const int ny = owned_.n[1];
  const SweepGeometry geo(owned_, in, zero_row_.data() + 1);
  const double wx = weight_[0], wy = weight_[1], wz = weight_[2];
  const double* table = class_table_.data();
  const bool has_left = geo.dx > 0, has_right = geo.dx + nx < in.n[0];
  std::int64_t cursor[kConstantGroup] = {};  // next run of each row of the group
  const std::ptrdiff_t x_cells = in.num_cells(), y_cells = owned_.num_cells();
  sweep<Dim, kConstantGroup>(owned_, [&](int j, int k, int i0, int i1, int slot) {
    const std::size_t r = static_cast<std::size_t>(k) * static_cast<std::size_t>(ny) + j;
    const RowInfo& row = rows_[r];
    const RowInput xr = geo.row<Dim>(x, j, k);
    const double* xc = xr.c;
    double* yr = y + static_cast<std::int64_t>(r) * nx;
    auto cell = [&](int i, std::uint16_t cls, double left, double right) {
      const double* t = table + kTableStride * cls;
      double acc =
          t[0] * xc[i] - wx * (t[1] * left + t[2] * right) - wy * (t[3] * xr.s[i] + t[4] * xr.n[i]);
      if constexpr (Dim == 3) acc -= wz * (t[5] * xr.b[i] + t[6] * xr.t[i]);
      yr[i] = acc;
    };
    const double* lead = Dim == 3 ? xr.t : xr.n;
    if (lead != geo.zero)
      prefetch_range<0>(x, lead - x + i0 + kPrefetchAhead, lead - x + i1 + kPrefetchAhead, x_cells);
    prefetch_range<1>(y, yr - y + i0 + kPrefetchAhead, yr - y + i1 + kPrefetchAhead, y_cells);
    const double left_edge = has_left ? xc[-1] : 0.0;
    const double right_edge = has_right ? xc[nx] : 0.0;
    if (nx == 1) {
      cell(0, row.first_class, left_edge, right_edge);
      return;
    }
    std::int64_t& q = cursor[slot];
    if (i0 == 0) {
      cell(0, row.first_class, left_edge, xc[1]);
      q = row.first_run;
    }
    const std::int64_t q_end = rows_[r + 1].first_run;
    for (; q < q_end; ++q) {
      const Run& run = runs_[static_cast<std::size_t>(q)];
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
          const std::uint16_t* cls = mixed_class_.data() + run.mixed_offset;
          for (int i = b; i < e; ++i) cell(i, cls[i - run.begin], xc[i - 1], xc[i + 1]);
          break;
        }
      }
      if (run.end > i1) break;  // the run goes on in the next chunk
    }
    if (i1 == nx) cell(nx - 1, row.last_class, xc[nx - 2], right_edge);
  });
}

template <int Dim>
void StencilOperator::apply_variable(const double* x, const Box& in, double* y) const {
  using namespace row_sweep;
  const int nx = owned_.n[0];
  const int ny = owned_.n[1];
  const SweepGeometry geo(owned_, in, zero_row_.data() + 1);
  const bool has_left = geo.dx > 0, has_right = geo.dx + nx < in.n[0];
  sweep<Dim, 1>(owned_, [&](int j, int k, int i0, int i1, int) {
    const std::int64_t o = (static_cast<std::int64_t>(k) * ny + j) * nx;
    const RowInput xr = geo.row<Dim>(x, j, k);
    const double* xc = xr.c;
    double* yr = y + o;
    const double* d = diag_.data() + o;
    const double *o0 = off_[0].data() + o, *o1 = off_[1].data() + o, *o2 = off_[2].data() + o,
                 *o3 = off_[3].data() + o, *o4 = off_[4].data() + o, *o5 = off_[5].data() + o;
    auto cell = [&](int i, double left, double right) {
      double acc = d[i] * xc[i] - o0[i] * left - o1[i] * right - o2[i] * xr.s[i] - o3[i] * xr.n[i];
      if constexpr (Dim == 3) acc -= o4[i] * xr.b[i] + o5[i] * xr.t[i];
      yr[i] = acc;
    };
    const double left_edge = has_left ? xc[-1] : 0.0;
    const double right_edge = has_right ? xc[nx] : 0.0;
    if (nx == 1) {
      cell(0, left_edge, right_edge);
      return;
    }
    if (i0 == 0) cell(0, left_edge, xc[1]);
    const int b = std::max(i0, 1), e = std::min(i1, nx - 1);
    if (b < e) variable_run<Dim>(yr, xc, xr.s, xr.n, xr.b, xr.t, d, o0, o1, o2, o3, o4, o5, b, e);
    if (i1 == nx) cell(nx - 1, xc[nx - 2], right_edge);
  });
}

}  // namespace deepsolve::solvers
