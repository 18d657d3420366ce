#include "frames.hpp"

#include <algorithm>
#include <cmath>

#include "common/image.hpp"

namespace smoke {

namespace ex = deepsolve::examples;

void write_density_frame(const std::string& path, int dim, int n,
                         const std::vector<double>& density,
                         const std::vector<deepsolve::solvers::CellType>& cells) {
  const int scale = std::max(1, (256 + n - 1) / n);
  ex::Image image(n * scale, n * scale);
  const int depth = dim == 3 ? n : 1;
  for (int row = 0; row < n; ++row)      // the up axis (y in 2D, z in 3D)
    for (int col = 0; col < n; ++col) {  // x
      double rho = 0.0;
      bool solid = false;
      for (int y = 0; y < depth; ++y) {
        const std::size_t c = dim == 2 ? static_cast<std::size_t>(row) * n + col
                                       : (static_cast<std::size_t>(row) * n + y) * n + col;
        rho += density[c];
        solid = solid || cells[c] == deepsolve::solvers::CellType::solid;
      }
      rho /= depth;
      // Smoke white on a dark blue background, the obstacle orange.
      const double t = std::clamp(rho, 0.0, 1.0);
      ex::Rgb color{static_cast<std::uint8_t>(20 + 235 * t),
                    static_cast<std::uint8_t>(24 + 231 * t),
                    static_cast<std::uint8_t>(40 + 215 * t)};
      if (solid) color = {230, 120, 30};
      for (int py = 0; py < scale; ++py)
        for (int px = 0; px < scale; ++px)
          image.set(col * scale + px, (n - 1 - row) * scale + py, color);
    }
  ex::write_png(path, image);
}

}  // namespace smoke
