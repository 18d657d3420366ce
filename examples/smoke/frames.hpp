// PNG frames of the smoke density with the obstacle drawn on top (examples/common/image.hpp).
#pragma once

#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace smoke {

/// The image of a density field (whole grid, x fastest; 3D: averaged along y, the depth) with
/// the solid cells (3D: any along the depth) in a solid colour, up at the top, each cell a square
/// of pixels so that the image is at least 256 pixels wide. Writes it to `path` (atomically).
void write_density_frame(const std::string& path, int dim, int n,
                         const std::vector<double>& density,
                         const std::vector<deepsolve::solvers::CellType>& cells);

}  // namespace smoke
