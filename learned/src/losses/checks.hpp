// Private helpers of the loss sources: argument checks that throw std::invalid_argument with a
// message naming the loss, the argument and the offending value, and common target handling.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace deepsolve::learned::detail {

/// "[4, 3]" (or "undefined").
std::string shape(const at::Tensor& t);

/// "[4, 3] Float" (or "undefined").
std::string describe(const at::Tensor& t);

/// The rows of a [N, D] tensor scaled to unit 2-norm (norms below `eps` count as `eps`).
at::Tensor row_normalized(const at::Tensor& z, double eps);

/// "1.5" with up to 17 significant digits.
std::string number(double v);

[[noreturn]] inline void fail(const std::string& message) {
  throw std::invalid_argument(message);
}

inline void require(bool ok, const std::string& message) {
  if (!ok) fail(message);
}

/// `loss`: `name` must be > 0 (finite), got `value`.
void require_positive(const char* loss, const char* name, double value);
/// `loss`: `name` must be >= 0 (finite), got `value`.
void require_nonnegative(const char* loss, const char* name, double value);
/// A defined floating-point tensor.
void require_floating(const char* loss, const char* name, const at::Tensor& t);

/// Class indices: an integer tensor of shape [n] with values in [0, classes). Returns int64.
at::Tensor class_indices(const char* loss, const at::Tensor& target, std::int64_t n,
                         std::int64_t classes);

/// Binary labels: a tensor (bool, integer or floating) of the same shape as `like` whose values
/// are all 0 or 1. Returns them as float64.
at::Tensor binary_labels(const char* loss, const at::Tensor& target, const at::Tensor& like,
                         const char* like_name = "input");

}  // namespace deepsolve::learned::detail
