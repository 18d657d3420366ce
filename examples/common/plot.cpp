#include "common/plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace deepsolve::examples {

namespace {

struct Range {
  double lo = 0, hi = 1, step = 0.2;
};

// [lo, hi] widened to multiples of a nice step.
Range nice_range(double lo, double hi, int ticks) {
  if (!(hi > lo)) hi = lo + (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
  Range r;
  r.step = nice_step(hi - lo, ticks);
  r.lo = std::floor(lo / r.step + 1e-9) * r.step;
  r.hi = std::ceil(hi / r.step - 1e-9) * r.step;
  return r;
}

std::vector<double> tick_values(const Range& r) {
  std::vector<double> v;
  for (int i = 0;; ++i) {
    const double t = r.lo + i * r.step;
    if (t > r.hi + r.step * 1e-6) break;
    v.push_back(std::abs(t) < r.step * 1e-9 ? 0.0 : t);
  }
  return v;
}

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

void set_color(cairo_t* cr, Rgb c) {
  cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Text with its left edge at x and its baseline at y.
void show_text(cairo_t* cr, double x, double y, const std::string& s) {
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

void stroke_line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

// The part of a segment between the heights lo and hi (in pixels, far enough outside the plot
// box that clipping there changes nothing visible, close enough for Cairo's fixed-point numbers);
// false when none, or when a coordinate is not finite (a break in the line).
bool clip_y(double& x0, double& y0, double& x1, double& y1, double lo, double hi) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1))
    return false;
  if ((y0 < lo && y1 < lo) || (y0 > hi && y1 > hi)) return false;
  const auto at = [&](double y) { return x0 + (x1 - x0) * (y - y0) / (y1 - y0); };
  const double ax = y0 < lo ? at(lo) : y0 > hi ? at(hi) : x0;
  const double bx = y1 < lo ? at(lo) : y1 > hi ? at(hi) : x1;
  y0 = std::clamp(y0, lo, hi);
  y1 = std::clamp(y1, lo, hi);
  x0 = ax;
  x1 = bx;
  return true;
}

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

}  // namespace

Rgb palette(std::size_t i) {
  static const Rgb colors[] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                               {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127}};
  return colors[i % 8];
}

double nice_step(double range, int ticks) {
  const double raw = range / std::max(1, ticks);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / power;
  return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * power;
}

