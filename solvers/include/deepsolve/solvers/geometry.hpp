// Geometry generators that paint cell types onto a Grid: discs/spheres, boxes, seeded random
// obstacles, and the named layouts the examples offer on their command line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

/// Marks every cell whose centre lies within `radius` of `center` (a disc in 2D).
void add_sphere(Grid& grid, std::array<double, 3> center, double radius,
                CellType type = CellType::solid);

/// Marks every cell whose centre lies in the box [lo, hi] (physical coordinates).
void add_box(Grid& grid, std::array<double, 3> lo, std::array<double, 3> hi,
             CellType type = CellType::solid);

/// Paints `count` solid spheres and boxes at seeded random places, sizes between 4% and 12% of the
/// domain's smallest extent, each kept one cell clear of the domain faces.
void add_random_obstacles(Grid& grid, int count, std::uint64_t seed);

/// Names accepted by apply_geometry.
std::vector<std::string> geometry_names();

/// Applies a named layout: "empty", "sphere" (one sphere of radius 0.2 L at the centre), "boxes"
/// (two boxes), "random" (8 random obstacles from `seed`). Throws std::invalid_argument for an
/// unknown name, listing the valid ones.
void apply_geometry(Grid& grid, const std::string& name, std::uint64_t seed = 0);

/// Physical extent of the domain along each axis.
std::array<double, 3> domain_extent(const Grid& grid);

}  // namespace deepsolve::solvers
