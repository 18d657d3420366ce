#include "deepsolve/solvers/dcdm/vcycle_network.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "../vector_clones.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "network_input.hpp"

namespace deepsolve::solvers::dcdm {

namespace F = torch::nn::functional;

namespace {

std::shared_ptr<torch::nn::Module> make_conv(int dim, int in, int out, int kernel) {
  if (dim == 3) {
    torch::nn::Conv3d c(torch::nn::Conv3dOptions(in, out, kernel));
    torch::nn::init::xavier_uniform_(c->weight);
    torch::nn::init::zeros_(c->bias);
    return c.ptr();
  }
  torch::nn::Conv2d c(torch::nn::Conv2dOptions(in, out, kernel));
  torch::nn::init::xavier_uniform_(c->weight);
  torch::nn::init::zeros_(c->bias);
  return c.ptr();
}

torch::Tensor run_conv(const std::shared_ptr<torch::nn::Module>& m, const torch::Tensor& x) {
  if (auto* c = m->as<torch::nn::Conv3dImpl>()) return c->forward(x);
  return m->as<torch::nn::Conv2dImpl>()->forward(x);
}

torch::Tensor& conv_weight(const std::shared_ptr<torch::nn::Module>& m) {
  if (auto* c = m->as<torch::nn::Conv3dImpl>()) return c->weight;
  return m->as<torch::nn::Conv2dImpl>()->weight;
}

torch::Tensor& conv_bias(const std::shared_ptr<torch::nn::Module>& m) {
  if (auto* c = m->as<torch::nn::Conv3dImpl>()) return c->bias;
  return m->as<torch::nn::Conv2dImpl>()->bias;
}

// Halves every spatial axis; an odd axis gets one zero cell at its high end first.
torch::Tensor pool_half(const torch::Tensor& x) {
  std::vector<std::int64_t> pad;  // F::pad order: last axis first
  bool odd = false;
  for (std::int64_t a = x.dim() - 1; a >= 2; --a) {
    pad.push_back(0);
    pad.push_back(x.size(a) % 2);
    odd = odd || x.size(a) % 2 == 1;
  }
  const torch::Tensor even = odd ? F::pad(x, F::PadFuncOptions(pad)) : x;
  return x.dim() == 5 ? torch::avg_pool3d(even, 2, 2) : torch::avg_pool2d(even, 2, 2);
}

// The ghosted cell images of the next coarser grid: the interior pooled (an odd axis takes its
// high ghost slab as the extra cell), the ghost layer copied from the fine grid's per face.
torch::Tensor coarsen_cells(const torch::Tensor& g) {
  torch::Tensor interior = g;
  for (std::int64_t a = 2; a < g.dim(); ++a) {
    const std::int64_t n = g.size(a) - 2;
    interior = interior.narrow(a, 1, n + n % 2);
  }
  const int spatial = static_cast<int>(g.dim()) - 2;
  const torch::Tensor pooled =
      spatial == 3 ? torch::avg_pool3d(interior, 2, 2) : torch::avg_pool2d(interior, 2, 2);
  std::vector<std::int64_t> shape = pooled.sizes().vec();
  for (std::int64_t a = 2; a < g.dim(); ++a) shape[a] += 2;
  torch::Tensor out = torch::zeros(shape, g.options());
  torch::Tensor inner = out;
  for (std::int64_t a = 2; a < g.dim(); ++a) inner = inner.narrow(a, 1, pooled.size(a));
  inner.copy_(pooled);
  // Each face's ghost value: the fine ghost slab at the middle of the face (faces are uniform).
  for (std::int64_t a = 2; a < g.dim(); ++a) {
    for (const bool high : {false, true}) {
      torch::Tensor value = g.narrow(a, high ? g.size(a) - 1 : 0, 1);
      for (std::int64_t b = 2; b < g.dim(); ++b)
        if (b != a) value = value.narrow(b, g.size(b) / 2, 1);
      out.narrow(a, high ? out.size(a) - 1 : 0, 1)
          .copy_(value.expand_as(out.narrow(a, high ? out.size(a) - 1 : 0, 1)));
    }
  }
  return out;
}

// A level whose runs are shorter than this on average keeps one coefficient per cell and tap:
// there the loop over runs cost more than streaming the coefficients (the coarse levels, and
// fine grids cut up by obstacles; 3D 32^3 sphere took 1.8x as long with runs on every level when
// the taps were added to y one by one; with the taps summed per cell, 2 instead of 8 changed no
// time by more than the noise).
constexpr double kMinMeanRun = 8.0;

// So does a level whose coefficients per cell take at most this many bytes: they stay in the
// cache, where streaming them is cheaper than the run loop (2D 128^2 sphere, 2.4 MB: 1.1-1.2x as
// long with runs, tap by tap; with the taps summed per cell, 0 changed no time beyond the noise).
constexpr std::int64_t kPerCellBytes = std::int64_t{4} << 20;

// y[i] = sum over the taps s, in order, of c_s(i) rows[s][i] for i in [first, last), where c_s(i)
// is coef[s] (one pattern) or coef[s * nx + i] (a coefficient per cell). All taps of a cell are
// summed in registers and y is written once: adding tap after tap to y read and wrote y per tap.
// (Also compiled for AVX2.)
template <int Taps, bool PerCell>
DEEPSOLVE_VECTOR_CLONES void sum_taps(float* __restrict y, const float* __restrict coef,
                                      std::int64_t nx, const float* const* rows, std::int64_t first,
                                      std::int64_t last) {
#pragma GCC ivdep
  for (std::int64_t i = first; i < last; ++i) {
    float sum = 0.0f;
#pragma GCC unroll 27
    for (int s = 0; s < Taps; ++s) sum += (PerCell ? coef[s * nx + i] : coef[s]) * rows[s][i];
    y[i] = sum;
  }
}

// sum_taps over cells [first, last) of a row, for the first and last cell of the row without the
// taps that would read across the row's ends (the input is zero outside the grid).
template <int Taps, bool PerCell>
void sum_row_span(float* y, const float* coef, std::int64_t nx, const float* const* rows,
                  std::int64_t first, std::int64_t last) {
  auto edge = [&](std::int64_t i) {
    float sum = 0.0f;
    for (int s = 0; s < Taps; ++s) {
      const int dx = s % 3;
      if ((dx == 0 && i == 0) || (dx == 2 && i == nx - 1)) continue;
      sum += (PerCell ? coef[s * nx + i] : coef[s]) * rows[s][i];
    }
    y[i] = sum;
  };
  if (first == 0 && first < last) edge(first++);
  if (last == nx && first < last) edge(--last);
  if (first < last) sum_taps<Taps, PerCell>(y, coef, nx, rows, first, last);
}

// A stencil of 9 or 27 taps applied row by row to e (float32, (batch, 1, [nz,] ny, nx)): for each
// output row, sum_row(r, y_row, rows) writes row r (within a batch item), rows[s] being the input
// row of tap s (in VcycleNetImpl::stencil's order) shifted by the tap's x offset, or a row of
// zeros where the tap's row lies outside the grid (zeros add nothing to a sum started at +0).
template <int Taps, class SumRow>
torch::Tensor apply_by_rows(const torch::Tensor& e, const SumRow& sum_row) {
  constexpr bool three = Taps == 27;
  const torch::Tensor ec = e.contiguous();
  torch::Tensor y = torch::empty_like(ec);  // every cell is written
  const std::int64_t batch = ec.size(0), nz = three ? ec.size(2) : 1, ny = ec.size(-2),
                     nx = ec.size(-1);
  const std::int64_t plane = ny * nx, cells = nz * plane;
  const float* in = ec.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, batch * nz * ny, 16, [&](std::int64_t begin, std::int64_t end) {
    const std::vector<float> zeros(static_cast<std::size_t>(nx + 2), 0.0f);
    std::array<const float*, Taps> rows{};
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t b = row / (nz * ny), r = row % (nz * ny), z = r / ny, j = r % ny;
      int s = 0;
      for (int dz = 0; dz < (three ? 3 : 1); ++dz)
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx, ++s) {
            const std::int64_t zz = z + (three ? dz - 1 : 0), jj = j + dy - 1;
            const bool inside = zz >= 0 && zz < nz && jj >= 0 && jj < ny;
            rows[static_cast<std::size_t>(s)] =
                (inside ? in + b * cells + zz * plane + jj * nx : zeros.data() + 1) + (dx - 1);
          }
      sum_row(r, out + b * cells + r * nx, rows.data());
    }
  });
  return y;
}

