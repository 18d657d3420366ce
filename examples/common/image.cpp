#include "common/image.hpp"

#include <png.h>

#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::examples {

namespace {

constexpr int kMaxSide = 65535;
// 256 Mi pixels (768 MiB of RGB): a larger PNG is refused before its pixels are allocated.
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 28;

}  // namespace

Image::Image(int width, int height, Rgb background) : width_(width), height_(height) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide)
    throw std::invalid_argument("Image: " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels (each side must be in 1..65535)");
  bytes_.resize(3 * static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  for (std::size_t i = 0; i < bytes_.size(); i += 3) {
    bytes_[i] = background.r;
    bytes_[i + 1] = background.g;
    bytes_[i + 2] = background.b;
  }
}

void Image::set(int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  std::uint8_t* p = &bytes_[3 * (static_cast<std::size_t>(y) * width_ + x)];
  p[0] = color.r;
  p[1] = color.g;
  p[2] = color.b;
}

Rgb Image::get(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_)
    throw std::out_of_range("Image::get: pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                            ") is outside the image");
  const std::uint8_t* p = &bytes_[3 * (static_cast<std::size_t>(y) * width_ + x)];
  return {p[0], p[1], p[2]};
}

// libpng's simplified API (1.6): no setjmp/longjmp through C++ frames.
std::string encode_png(const Image& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width());
  png.height = static_cast<png_uint_32>(image.height());
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.bytes().data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, image.bytes().data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  out.resize(size);
  return out;
}

Image decode_png(const std::string& bytes, const std::string& what) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw std::runtime_error(what + ": not a readable PNG (" + png.message + ")");
  if (png.width > kMaxSide || png.height > kMaxSide ||
      std::uint64_t{png.width} * png.height > kMaxPixels) {
    png_image_free(&png);
    throw std::runtime_error(what + ": a PNG of " + std::to_string(png.width) + "x" +
                             std::to_string(png.height) + " pixels is too large");
  }
  Image image(static_cast<int>(png.width), static_cast<int>(png.height));
  png.format = PNG_FORMAT_RGB;
  const png_color white{255, 255, 255};  // what transparent pixels are drawn on
  if (!png_image_finish_read(&png, &white, image.bytes().data(), 0, nullptr))
    throw std::runtime_error(what + ": not a readable PNG (" + png.message + ")");
  return image;
}

void write_png(const std::string& path, const Image& image) {
  deepsolve::learned::write_file_atomically(path, encode_png(image));
}

}  // namespace deepsolve::examples
