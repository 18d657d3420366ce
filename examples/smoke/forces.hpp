// The forces and the inflow of one step: buoyancy (an upward acceleration proportional to the
// smoke density, the simplest form of Fedkiw, Stam & Jensen, "Visual Simulation of Smoke",
// SIGGRAPH 2001, eq. 8 without the temperature term) and the smoke source near the bottom.
#pragma once

#include "mac_fields.hpp"
#include "scene.hpp"

namespace smoke {

/// Adds dt * buoyancy * density (averaged to the face from the start-of-step `ghosted` array) to
/// the upward faces of `owned`, then sets the source's cells: the density to source_density (with
/// the scene's seeded noise, keyed by step and global cell index, so any rank count draws the
/// same values) and the upward velocity of the faces inside it to source_speed.
void apply_forces_and_source(const MacFields& f, const Scene& scene, int step,
                             const double* ghosted, double* owned, double dt);

}  // namespace smoke
