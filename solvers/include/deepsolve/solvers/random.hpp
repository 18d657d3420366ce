// The solvers' seeded random numbers are learned's one generator (deepsolve/learned/random.hpp),
// named in this namespace for the grid, right-hand-side and training-data generators.
#pragma once

#include "deepsolve/learned/random.hpp"

namespace deepsolve::solvers {
using learned::hashed_normal;
using learned::SplitMix64;
using learned::splitmix64;
using learned::to_unit_double;
}  // namespace deepsolve::solvers