// One stencil with a coefficient per cell and tap, `w` laid out (rows, taps, nx) so that the taps
// of one output row are one stream.
template <int Taps>
torch::Tensor stencil_per_cell(const torch::Tensor& w, const torch::Tensor& e) {
  const std::int64_t nx = e.size(-1);
  const float* weights = w.data_ptr<float>();
  return apply_by_rows<Taps>(e, [&](std::int64_t r, float* y_row, const float* const* rows) {
    sum_row_span<Taps, true>(y_row, weights + r * Taps * nx, nx, rows, 0, nx);
  });
}

// One stencil of a level stored as runs of cells with one pattern: each run summed with its
// pattern's coefficients, table + pattern * per_pattern.
template <int Taps, class Run>
torch::Tensor stencil_by_runs(const float* table, std::int64_t per_pattern,
                              const std::vector<std::int64_t>& row_runs, const Run* runs,
                              const torch::Tensor& e) {
  const std::int64_t nx = e.size(-1);
  return apply_by_rows<Taps>(e, [&](std::int64_t r, float* y_row, const float* const* rows) {
    const auto row = static_cast<std::size_t>(r);
    for (const Run* run = runs + row_runs[row]; run != runs + row_runs[row + 1]; ++run)
      sum_row_span<Taps, false>(y_row, table + run->pattern * per_pattern, nx, rows, run->begin,
                                run->end);
  });
}

