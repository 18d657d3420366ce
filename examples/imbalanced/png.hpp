// An 8-bit RGB raster and its PNG encoding (zlib-compressed IDAT, no filtering, no ancillary
// chunks): enough for a plot, and no image library needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imbalanced {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

class RgbImage {
 public:
  RgbImage(int width, int height, Rgb background);
  int width() const { return width_; }
  int height() const { return height_; }
  /// Pixels outside the image are ignored.
  void set(int x, int y, Rgb color);
  Rgb get(int x, int y) const;
  /// Row-major, 3 bytes per pixel, top row first.
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  int width_, height_;
  std::vector<std::uint8_t> bytes_;
};

/// The PNG file of `image` (colour type 2, bit depth 8).
std::string encode_png(const RgbImage& image);

}  // namespace imbalanced
