// Line plots drawn with Cairo: axes with round tick values and their labels, a light grid, axis
// labels, a title, solid or dashed series and a legend; saved as PNG (image.hpp).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "common/image.hpp"

namespace deepsolve::examples {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  ///< non-finite values break the line
  Rgb color;
  bool dashed = false;
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  /// The top of the y axis; NaN: the largest finite value. Lines above it are clipped.
  double y_max = std::numeric_limits<double>::quiet_NaN();
};

/// The smallest plot render() draws.
constexpr int kMinPlotWidth = 200, kMinPlotHeight = 150;

/// The plot as a width x height image. Throws std::invalid_argument below 200x150 pixels.
Image render(const LinePlot& plot, int width, int height);

/// render() as a PNG file's bytes.
std::string plot_png(const LinePlot& plot, int width, int height);

/// Distinct colours for series 0, 1, 2, ... (repeats after 8).
Rgb palette(std::size_t i);

/// A round step for about `ticks` ticks over a range of `range` (1, 2 or 5 times a power of 10).
double nice_step(double range, int ticks);

}  // namespace deepsolve::examples