// Where fine cell i of an axis reads a coarse axis of m cells under interpolation by 2 with
// align_corners = false, as F::interpolate computes it: at i / 2 - 1/4, clamped to the first cell.
struct Interpolation {
  std::int64_t lo, hi;
  float w_lo, w_hi;
};

Interpolation interpolation_at(std::int64_t i, std::int64_t m) {
  if (i == 0) return {0, 0, 1.0f, 0.0f};
  const std::int64_t j = i / 2;
  if (i % 2 == 0) return {j - 1, j, 0.25f, 0.75f};
  return {j, std::min(j + 1, m - 1), 0.75f, 0.25f};
}

// z <- c0 z + 4 c1 up(e), in place: a level's pre-smoothed residual z mixed with the coarse
// correction e, where up is bi/trilinear interpolation by 2 (as F::interpolate with align_corners
// = false) cut to z's size. z: (batch, 1, [nz,] ny, nx), e: (batch, 1, [mz,] my, mx), mixing
// (c0, c1): (1, 2, [nz,] ny, nx), all contiguous float32. One sweep instead of F::interpolate and
// three tensor products, which took a fifth of a call at 3D 128^3 (100 -> 78 ms, one thread).
void mix_with_coarse(torch::Tensor& z, const torch::Tensor& mixing, const torch::Tensor& e,
                     bool three) {
  const std::int64_t batch = z.size(0), nz = three ? z.size(2) : 1, ny = z.size(-2),
                     nx = z.size(-1);
  const std::int64_t mz = three ? e.size(2) : 1, my = e.size(-2), mx = e.size(-1);
  const std::int64_t cells = nz * ny * nx, coarse_cells = mz * my * mx;
  std::vector<Interpolation> along_x(static_cast<std::size_t>(nx));
  for (std::int64_t i = 0; i < nx; ++i)
    along_x[static_cast<std::size_t>(i)] = interpolation_at(i, mx);
  float* out = z.data_ptr<float>();
  const float* c0 = mixing.data_ptr<float>();
  const float* c1 = c0 + cells;
  const float* coarse = e.data_ptr<float>();
  at::parallel_for(0, batch * nz * ny, 16, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> blended(static_cast<std::size_t>(mx));  // the coarse rows, blended
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t b = row / (nz * ny), r = row % (nz * ny);
      const Interpolation y = interpolation_at(r % ny, my);
      const float* e_b = coarse + b * coarse_cells;
      if (three) {
        const Interpolation zi = interpolation_at(r / ny, mz);
        const float *a = e_b + (zi.lo * my + y.lo) * mx, *bb = e_b + (zi.lo * my + y.hi) * mx,
                    *c = e_b + (zi.hi * my + y.lo) * mx, *d = e_b + (zi.hi * my + y.hi) * mx;
        for (std::int64_t i = 0; i < mx; ++i)
          blended[static_cast<std::size_t>(i)] = zi.w_lo * (y.w_lo * a[i] + y.w_hi * bb[i]) +
                                                 zi.w_hi * (y.w_lo * c[i] + y.w_hi * d[i]);
      } else {
        const float *a = e_b + y.lo * mx, *bb = e_b + y.hi * mx;
        for (std::int64_t i = 0; i < mx; ++i)
          blended[static_cast<std::size_t>(i)] = y.w_lo * a[i] + y.w_hi * bb[i];
      }
      float* z_row = out + b * cells + r * nx;
      const float *c0_row = c0 + r * nx, *c1_row = c1 + r * nx;
      for (std::int64_t i = 0; i < nx; ++i) {
        const Interpolation& x = along_x[static_cast<std::size_t>(i)];
        const float up = x.w_lo * blended[static_cast<std::size_t>(x.lo)] +
                         x.w_hi * blended[static_cast<std::size_t>(x.hi)];
        z_row[i] = c0_row[i] * z_row[i] + 4.0f * c1_row[i] * up;
      }
    }
  });
}

}  // namespace

void VcycleNetOptions::validate() const {
  auto bad = [](const std::string& field, int value, const std::string& rule) {
    throw std::invalid_argument("invalid V-cycle network option " + field + " = " +
                                std::to_string(value) + " (" + rule + ")");
  };
  if (dim_ != 2 && dim_ != 3) bad("dim", dim_, "must be 2 or 3");
  if (hidden_ < 1) bad("hidden", hidden_, "must be >= 1");
  if (smoothing_ < 1 || smoothing_ > 8) bad("smoothing", smoothing_, "must be in 1..8");
  if (coarsest_ < 1) bad("coarsest", coarsest_, "must be >= 1");
}

