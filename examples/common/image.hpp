// An 8-bit RGB image and its PNG file, encoded and decoded by libpng.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::examples {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

class Image {
 public:
  /// Throws std::invalid_argument unless 1 <= width, height <= 65535.
  Image(int width, int height, Rgb background = {255, 255, 255});
  int width() const { return width_; }
  int height() const { return height_; }
  /// Pixels outside the image are ignored.
  void set(int x, int y, Rgb color);
  Rgb get(int x, int y) const;
  /// Row-major, 3 bytes per pixel, top row first.
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  int width_, height_;
  std::vector<std::uint8_t> bytes_;
};

/// The PNG file of `image` (8-bit RGB).
std::string encode_png(const Image& image);
/// Reads a PNG file's bytes (any colour type and bit depth, converted to 8-bit RGB; alpha is
/// dropped). Throws std::runtime_error naming `what` when they are not a valid PNG.
Image decode_png(const std::string& bytes, const std::string& what = "PNG data");
/// encode_png, written atomically to `path`.
void write_png(const std::string& path, const Image& image);

}  // namespace deepsolve::examples
