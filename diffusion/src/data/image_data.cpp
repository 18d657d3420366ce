// The synthetic image classes (image_data.hpp): one table, one drawing function per class. Each
// image draws from its own SplitMix64 stream keyed by (seed, class, index) (seeded_draws.hpp), so
// images are computed independently (in parallel) and are the same in any batch.
#include "deepsolve/diffusion/image_data.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "seeded_draws.hpp"

namespace deepsolve::diffusion {

namespace image_data_detail {

using data_detail::SampleStream;

/// The fraction of a pixel of width h covered by the side sd < 0 of an edge at signed distance sd.
inline double coverage(double sd, double h) {
  return std::clamp(0.5 - sd / h, 0.0, 1.0);
}

/// Centre of pixel (row, col) in [0, 1]^2: x along columns, y along rows.
inline double pixel_centre(std::int64_t i, std::int64_t size) {
  return (static_cast<double>(i) + 0.5) / static_cast<double>(size);
}

/// Paints value v over `pixels` with coverage from the signed distance function sd(x, y).
template <class SignedDistance>
void paint(float* pixels, std::int64_t size, double v, SignedDistance sd) {
  const double h = 1.0 / static_cast<double>(size);
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c) {
      const double a = coverage(sd(pixel_centre(c, size), pixel_centre(r, size)), h);
      float& p = pixels[r * size + c];
      p = static_cast<float>((1.0 - a) * static_cast<double>(p) + a * v);
    }
}

std::int64_t draw_discs(std::uint64_t key, std::int64_t index, std::int64_t size,
                        const ImageOptions&, float* pixels) {
  SampleStream s(key, index);
  const double background = s.uniform();
  std::fill(pixels, pixels + size * size, static_cast<float>(background));
  const std::int64_t discs = 1 + s.below(3);
  for (std::int64_t k = 0; k < discs; ++k) {
    const double cx = s.uniform(0.15, 0.85), cy = s.uniform(0.15, 0.85);
    const double radius = s.uniform(0.08, 0.3);
    // At least 0.2 from the background, on a random side where there is room.
    const double step = s.uniform(0.2, 0.8) * (s.below(2) == 1 ? 1.0 : -1.0);
    double value = background + step;
    if (value < 0.0 || value > 1.0) value = background - step;
    if (value < 0.0 || value > 1.0) value = background > 0.5 ? 0.0 : 1.0;
    paint(pixels, size, value,
          [&](double x, double y) { return std::hypot(x - cx, y - cy) - radius; });
  }
  return 0;
}

/// Signed distance (exact along the edges, approximate near corners) to a regular n-gon of
/// circumradius R, centre (cx, cy), rotated by theta: max over edges of <normal, p - c> - apothem.
double polygon_distance(double x, double y, double cx, double cy, double radius, double theta,
                        int sides) {
  double best = -1e300;
  for (int k = 0; k < sides; ++k) {
    const double a = theta + 2.0 * M_PI * k / sides;
    best = std::max(best, std::cos(a) * (x - cx) + std::sin(a) * (y - cy));
  }
  return best - radius * std::cos(M_PI / sides);
}

std::int64_t draw_shapes(std::uint64_t key, std::int64_t index, std::int64_t size,
                         const ImageOptions&, float* pixels) {
  SampleStream s(key, index);
  const std::int64_t shape = s.below(3);  // 0 disc, 1 square, 2 triangle
  const double cx = s.uniform(0.3, 0.7), cy = s.uniform(0.3, 0.7);
  const double radius = s.uniform(0.18, 0.32);  // circumradius of the polygons
  const double theta = s.uniform(0.0, 2.0 * M_PI);
  const double contrast = s.uniform(0.3, 1.0);
  const double low = s.uniform() * (1.0 - contrast);
  const bool bright = s.below(2) == 1;
  const double foreground = bright ? low + contrast : low;
  const double background = bright ? low : low + contrast;
  std::fill(pixels, pixels + size * size, static_cast<float>(background));
  if (shape == 0) {
    const double r = 0.8 * radius;  // about the area of the square of circumradius `radius`
    paint(pixels, size, foreground,
          [&](double x, double y) { return std::hypot(x - cx, y - cy) - r; });
  } else {
    const int sides = shape == 1 ? 4 : 3;
    paint(pixels, size, foreground,
          [&](double x, double y) { return polygon_distance(x, y, cx, cy, radius, theta, sides); });
  }
  return shape;
}

std::int64_t draw_c_alpha(std::uint64_t key, std::int64_t index, std::int64_t size,
                          const ImageOptions& options, float* pixels) {
  SampleStream s(key, index);
  const double alpha = options.alpha;
  // The boundary r(theta) = r0 (1 + a W(theta)), W a lacunary series of frequencies 2^j <= size.
  int terms = 0;
  while ((std::int64_t{2} << terms) <= size) ++terms;
  std::vector<double> amplitude_cos(static_cast<std::size_t>(terms)),
      amplitude_sin(static_cast<std::size_t>(terms));
  double bound = 0.0;
  for (int j = 0; j < terms; ++j) {
    const double decay = std::pow(2.0, -alpha * (j + 1));
    amplitude_cos[static_cast<std::size_t>(j)] = decay * s.normal();
    amplitude_sin[static_cast<std::size_t>(j)] = decay * s.normal();
    bound += std::abs(amplitude_cos[static_cast<std::size_t>(j)]) +
             std::abs(amplitude_sin[static_cast<std::size_t>(j)]);
  }
  const double scale = bound > 0.0 ? 0.4 / bound : 0.0;  // |a W| <= 0.4
  const double cx = s.uniform(0.4, 0.6), cy = s.uniform(0.4, 0.6);
  const double r0 = s.uniform(0.2, 0.3);
  // Smooth intensities m + A sin(w . p + phi), means at least 0.25 apart, values in [0, 1].
  struct Wave {
    double mean, amplitude, wx, wy, phase;
  };
  auto wave = [&](double mean) {
    return Wave{mean, s.uniform(0.0, 0.1), 2.0 * M_PI * s.uniform(-1.5, 1.5),
                2.0 * M_PI * s.uniform(-1.5, 1.5), s.uniform(0.0, 2.0 * M_PI)};
  };
  const double inside_mean = s.uniform(0.15, 0.85);
  const double gap = s.uniform(0.25, 0.6) * (s.below(2) == 1 ? 1.0 : -1.0);
  double outside_mean = inside_mean + gap;
  if (outside_mean < 0.1 || outside_mean > 0.9) outside_mean = inside_mean - gap;
  outside_mean = std::clamp(outside_mean, 0.1, 0.9);
  const Wave inside = wave(inside_mean);
  const Wave outside = wave(outside_mean);
  auto value = [](const Wave& w, double x, double y) {
    return w.mean + w.amplitude * std::sin(w.wx * x + w.wy * y + w.phase);
  };
  const double h = 1.0 / static_cast<double>(size);
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c) {
      const double x = pixel_centre(c, size), y = pixel_centre(r, size);
      const double angle = std::atan2(y - cy, x - cx);
      double w = 0.0;
      for (int j = 0; j < terms; ++j) {
        const double f = static_cast<double>(std::int64_t{2} << j) * angle;
        w += amplitude_cos[static_cast<std::size_t>(j)] * std::cos(f) +
             amplitude_sin[static_cast<std::size_t>(j)] * std::sin(f);
      }
      const double boundary = r0 * (1.0 + scale * w);
      const double a = coverage(std::hypot(x - cx, y - cy) - boundary, h);
      pixels[r * size + c] =
          static_cast<float>(a * value(inside, x, y) + (1.0 - a) * value(outside, x, y));
    }
  return 0;
}