std::string VcycleNetOptions::describe() const {
  std::ostringstream s;
  s << dim_ << "D V-cycle, " << hidden_ << " hidden channels, " << smoothing_
    << " smoothing stencil" << (smoothing_ == 1 ? "" : "s") << ", coarsest " << coarsest_;
  return s.str();
}

int VcycleNetOptions::levels_for(const std::vector<std::int64_t>& sizes) const {
  int levels = 1;
  std::vector<std::int64_t> n = sizes;
  auto too_big = [&] {
    for (std::int64_t v : n)
      if (v > coarsest_) return true;
    return false;
  };
  while (too_big()) {
    for (auto& v : n) v = (v + 1) / 2;
    ++levels;
  }
  return levels;
}

VcycleNetImpl::VcycleNetImpl(VcycleNetOptions options) : options_(std::move(options)) {
  reset();
}

void VcycleNetImpl::reset() {
  options_.validate();
  torch::NoGradGuard no_grad;
  const int d = options_.dim(), h = options_.hidden();
  const int taps = d == 3 ? 27 : 9;
  const int outputs = 2 * options_.smoothing() * taps + 2;
  spatial_ = register_module("spatial", make_conv(d, 2, h, 3));
  mix_ = register_module("mix", make_conv(d, h, h, 1));
  out_ = register_module("out", make_conv(d, h, outputs, 1));
  // Start close to M = sum over levels of 4^l up^l pool^l: identity stencils, c0 = 1/4, c1 = 1.
  conv_weight(out_).mul_(0.01);
  torch::Tensor bias = conv_bias(out_);
  for (int s = 0; s < 2 * options_.smoothing(); ++s) bias[s * taps + taps / 2] = 1.0;
  bias[outputs - 2] = 0.25;  // c0: Jacobi-like (the unit-spacing 5/7-point diagonal is 4/6)
  bias[outputs - 1] = 1.0;
  cached_.clear();
  cached_stencils_.clear();
  cached_mixing_.clear();
  cached_cells_ = torch::Tensor();
  cache_key_.clear();
}

// Per level: (1, outputs, grid) coefficients from the ghosted cell images of that level.
std::vector<torch::Tensor> VcycleNetImpl::coefficients(const torch::Tensor& cells) const {
  std::vector<std::int64_t> interior;
  for (std::int64_t a = cells.dim() - 1; a >= 2; --a) interior.push_back(cells.size(a) - 2);
  const int levels = options_.levels_for(interior);
  std::vector<torch::Tensor> out;
  torch::Tensor g = cells;
  for (int l = 0; l < levels; ++l) {
    const torch::Tensor h = torch::relu(run_conv(mix_, torch::relu(run_conv(spatial_, g))));
    out.push_back(run_conv(out_, h));
    if (l + 1 < levels) {
      torch::NoGradGuard no_grad;  // the cell images are data
      g = coarsen_cells(g);
    }
  }
  return out;
}

