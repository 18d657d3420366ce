// Advection of every field (face velocities and density) by the velocity at the start of the step:
// semi-Lagrangian (Stam, "Stable Fluids", SIGGRAPH 1999: trace each sample point back through the
// velocity field, here with a second-order Runge-Kutta (midpoint) trace, and interpolate
// (bi/trilinear) there), or MacCormack (Selle, Fedkiw, Kim, Liu, Rossignac, "An Unconditionally
// Stable MacCormack Method", J. Sci. Comput. 35, 2008: a forward and a backward semi-Lagrangian
// step estimate the error, half of which is corrected, with the min/max limiter of their eq. 8:
// the result is clamped to the values at the corners of the forward step's interpolation cell).
//
// Reads only this rank's ghosted arrays; a trace that would leave the ghost region is not
// computed but counted (out_of_reach), so the caller can stop with an error on every rank.
#pragma once

#include <petscvec.h>

#include <cstdint>
#include <vector>

#include "mac_fields.hpp"

namespace smoke {

struct AdvectionResult {
  /// Sample points whose trace or interpolation stencil left the ghost region (0 when fine).
  std::int64_t out_of_reach = 0;
};

/// Advects `state` (global) by its own velocity over dt into `result` (global). `local` and
/// `scratch_local`, `scratch_global` are work vectors of fields.dm(). MacCormack when `maccormack`.
/// Values at the unused points of the extra layer are set to 0.
AdvectionResult advect(const MacFields& fields, double dt, bool maccormack, Vec state, Vec result,
                       Vec local, Vec scratch_local);

}  // namespace smoke
