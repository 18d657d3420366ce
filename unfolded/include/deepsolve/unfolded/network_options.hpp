// The options every unfolded network type shares (network.hpp): the problem's size m x n, the
// depth T and the penalty weight lambda. In the model registry they are the options
// "measurements", "signal-size", "layers" and "lambda" of every type of kUnfoldedFamily.
#pragma once

#include <cstdint>
#include <string>

namespace deepsolve::unfolded {

struct UnfoldedOptions {
  std::int64_t measurements = 250;  ///< m: y is [B, m]
  std::int64_t signal_size = 500;   ///< n: x is [B, n]
  std::int64_t layers = 16;         ///< T
  /// The weight of the penalty, > 0: the problem the network solves and its initial thresholds.
  /// (The registry's lista, lista-cpss and alista default to 0.4, their reference code's.)
  double lambda = 0.1;

  /// Throws std::invalid_argument naming the option (by its model-option name): measurements,
  /// signal-size or layers < 1 or above kMaxUnfoldedSize, lambda not positive and finite.
  void validate() const;
  /// e.g. "16 layers, 250×500, λ = 0.1".
  std::string describe() const;
};

/// The largest m, n and T accepted (a guard against sizes that would only fail in an allocation).
inline constexpr std::int64_t kMaxUnfoldedSize = std::int64_t{1} << 24;
/// The most learned values one network may hold (4 GiB of float32): LISTA holds T (n^2 + n m),
/// LISTA-CPSS T m n.
inline constexpr double kMaxUnfoldedParameters = double(std::int64_t{1} << 30);

}  // namespace deepsolve::unfolded