// The coefficients of coefficients() for inference on the CPU in float32. A cell's coefficients
// depend only on the 3^dim patch of cell images around it (the head is a 3^dim convolution
// without padding, then 1x1 ones), and most cells of a grid see one of a few patches: the
// interior fluid, each face, edge and corner, the cells next to an obstacle. So the head runs on
// the distinct patches only, and each grid row becomes runs of cells with the same patch. An
// empty 128^3 box then holds its stencils in a table of 27 patches; a copy per cell took 108
// floats per cell (0.9 GB) and 1.3-1.5 s to compute.
void VcycleNetImpl::cache_for_inference(const torch::Tensor& cells) {
  torch::NoGradGuard no_grad;
  const int dim = options_.dim(), taps = dim == 3 ? 27 : 9, k = options_.smoothing();
  const std::int64_t stencil_channels = 2 * k * taps;
  std::vector<std::int64_t> interior;
  for (std::int64_t a = cells.dim() - 1; a >= 2; --a) interior.push_back(cells.size(a) - 2);
  const int levels = options_.levels_for(interior);
  std::vector<LevelStencils> all_stencils;
  std::vector<torch::Tensor> all_mixing;
  torch::Tensor g = cells.contiguous();
  for (int l = 0; l < levels; ++l) {
    // The level's interior sizes and the ghosted images' strides.
    const std::int64_t nx = g.size(-1) - 2, ny = g.size(-2) - 2, nz = dim == 3 ? g.size(2) - 2 : 1;
    const std::int64_t gx = nx + 2, gy = ny + 2, channel = g[0][0].numel();
    const float* images = g.data_ptr<float>();

    // Each cell's patch: both images over the 3^dim cells around it, in the order a convolution
    // reads them (channel, dz, dy, dx), as the key of its pattern. Along a row, a cell whose
    // patch's ghosted columns are all equal to their left neighbours has its left neighbour's
    // patch: that is most cells, and comparing columns costs far less than hashing patches.
    std::unordered_map<std::string, std::int32_t> pattern_of;
    std::vector<float> patches;  // the distinct patches, pattern after pattern
    std::vector<std::int64_t> pattern(static_cast<std::size_t>(nz * ny * nx));
    std::array<float, 54> values{};  // 2 images x 27 cells
    std::string key(2 * static_cast<std::size_t>(taps) * sizeof(float), '\0');
    const int column_size = 2 * taps / 3;  // 2 images x 3 (x 3) cells of one ghosted column
    std::vector<float> columns(static_cast<std::size_t>(gx * column_size));
    std::vector<char> same_as_next(static_cast<std::size_t>(gx), 0);  // column c equals c + 1
    for (std::int64_t z = 0; z < nz; ++z)
      for (std::int64_t j = 0; j < ny; ++j) {
        for (std::int64_t c = 0; c < gx; ++c) {
          float* column = columns.data() + c * column_size;
          for (int ch = 0, v = 0; ch < 2; ++ch)
            for (int dz = 0; dz < (dim == 3 ? 3 : 1); ++dz)
              for (int dy = 0; dy < 3; ++dy)
                column[v++] = images[ch * channel + ((z + dz) * gy + j + dy) * gx + c];
        }
        for (std::int64_t c = 0; c + 1 < gx; ++c)
          same_as_next[c] =
              std::memcmp(columns.data() + c * column_size, columns.data() + (c + 1) * column_size,
                          column_size * sizeof(float)) == 0;
        std::int64_t* row_pattern = pattern.data() + (z * ny + j) * nx;
        for (std::int64_t i = 0; i < nx; ++i) {
          if (i > 0 && same_as_next[i - 1] && same_as_next[i] && same_as_next[i + 1]) {
            row_pattern[i] = row_pattern[i - 1];  // columns i-1..i+2 are one column repeated
            continue;
          }
          int v = 0;
          for (int c = 0; c < 2; ++c)
            for (int dz = 0; dz < (dim == 3 ? 3 : 1); ++dz)
              for (int dy = 0; dy < 3; ++dy)
                for (int dx = 0; dx < 3; ++dx)
                  values[v++] = images[c * channel + ((z + dz) * gy + j + dy) * gx + i + dx];
          std::memcpy(key.data(), values.data(), key.size());
          const auto [found, added] =
              pattern_of.try_emplace(key, static_cast<std::int32_t>(pattern_of.size()));
          if (added) patches.insert(patches.end(), values.begin(), values.begin() + v);
          row_pattern[i] = found->second;
        }
      }

    // The head on the distinct patches: a 3^dim patch convolved without padding is one cell.
    const auto count = static_cast<std::int64_t>(pattern_of.size());
    std::vector<std::int64_t> patch_shape{count, 2, 3, 3};
    if (dim == 3) patch_shape.insert(patch_shape.begin() + 2, 3);
    const torch::Tensor patch_tensor = torch::from_blob(patches.data(), patch_shape, g.options());
    const torch::Tensor head =
        run_conv(out_, torch::relu(run_conv(mix_, torch::relu(run_conv(spatial_, patch_tensor)))))
            .reshape({count, -1});
    LevelStencils level;
    level.table = head.narrow(1, 0, stencil_channels).reshape({count, 2 * k, taps}).contiguous();
    const torch::Tensor pattern_index = torch::from_blob(
        pattern.data(), {static_cast<std::int64_t>(pattern.size())}, torch::kInt64);
    std::vector<std::int64_t> mixing_shape{1, 2};
    if (dim == 3) mixing_shape.push_back(nz);
    mixing_shape.push_back(ny);
    mixing_shape.push_back(nx);
    all_mixing.push_back(head.narrow(1, stencil_channels, 2)
                             .index_select(0, pattern_index)
                             .transpose(0, 1)
                             .reshape(mixing_shape)
                             .contiguous());

    // Each row as runs of one pattern.
    level.row_runs.reserve(static_cast<std::size_t>(nz * ny + 1));
    for (std::int64_t r = 0; r < nz * ny; ++r) {
      level.row_runs.push_back(static_cast<std::int64_t>(level.runs.size()));
      const std::int64_t* row = pattern.data() + r * nx;
      for (std::int64_t i = 0; i < nx;) {
        std::int64_t end = i + 1;
        while (end < nx && row[end] == row[i]) ++end;
        level.runs.push_back(PatternRun{static_cast<std::int32_t>(i),
                                        static_cast<std::int32_t>(end),
                                        static_cast<std::int32_t>(row[i])});
        i = end;
      }
    }
    level.row_runs.push_back(static_cast<std::int64_t>(level.runs.size()));
    const auto cell_count = static_cast<std::int64_t>(pattern.size());
    if (static_cast<double>(cell_count) < kMinMeanRun * static_cast<double>(level.runs.size()) ||
        cell_count * stencil_channels * static_cast<std::int64_t>(sizeof(float)) <= kPerCellBytes) {
      level.per_cell = level.table.index_select(0, pattern_index)
                           .reshape({nz * ny, nx, 2 * k, taps})
                           .permute({2, 0, 3, 1})
                           .contiguous();
      level.table = torch::Tensor();
      level.runs = {};
      level.row_runs = {};
    }
    level.runs.shrink_to_fit();
    all_stencils.push_back(std::move(level));
    if (l + 1 < levels) g = coarsen_cells(g);
  }
  cached_stencils_ = std::move(all_stencils);
  cached_mixing_ = std::move(all_mixing);
}

