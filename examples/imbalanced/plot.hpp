// A line plot rasterised into an RgbImage: axes with numbered ticks, a light grid, solid or dashed
// series, a legend, and text in a built-in 5x7 capitals font (lower case is drawn as upper case).
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "png.hpp"

namespace imbalanced {

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

/// The plot as a width x height image (width >= 200, height >= 150).
RgbImage render(const LinePlot& plot, int width, int height);

/// Distinct colours for series 0, 1, 2, ... (repeats after 8).
Rgb palette(std::size_t i);

/// A round step for about `ticks` ticks over a range of `range` (1, 2 or 5 times a power of 10).
double nice_step(double range, int ticks);

}  // namespace imbalanced