const std::vector<ImageDataSet>& image_table() {
  static const std::vector<ImageDataSet> table = {
      {"discs", "one to three anti-aliased discs of random centre, radius and intensity", 0,
       &draw_discs},
      {"c-alpha",
       "a region bounded by a random C^alpha curve (Weierstrass-type polar series), smooth "
       "intensities inside and outside (option alpha, default 2)",
       0, &draw_c_alpha},
      {"shapes", "one disc (label 0), square (1) or triangle (2), random pose, size, contrast", 3,
       &draw_shapes},
  };
  return table;
}

}  // namespace image_data_detail

const ImageDataSet& image_data_set(const std::string& name) {
  for (const ImageDataSet& set : image_data_detail::image_table())
    if (set.name == name) return set;
  std::string known;
  for (const ImageDataSet& set : image_data_detail::image_table())
    known += (known.empty() ? "" : ", ") + set.name;
  throw std::invalid_argument("unknown image data set '" + name + "' (known: " + known + ")");
}

std::vector<std::string> image_data_names() {
  std::vector<std::string> names;
  for (const ImageDataSet& set : image_data_detail::image_table()) names.push_back(set.name);
  return names;
}

std::int64_t image_class_count(const std::string& name) {
  return image_data_set(name).num_classes;
}

ImageBatch images(const std::string& name, std::int64_t first, std::int64_t count,
                  std::int64_t size, std::uint64_t seed, const ImageOptions& options) {
  const ImageDataSet& set = image_data_set(name);
  const std::string what = "images('" + name + "'): ";
  if (first < 0)
    throw std::invalid_argument(what + "first must be >= 0, got " + std::to_string(first));
  if (count < 1)
    throw std::invalid_argument(what + "count must be >= 1, got " + std::to_string(count));
  if (size < 4)
    throw std::invalid_argument(what + "size must be >= 4, got " + std::to_string(size));
  if (!(options.alpha > 0.0) || !std::isfinite(options.alpha)) {
    std::ostringstream s;
    s << options.alpha;
    throw std::invalid_argument(what + "alpha must be finite and > 0, got " + s.str());
  }
  at::Tensor out = at::empty({count, 1, size, size}, at::kFloat);
  at::Tensor labels = at::empty({count}, at::kLong);
  float* pixels = out.data_ptr<float>();
  std::int64_t* pl = labels.data_ptr<std::int64_t>();
  const std::uint64_t key = data_detail::set_key(seed, "image:" + name);
  at::parallel_for(0, count, 8, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i)
      pl[i] = set.draw(key, first + i, size, options, pixels + i * size * size);
  });
  out.clamp_(0.0, 1.0);
  return {out, set.num_classes > 0 ? labels : at::Tensor()};
}

}  // namespace deepsolve::diffusion