// Stencil `stencil` of a level applied to e (float32, (batch, 1, [nz,] ny, nx)), as
// VcycleNetImpl::stencil computes it: per cell, the products of the taps in order, with the
// coefficients of the cell's pattern or its own. Same products, added in the same order, as the
// tensor form.
torch::Tensor VcycleNetImpl::apply_stencil(const LevelStencils& level, int stencil,
                                           const torch::Tensor& e, bool three) {
  if (level.per_cell.defined())
    return three ? stencil_per_cell<27>(level.per_cell[stencil], e)
                 : stencil_per_cell<9>(level.per_cell[stencil], e);
  const std::int64_t per_pattern = level.table.size(1) * level.table.size(2);
  const float* table = level.table.data_ptr<float>() + stencil * level.table.size(2);
  return three ? stencil_by_runs<27>(table, per_pattern, level.row_runs, level.runs.data(), e)
               : stencil_by_runs<9>(table, per_pattern, level.row_runs, level.runs.data(), e);
}

std::int64_t VcycleNetImpl::inference_cache_bytes() const {
  std::int64_t bytes = 0;
  for (const torch::Tensor& t : cached_) bytes += t.numel() * t.element_size();
  for (const torch::Tensor& t : cached_mixing_) bytes += t.numel() * t.element_size();
  for (const LevelStencils& level : cached_stencils_)
    bytes +=
        (level.table.defined() ? level.table.numel() * level.table.element_size() : 0) +
        (level.per_cell.defined() ? level.per_cell.numel() * level.per_cell.element_size() : 0) +
        static_cast<std::int64_t>(level.runs.size() * sizeof(PatternRun) +
                                  level.row_runs.size() * sizeof(std::int64_t));
  return bytes;
}

// y(i) = sum over taps s of w_s(i) e(i + offset_s), with e zero outside the grid.
torch::Tensor VcycleNetImpl::stencil(const torch::Tensor& w, const torch::Tensor& e) const {
  const bool three = options_.dim() == 3;
  const torch::Tensor p =
      F::pad(e, F::PadFuncOptions(three ? std::vector<std::int64_t>{1, 1, 1, 1, 1, 1}
                                        : std::vector<std::int64_t>{1, 1, 1, 1}));
  const std::int64_t ny = e.size(-2), nx = e.size(-1), nz = three ? e.size(2) : 1;
  torch::Tensor y;
  int s = 0;
  for (int dz = 0; dz < (three ? 3 : 1); ++dz)
    for (int dy = 0; dy < 3; ++dy)
      for (int dx = 0; dx < 3; ++dx, ++s) {
        torch::Tensor shifted = p.narrow(-1, dx, nx).narrow(-2, dy, ny);
        if (three) shifted = shifted.narrow(2, dz, nz);
        const torch::Tensor term = w.narrow(1, s, 1) * shifted;
        y = y.defined() ? y + term : term;
      }
  return y;
}

