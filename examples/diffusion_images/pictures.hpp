// Images of tensors for diffusion_images' PNG files: a grid of grey images in [0, 1], or of
// signed images (eigenvectors) with mid-grey for 0, each tile magnified.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>

#include "common/image.hpp"

namespace diffusion_images {

struct GridStyle {
  std::int64_t columns = 8;
  int scale = 4;               ///< pixels per image pixel
  int gap = 2;                 ///< white pixels between tiles
  bool signed_values = false;  ///< each tile scaled to [-max|v|, max|v|] -> [0, 1]; else clamped
};

/// A grid of images [K, 1, S, S] (or [K, S, S]), row by row. Throws std::invalid_argument for
/// another shape or no image.
deepsolve::examples::Image image_grid(const at::Tensor& images, const GridStyle& style = {});

/// image_grid, written to `path` (PNG).
void write_grid(const std::string& path, const at::Tensor& images, const GridStyle& style = {});

}  // namespace diffusion_images
