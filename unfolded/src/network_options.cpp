#include "deepsolve/unfolded/network_options.hpp"

#include <cmath>
#include <stdexcept>

#include "deepsolve/learned/training/metrics_log.hpp"

namespace deepsolve::unfolded {

void UnfoldedOptions::validate() const {
  auto size = [](const char* name, std::int64_t value, const char* what) {
    if (value < 1 || value > kMaxUnfoldedSize)
      throw std::invalid_argument(std::string(name) + " = " + std::to_string(value) + ": " + what +
                                  " must be in 1.." + std::to_string(kMaxUnfoldedSize));
  };
  size("measurements", measurements, "m, the size of y,");
  size("signal-size", signal_size, "n, the size of x,");
  size("layers", layers, "the number of layers");
  if (!(lambda > 0.0) || !std::isfinite(lambda))
    throw std::invalid_argument("lambda = " + learned::shortest_double(lambda) +
                                ": the penalty weight must be positive and finite");
}

std::string UnfoldedOptions::describe() const {
  return std::to_string(layers) + (layers == 1 ? " layer, " : " layers, ") +
         std::to_string(measurements) + "×" + std::to_string(signal_size) +
         ", λ = " + learned::shortest_double(lambda);
}

}  // namespace deepsolve::unfolded
