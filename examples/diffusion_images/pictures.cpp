#include "pictures.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace diffusion_images {

namespace ex = deepsolve::examples;

ex::Image image_grid(const at::Tensor& images, const GridStyle& style) {
  at::Tensor x = images.detach().to(at::kCPU, at::kDouble);
  if (x.dim() == 4 && x.size(1) == 1) x = x.squeeze(1);
  if (x.dim() != 3 || x.size(0) < 1 || x.size(1) < 1 || x.size(2) < 1)
    throw std::invalid_argument("image grid: need images [K, 1, H, W] or [K, H, W], got " +
                                std::to_string(images.dim()) + " dimensions");
  if (style.columns < 1 || style.scale < 1 || style.gap < 0)
    throw std::invalid_argument("image grid: columns and scale must be >= 1, gap >= 0");
  if (style.signed_values) {
    const at::Tensor peak = x.abs().amax({1, 2}, /*keepdim=*/true).clamp_min(1e-300);
    x = 0.5 + 0.5 * x / peak;
  }
  x = x.clamp(0.0, 1.0).contiguous();
  const std::int64_t k = x.size(0), h = x.size(1), w = x.size(2);
  const std::int64_t columns = std::min(style.columns, k);
  const std::int64_t rows = (k + columns - 1) / columns;
  const int tile_w = static_cast<int>(w) * style.scale, tile_h = static_cast<int>(h) * style.scale;
  ex::Image out(static_cast<int>(columns) * (tile_w + style.gap) + style.gap,
                static_cast<int>(rows) * (tile_h + style.gap) + style.gap);
  const double* p = x.data_ptr<double>();
  for (std::int64_t i = 0; i < k; ++i) {
    const int x0 = style.gap + static_cast<int>(i % columns) * (tile_w + style.gap);
    const int y0 = style.gap + static_cast<int>(i / columns) * (tile_h + style.gap);
    for (int r = 0; r < tile_h; ++r)
      for (int c = 0; c < tile_w; ++c) {
        const double v = p[(i * h + r / style.scale) * w + c / style.scale];
        const auto g = static_cast<std::uint8_t>(std::lround(255.0 * v));
        out.set(x0 + c, y0 + r, {g, g, g});
      }
  }
  return out;
}

void write_grid(const std::string& path, const at::Tensor& images, const GridStyle& style) {
  ex::write_png(path, image_grid(images, style));
}

}  // namespace diffusion_images