torch::Tensor VcycleNetImpl::forward(const torch::Tensor& x, const torch::Tensor& mask,
                                     const torch::Tensor& cells) {
  const int dim = options_.dim();
  check_network_input("VcycleNet", dim, x, conv_weight(out_));
  bool cells_ok =
      cells.defined() && cells.dim() == x.dim() && cells.size(0) == 1 && cells.size(1) == 2;
  for (int a = 2; cells_ok && a < x.dim(); ++a) cells_ok = cells.size(a) == x.size(a) + 2;
  if (!cells_ok) {
    std::ostringstream s;
    s << "VcycleNet: expected ghosted cell-type images of shape (1, 2, ";
    for (int a = 2; a < x.dim(); ++a) s << x.size(a) + 2 << (a + 1 < x.dim() ? ", " : "");
    s << ") for an input of shape " << x.sizes() << ", got ";
    if (cells.defined())
      s << cells.sizes();
    else
      s << "none";
    throw std::invalid_argument(s.str());
  }

  const torch::Tensor g = cells.to(x.options());
  // The cache is keyed on the cell images (their storage, which the cache keeps alive so that no
  // other tensor can take its address, their shape and version counter) and on every parameter's
  // storage and version counter, so an optimizer step, a load or a change of the images in place
  // invalidates it.
  const bool cacheable = !is_training() && !torch::GradMode::is_enabled();
  std::vector<std::int64_t> key = cells.sizes().vec();
  key.push_back(reinterpret_cast<std::intptr_t>(cells.data_ptr()));
  key.push_back(static_cast<std::int64_t>(cells._version()));
  key.push_back(static_cast<std::int64_t>(x.scalar_type()));  // the coefficients' dtype
  for (const torch::Tensor& p : parameters()) {
    key.push_back(reinterpret_cast<std::intptr_t>(p.data_ptr()));
    key.push_back(static_cast<std::int64_t>(p._version()));
  }
  const int taps = dim == 3 ? 27 : 9, k = options_.smoothing();
  const bool cpu_inference = cacheable && x.device().is_cpu() && x.scalar_type() == torch::kFloat32;
  const bool cached = cacheable && key == cache_key_ &&
                      (cpu_inference ? !cached_stencils_.empty()
                                     : !cached_.empty() && cached_[0].device() == x.device());
  std::vector<torch::Tensor> coef;  // per level (1, outputs, grid), unless cpu_inference
  if (cached) {
    if (!cpu_inference) coef = cached_;
  } else {
    if (cacheable) cache_key_.clear();  // no stale key if the computation below throws
    if (cpu_inference) {                // (cpu_inference implies cacheable)
      cache_for_inference(g);
      cached_.clear();
    } else {
      coef = coefficients(g);
      if (cacheable) {
        cached_ = coef;
        cached_stencils_.clear();
        cached_mixing_.clear();
      }
    }
    if (cacheable) {
      cached_cells_ = cells;
      cache_key_ = key;
    }
  }

  const int levels = static_cast<int>(cpu_inference ? cached_stencils_.size() : coef.size());
  const std::int64_t c0 = 2 * k * taps;
  auto mixing = [&](int l) {  // (1, 2, grid): c0 and c1
    const auto level = static_cast<std::size_t>(l);
    return cpu_inference ? cached_mixing_[level] : coef[level].narrow(1, c0, 2);
  };
  std::vector<torch::Tensor> r{x};
  for (int l = 1; l < levels; ++l) r.push_back(pool_half(r.back()));
  auto smooth = [&](int l, int first, torch::Tensor e) {
    const auto level = static_cast<std::size_t>(l);
    for (int j = 0; j < k; ++j) {
      if (cpu_inference)
        e = apply_stencil(cached_stencils_[level], first + j, e, dim == 3);
      else
        e = stencil(coef[level].narrow(1, (first + j) * taps, taps), e);
    }
    return e;
  };
  torch::Tensor e;
  for (int l = levels - 1; l >= 0; --l) {
    const torch::Tensor w = mixing(l);
    torch::Tensor z = smooth(l, 0, r[static_cast<std::size_t>(l)]);
    if (!e.defined()) {  // the coarsest level
      z = w.narrow(1, 0, 1) * z;
    } else if (cpu_inference) {
      mix_with_coarse(z, w, e, dim == 3);  // z is apply_stencil's own output: safe to overwrite
    } else {
      std::vector<std::int64_t> up_size;
      for (int a = 2; a < x.dim(); ++a) up_size.push_back(2 * e.size(a));
      auto up_options = F::InterpolateFuncOptions().size(up_size).align_corners(false);
      if (dim == 3)
        up_options.mode(torch::kTrilinear);
      else
        up_options.mode(torch::kBilinear);
      torch::Tensor up = F::interpolate(e, up_options);
      for (int a = 2; a < x.dim(); ++a) up = up.narrow(a, 0, z.size(a));
      z = w.narrow(1, 0, 1) * z + 4.0 * w.narrow(1, 1, 1) * up;
    }
    e = smooth(l, k, std::move(z));
  }
  if (mask.defined()) {
    const torch::Tensor m = mask.to(e.options());
    e = (e * m).masked_fill(m == 0, 0.0);
  }
  return e;
}

std::int64_t VcycleNetImpl::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void VcycleNetImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::solvers::dcdm::VcycleNet(" << options_.describe() << ", "
         << num_parameters() << " parameters)";
}

