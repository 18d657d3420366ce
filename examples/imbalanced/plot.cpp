#include "plot.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace imbalanced {

namespace {

constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kGrid{225, 225, 225};

// A 5x7 font of capitals, digits and the punctuation numbers and names need; '#' is ink.
struct Glyph {
  char c;
  const char* rows[7];
};

const Glyph kFont[] = {
    {'0', {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}},
    {'1', {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'2', {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}},
    {'3', {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "}},
    {'4', {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}},
    {'5', {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}},
    {'6', {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}},
    {'7', {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}},
    {'8', {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}},
    {'9', {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}},
    {'A', {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'B', {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "}},
    {'C', {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "}},
    {'D', {"###  ", "#  # ", "#   #", "#   #", "#   #", "#  # ", "###  "}},
    {'E', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"}},
    {'F', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "}},
    {'G', {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"}},
    {'H', {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'I', {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'J', {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
    {'K', {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"}},
    {'L', {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"}},
    {'M', {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"}},
    {'N', {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"}},
    {'O', {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'P', {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "}},
    {'Q', {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"}},
    {'R', {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"}},
    {'S', {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "}},
    {'T', {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'U', {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'V', {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "}},
    {'W', {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "}},
    {'X', {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"}},
    {'Y', {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'Z', {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"}},
    {'.', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}},
    {',', {"     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "}},
    {'-', {"     ", "     ", "     ", "#####", "     ", "     ", "     "}},
    {'+', {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "}},
    {'(', {"   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "}},
    {')', {" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "}},
    {':', {"     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "}},
    {'/', {"     ", "    #", "   # ", "  #  ", " #   ", "#    ", "     "}},
    {'_', {"     ", "     ", "     ", "     ", "     ", "     ", "#####"}},
    {'=', {"     ", "     ", "#####", "     ", "#####", "     ", "     "}},
    {'?', {" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "}},
};

const Glyph* glyph_of(char c) {
  const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const Glyph& g : kFont)
    if (g.c == upper) return &g;
  return c == ' ' ? nullptr : glyph_of('?');
}

// Text is drawn with every font pixel as a scale x scale square; a character advances 6 pixels.
int text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : (6 * static_cast<int>(s.size()) - 1) * scale;
}

void draw_text(RgbImage& image, int x, int y, const std::string& s, int scale, Rgb color) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Glyph* g = glyph_of(s[i]);
    if (g == nullptr) continue;
    const int left = x + static_cast<int>(i) * 6 * scale;
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 5; ++c)
        if (g->rows[r][c] == '#')
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx)
              image.set(left + c * scale + dx, y + r * scale + dy, color);
  }
}

struct Box {
  int left, top, right, bottom;  // inclusive
  bool contains(int x, int y) const { return x >= left && x <= right && y >= top && y <= bottom; }
};

// A line of pen x pen pixels from (x0, y0) to (x1, y1) (Bresenham), only inside `clip`. `dash`
// carries a dashed line's phase from one segment to the next (on 8 pixels, off 6).
void draw_line(RgbImage& image, int x0, int y0, int x1, int y1, Rgb color, int pen, const Box& clip,
               int* dash) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    const bool ink = dash == nullptr || (*dash)++ % 14 < 8;
    if (ink)
      for (int a = 0; a < pen; ++a)
        for (int b = 0; b < pen; ++b)
          if (clip.contains(x0 + a, y0 + b)) image.set(x0 + a, y0 + b, color);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

// Liang-Barsky: the part of the segment inside [xl, xr] x [yt, yb]; false if none.
bool clip_segment(double& x0, double& y0, double& x1, double& y1, double xl, double yt, double xr,
                  double yb) {
  double t0 = 0, t1 = 1;
  const double dx = x1 - x0, dy = y1 - y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - xl, xr - x0, y0 - yt, yb - y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0)
      t0 = std::max(t0, t);
    else
      t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const double ax = x0 + t0 * dx, ay = y0 + t0 * dy;
  x1 = x0 + t1 * dx;
  y1 = y0 + t1 * dy;
  x0 = ax;
  y0 = ay;
  return true;
}

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buffer;
}

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

RgbImage render(const LinePlot& plot, int width, int height) {
  if (width < 200 || height < 150)
    throw std::invalid_argument("render: the plot must be at least 200x150 pixels, got " +
                                std::to_string(width) + "x" + std::to_string(height));
  RgbImage image(width, height, kWhite);
  const int scale = width >= 600 && height >= 400 ? 2 : 1;
  const int line_height = 7 * scale;

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

  // Margins: tick labels left and below, the title and the y label above.
  int label_width = 0;
  for (double v = yr.lo; v <= yr.hi + yr.step * 1e-6; v += yr.step)
    label_width = std::max(label_width, text_width(tick_label(v), scale));
  const Box box{label_width + 8 * scale + 6, 2 * line_height + 14 * scale, width - 10 * scale - 1,
                height - 2 * line_height - 14 * scale};
  if (box.right - box.left < 50 || box.bottom - box.top < 50)
    throw std::invalid_argument("render: " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels leave no room for the plot");
  const auto px = [&](double x) {
    return box.left + (x - xr.lo) / (xr.hi - xr.lo) * (box.right - box.left);
  };
  const auto py = [&](double y) {
    return box.bottom - (y - yr.lo) / (yr.hi - yr.lo) * (box.bottom - box.top);
  };

  // Grid, ticks and their labels.
  for (double v = xr.lo; v <= xr.hi + xr.step * 1e-6; v += xr.step) {
    const int x = static_cast<int>(std::lround(px(v)));
    draw_line(image, x, box.top, x, box.bottom, kGrid, 1, {0, 0, width, height}, nullptr);
    draw_line(image, x, box.bottom, x, box.bottom + 4 * scale, kBlack, 1, {0, 0, width, height},
              nullptr);
    const std::string label = tick_label(v);
    draw_text(image, x - text_width(label, scale) / 2, box.bottom + 6 * scale, label, scale,
              kBlack);
  }
  for (double v = yr.lo; v <= yr.hi + yr.step * 1e-6; v += yr.step) {
    const int y = static_cast<int>(std::lround(py(v)));
    draw_line(image, box.left, y, box.right, y, kGrid, 1, {0, 0, width, height}, nullptr);
    draw_line(image, box.left - 4 * scale, y, box.left, y, kBlack, 1, {0, 0, width, height},
              nullptr);
    const std::string label = tick_label(v);
    draw_text(image, box.left - 6 * scale - text_width(label, scale), y - line_height / 2, label,
              scale, kBlack);
  }
  const Box all{0, 0, width - 1, height - 1};
  draw_line(image, box.left, box.top, box.right, box.top, kBlack, 1, all, nullptr);
  draw_line(image, box.left, box.bottom, box.right, box.bottom, kBlack, 1, all, nullptr);
  draw_line(image, box.left, box.top, box.left, box.bottom, kBlack, 1, all, nullptr);
  draw_line(image, box.right, box.top, box.right, box.bottom, kBlack, 1, all, nullptr);

  // Title, axis labels.
  draw_text(image, (width - text_width(plot.title, scale)) / 2, 4 * scale, plot.title, scale,
            kBlack);
  draw_text(image, box.left, box.top - line_height - 4 * scale, plot.y_label, scale, kBlack);
  draw_text(image, (box.left + box.right - text_width(plot.x_label, scale)) / 2,
            height - line_height - 4 * scale, plot.x_label, scale, kBlack);

  // The series, clipped to the plot box (pen of `scale` pixels).
  const Box inside{box.left + 1, box.top + 1, box.right - 1, box.bottom - 1};
  for (const Series& s : plot.series) {
    int dash = 0;
    for (std::size_t i = 1; i < std::min(s.x.size(), s.y.size()); ++i) {
      double x0 = px(s.x[i - 1]), y0 = py(s.y[i - 1]), x1 = px(s.x[i]), y1 = py(s.y[i]);
      if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1))
        continue;
      if (!clip_segment(x0, y0, x1, y1, inside.left, inside.top, inside.right, inside.bottom))
        continue;
      draw_line(image, static_cast<int>(std::lround(x0)), static_cast<int>(std::lround(y0)),
                static_cast<int>(std::lround(x1)), static_cast<int>(std::lround(y1)), s.color,
                scale, inside, s.dashed ? &dash : nullptr);
    }
  }

  // The legend, top right inside the box: a sample of each line and its name.
  int name_width = 0;
  for (const Series& s : plot.series) name_width = std::max(name_width, text_width(s.name, scale));
  const int sample = 24 * scale, row = line_height + 5 * scale;
  const int legend_w = sample + 6 * scale + name_width + 8 * scale;
  const int legend_h = static_cast<int>(plot.series.size()) * row + 6 * scale;
  const int lx = box.right - legend_w - 4 * scale, ly = box.top + 4 * scale;
  for (int y = ly; y < ly + legend_h; ++y)
    for (int x = lx; x < lx + legend_w; ++x) image.set(x, y, kWhite);
  draw_line(image, lx, ly, lx + legend_w - 1, ly, kGrid, 1, all, nullptr);
  draw_line(image, lx, ly + legend_h - 1, lx + legend_w - 1, ly + legend_h - 1, kGrid, 1, all,
            nullptr);
  draw_line(image, lx, ly, lx, ly + legend_h - 1, kGrid, 1, all, nullptr);
  draw_line(image, lx + legend_w - 1, ly, lx + legend_w - 1, ly + legend_h - 1, kGrid, 1, all,
            nullptr);
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const int y = ly + 4 * scale + static_cast<int>(i) * row;
    int dash = 0;
    draw_line(image, lx + 4 * scale, y + line_height / 2, lx + 4 * scale + sample,
              y + line_height / 2, s.color, scale, all, s.dashed ? &dash : nullptr);
    draw_text(image, lx + 4 * scale + sample + 6 * scale, y, s.name, scale, kBlack);
  }
  return image;
}

}  // namespace imbalanced