Image render(const LinePlot& plot, int width, int height) {
  if (width < kMinPlotWidth || height < kMinPlotHeight || width > 10000 || height > 10000)
    throw std::invalid_argument("render: the plot must be 200x150 to 10000x10000 pixels, got " +
                                std::to_string(width) + "x" + std::to_string(height));
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height),
                  cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("render: ") +
                             cairo_status_to_string(cairo_surface_status(surface.get())));
  Context context(cairo_create(surface.get()), cairo_destroy);
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // Sizes follow the image: 12 px text at 800x500.
  const double scale = std::max(0.75, std::min(width / 800.0, height / 500.0));
  const double font = 12 * scale, pad = 6 * scale;
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, font);

  // The data ranges: x over every point, y over the finite values (from 0 when all are >= 0).
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : plot.series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  if (y_lo >= 0) y_lo = 0;
  if (std::isfinite(plot.y_max) && plot.y_max > y_lo) y_hi = std::min(y_hi, plot.y_max);
  const Range xr = nice_range(x_lo, x_hi, 8), yr = nice_range(y_lo, y_hi, 6);
  const std::vector<double> x_ticks = tick_values(xr), y_ticks = tick_values(yr);

  // Margins: the y tick labels and the y axis label on the left, the x tick labels and the x
  // axis label below, the title above.
  double label_width = 0;
  for (double v : y_ticks) label_width = std::max(label_width, text_width(cr, tick_label(v)));
  const double left = 2 * pad + font + label_width + pad, right = width - 2 * pad;
  const double top = 2 * pad + 1.5 * font, bottom = height - 2 * pad - 2.6 * font;
  if (right - left < 50 || bottom - top < 50)
    throw std::invalid_argument("render: " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels leave no room for the plot");
  const auto px = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * (right - left); };
  const auto py = [&](double y) { return bottom - (y - yr.lo) / (yr.hi - yr.lo) * (bottom - top); };

  // Grid, ticks and their labels.
  cairo_set_line_width(cr, 1);
  for (double v : x_ticks) {
    const double x = std::round(px(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    stroke_line(cr, x, top, x, bottom);
    cairo_set_source_rgb(cr, 0, 0, 0);
    stroke_line(cr, x, bottom, x, bottom + 4 * scale);
    const std::string label = tick_label(v);
    show_text(cr, x - text_width(cr, label) / 2, bottom + 4 * scale + 1.1 * font, label);
  }
  for (double v : y_ticks) {
    const double y = std::round(py(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    stroke_line(cr, left, y, right, y);
    cairo_set_source_rgb(cr, 0, 0, 0);
    stroke_line(cr, left - 4 * scale, y, left, y);
    const std::string label = tick_label(v);
    show_text(cr, left - 6 * scale - text_width(cr, label), y + 0.35 * font, label);
  }
  cairo_rectangle(cr, std::round(left) + 0.5, std::round(top) + 0.5, std::round(right - left),
                  std::round(bottom - top));
  cairo_stroke(cr);

  // Title, axis labels (the y label turned a quarter).
  show_text(cr, (width - text_width(cr, plot.title)) / 2, pad + font, plot.title);
  show_text(cr, (left + right - text_width(cr, plot.x_label)) / 2, height - pad, plot.x_label);
  cairo_save(cr);
  cairo_move_to(cr, pad + font, (top + bottom + text_width(cr, plot.y_label)) / 2);
  cairo_rotate(cr, -M_PI / 2);
  cairo_show_text(cr, plot.y_label.c_str());
  cairo_restore(cr);

  // The series, clipped to the plot box.
  const double pen = 1.5 * scale;
  const double dash[2] = {6 * scale, 4 * scale};
  cairo_save(cr);
  cairo_rectangle(cr, left + 1, top + 1, right - left - 2, bottom - top - 2);
  cairo_clip(cr);
  cairo_set_line_width(cr, pen);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (const Series& s : plot.series) {
    set_color(cr, s.color);
    cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
    bool open = false;  // the path ends at the previous point
    for (std::size_t i = 1; i < std::min(s.x.size(), s.y.size()); ++i) {
      double x0 = px(s.x[i - 1]), y0 = py(s.y[i - 1]), x1 = px(s.x[i]), y1 = py(s.y[i]);
      if (!clip_y(x0, y0, x1, y1, -height, 2.0 * height)) {
        open = false;
        continue;
      }
      if (!open || y0 != py(s.y[i - 1])) cairo_move_to(cr, x0, y0);
      cairo_line_to(cr, x1, y1);
      open = y1 == py(s.y[i]);
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);

  // The legend, top right inside the box: a sample of each line and its name.
  if (!plot.series.empty()) {
    double name_width = 0;
    for (const Series& s : plot.series) name_width = std::max(name_width, text_width(cr, s.name));
    const double sample = 28 * scale, row = 1.4 * font;
    const double w = pad + sample + pad + name_width + pad;
    const double h = row * static_cast<double>(plot.series.size()) + pad;
    const double lx = right - w - pad, ly = top + pad;
    cairo_rectangle(cr, lx, ly, w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (std::size_t i = 0; i < plot.series.size(); ++i) {
      const Series& s = plot.series[i];
      const double y = ly + pad / 2 + row * (static_cast<double>(i) + 0.5);
      set_color(cr, s.color);
      cairo_set_line_width(cr, pen);
      cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
      stroke_line(cr, lx + pad, y, lx + pad + sample, y);
      cairo_set_dash(cr, nullptr, 0, 0);
      cairo_set_source_rgb(cr, 0, 0, 0);
      show_text(cr, lx + 2 * pad + sample, y + 0.35 * font, s.name);
    }
  }

  // Cairo's RGB24 pixels are 32-bit words 0x00RRGGBB, rows `stride` bytes apart.
  cairo_surface_flush(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  Image image(width, height);
  for (int y = 0; y < height; ++y) {
    const auto* row =
        reinterpret_cast<const std::uint32_t*>(data + static_cast<std::size_t>(y) * stride);
    for (int x = 0; x < width; ++x) {
      const std::uint32_t p = row[x];
      image.set(x, y,
                {static_cast<std::uint8_t>(p >> 16), static_cast<std::uint8_t>(p >> 8),
                 static_cast<std::uint8_t>(p)});
    }
  }
  return image;
}

std::string plot_png(const LinePlot& plot, int width, int height) {
  return encode_png(render(plot, width, height));
}

}  // namespace deepsolve::examples
