// Synthetic grey-scale image classes made from a seed, without downloads: the offline stand-ins
// for the image data of Kadkhodaie, Guth, Simoncelli & Mallat, "Generalization in diffusion
// models arises from geometry-adaptive harmonic representations" (ICLR 2024), whose analysis
// uses C^alpha images (regular contours between smooth regions) besides photographs.
//
// Images have shape [count, 1, size, size], float32, values in [0, 1]. Image i depends only on
// (class, seed, i, size, options): images(name, first, count, ...) are rows first..first+count-1
// of any longer batch from index 0, so disjoint training subsets (the paper's models A and B on
// the first N and the next N images) are well defined. Edges are anti-aliased: a pixel's value
// mixes the two sides by its (approximate) coverage, clamp(1/2 - signed distance / pixel, 0, 1).
//
// Classes (one registry table, image_data.cpp):
//   "discs"   one to three discs of random centre, radius and intensity (at least 0.2 from the
//             background's) over a random uniform background (later discs paint over earlier
//             ones); unlabelled.
//   "c-alpha" one region bounded by a closed random C^alpha curve, in polar form around a random
//             centre, r(theta) = r0 (1 + a W(theta)) with the lacunary (Weierstrass-type) series
//             W = sum_{j>=1} 2^{-j alpha} (xi_j cos(2^j theta) + eta_j sin(2^j theta)), xi, eta ~
//             N(0, 1), truncated at 2^j <= size (finer oscillations are below a pixel) and scaled
//             so that r stays in [0.6 r0, 1.4 r0]; Hoelder-alpha regularity comes from the
//             2^{-j alpha} decay (Zygmund). Inside and outside carry smooth intensities (a mean
//             plus a low-frequency plane wave). This is our construction in the spirit of the
//             paper's C^alpha images (its generator was not copied). Option alpha > 0, default 2.
//             Unlabelled.
//   "shapes"  one filled disc (label 0), square (1) or triangle (2) of random centre, size and
//             rotation, with random foreground/background intensities of contrast >= 0.3.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::diffusion {

struct ImageOptions {
  /// Hoelder exponent of the "c-alpha" boundaries (> 0); ignored by the other classes.
  double alpha = 2.0;
};

struct ImageBatch {
  at::Tensor images;  ///< [count, 1, size, size] float32 in [0, 1]
  at::Tensor labels;  ///< [count] int64, or undefined for an unlabelled class
};

struct ImageDataSet {
  std::string name;
  std::string description;
  /// Number of labels (0 when unlabelled).
  std::int64_t num_classes = 0;
  /// Writes image `index` (size x size, row major) into `pixels`; returns its label (0 when
  /// unlabelled). `key` is the class's key for the seed.
  std::int64_t (*draw)(std::uint64_t key, std::int64_t index, std::int64_t size,
                       const ImageOptions& options, float* pixels) = nullptr;
};

/// Images first .. first + count - 1 of class `name`. Throws std::invalid_argument for an
/// unknown name (listing the known), first < 0, count < 1, size < 4 or alpha <= 0.
ImageBatch images(const std::string& name, std::int64_t first, std::int64_t count,
                  std::int64_t size, std::uint64_t seed, const ImageOptions& options = {});

/// The number of labels of class `name` (0 when unlabelled); throws for an unknown name.
std::int64_t image_class_count(const std::string& name);

/// The class called `name`; throws std::invalid_argument listing the known names otherwise.
const ImageDataSet& image_data_set(const std::string& name);
std::vector<std::string> image_data_names();

}  // namespace deepsolve::diffusion