torch::Tensor ghosted_cell_images(const Grid& grid) {
  const auto& n = grid.size();
  const bool three = grid.dim() == 3;
  const std::int64_t gx = n[0] + 2, gy = n[1] + 2, gz = three ? n[2] + 2 : 1;
  torch::Tensor images = torch::zeros(
      three ? std::vector<std::int64_t>{1, 2, gz, gy, gx} : std::vector<std::int64_t>{1, 2, gy, gx},
      torch::kFloat32);
  float* fluid = images.data_ptr<float>();
  float* air = fluid + gx * gy * gz;
  auto at = [&](std::int64_t i, std::int64_t j, std::int64_t k) { return (k * gy + j) * gx + i; };
  const auto& cells = grid.cells();
  for (std::int64_t k = 0; k < (three ? n[2] : 1); ++k)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t i = 0; i < n[0]; ++i) {
        const CellType t = cells[static_cast<std::size_t>((k * n[1] + j) * n[0] + i)];
        const std::int64_t g = at(i + 1, j + 1, three ? k + 1 : 0);
        fluid[g] = t == CellType::fluid ? 1.0f : 0.0f;
        air[g] = t == CellType::air ? 1.0f : 0.0f;
      }
  // Ghost cells: air beyond a Dirichlet face (the ghost slabs include the edges and corners).
  for (std::int64_t k = 0; k < gz; ++k)
    for (std::int64_t j = 0; j < gy; ++j)
      for (std::int64_t i = 0; i < gx; ++i) {
        const bool ghost_x = i == 0 || i == gx - 1, ghost_y = j == 0 || j == gy - 1;
        const bool ghost_z = three && (k == 0 || k == gz - 1);
        if (!ghost_x && !ghost_y && !ghost_z) continue;
        auto dirichlet = [&](Face f) { return grid.boundary(f) == Boundary::dirichlet; };
        const bool d =
            (i == 0 && dirichlet(Face::x_lo)) || (i == gx - 1 && dirichlet(Face::x_hi)) ||
            (j == 0 && dirichlet(Face::y_lo)) || (j == gy - 1 && dirichlet(Face::y_hi)) ||
            (three && k == 0 && dirichlet(Face::z_lo)) ||
            (three && k == gz - 1 && dirichlet(Face::z_hi));
        air[at(i, j, k)] = d ? 1.0f : 0.0f;
      }
  return images;
}

torch::Tensor VcycleNetImpl::grid_inputs(const Grid& grid) const {
  return ghosted_cell_images(grid);
}

learned::ModelType vcycle_model_type() {
  using Kind = learned::ModelOption::Kind;
  learned::ModelType t;
  t.name = "vcycle";
  t.family = kDirectionFamily;
  t.description =
      "a linear network shaped like a multigrid V-cycle whose stencils a head computes from the "
      "cell types (VcycleNet; after Lan et al., ICML 2024)";
  t.options = {
      {"dim", Kind::integer, "3", "grid dimension: 2 or 3", "net_dim"},
      {"hidden", Kind::integer, "16", "channels of the coefficient head", "net_hidden"},
      {"smoothing", Kind::integer, "1", "stencils before and after each coarse correction (1..8)",
       "net_smoothing"},
      {"coarsest", Kind::integer, "2", "pool until every axis has at most N cells", "net_coarsest"},
  };
  t.needs = {"cell-types"};
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    auto small = [&](const std::string& name) {
      const long long v = learned::integer_option(o, name);
      if (v < -1000000 || v > 1000000)
        throw std::invalid_argument(name + " = " + std::to_string(v) + " is out of range");
      return static_cast<int>(v);
    };
    VcycleNetOptions n;
    n.dim(small("dim")).hidden(small("hidden")).smoothing(small("smoothing"));
    n.coarsest(small("coarsest"));
    n.validate();
    return std::make_shared<VcycleNetImpl>(n);
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const VcycleNetImpl*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const VcycleNetOptions& n = dynamic_cast<const VcycleNetImpl&>(m).options();
    return learned::ModelOptions{{"dim", std::to_string(n.dim())},
                                 {"hidden", std::to_string(n.hidden())},
                                 {"smoothing", std::to_string(n.smoothing())},
                                 {"coarsest", std::to_string(n.coarsest())}};
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const VcycleNetImpl&>(m).options().describe();
  };
  // Per cell and level: 2 * smoothing stencil outputs with their coefficients and more, each
  // level 2^dim times smaller; plus input, target, mask, output, A q and their gradients.
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>& shape) {
    const double shrink = std::pow(2.0, double(shape.size()));
    const double level = 4.0 * double(learned::integer_option(o, "smoothing")) + 6.0;
    double cells = 1.0;
    for (const std::int64_t side : shape) cells *= double(side);
    return (6.0 + level * shrink / (shrink - 1.0)) * cells;
  };
  return t;
}

}  // namespace deepsolve::solvers::dcdm
