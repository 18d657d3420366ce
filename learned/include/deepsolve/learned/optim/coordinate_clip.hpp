// Coordinate-wise clipping with a global top-fraction threshold (Pan & Li 2023, "Toward
// understanding why Adam converges faster than SGD for transformers", arXiv 2306.00204).
//
// Over all n coordinates of all gradients together, sort |g| in decreasing order and take
// T = |g|_sorted[floor(n c)] (c = the clip fraction, 0-based index). Every coordinate becomes
// sign(g) min(|g|, s T) (s = threshold_scale): the largest fraction c of the coordinates is cut
// down to the size of the (1 - c) quantile. c = 0 changes nothing; c = 1 gives T = 0.
#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace deepsolve::learned {

/// T for `tensors` taken together (undefined tensors are skipped): the (floor(n c))-th largest
/// |value| (0-based), or 0 when floor(n c) >= n. Requires 0 <= fraction <= 1.
double coordinate_clip_threshold(const std::vector<at::Tensor>& tensors, double fraction);

/// Clips every tensor in place to [-s T, s T] with T from coordinate_clip_threshold over all of
/// them; fraction 0 is a no-op. Returns T. Requires threshold_scale >= 0.
double clip_coordinates_(std::vector<at::Tensor>& tensors, double fraction,
                         double threshold_scale = 1.0);

/// A clipped copy of one tensor (the threshold taken over this tensor alone).
at::Tensor clip_coordinates(const at::Tensor& tensor, double fraction,
                            double threshold_scale = 1.0);

}  // namespace deepsolve::learned
