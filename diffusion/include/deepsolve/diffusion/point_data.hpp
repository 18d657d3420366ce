// Low-dimensional point data sets made from a seed, without downloads: the analytic Gaussian
// mixtures (gaussian_mixture.hpp) and the 2-D toys of FFJORD (Grathwohl et al., ICLR 2019,
// lib/toy_data.py, with the noise levels and scalings of its sklearn-based generators), in one
// registry table looked up by name. Sample i of a set depends only on (seed, i).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deepsolve/diffusion/gaussian_mixture.hpp"

namespace deepsolve::diffusion {

struct PointDataSet {
  std::string name;
  std::string description;
  std::int64_t dimension = 2;
  /// Number of labels (0 when the set is unlabelled).
  std::int64_t num_classes = 0;

  /// n >= 1 samples: x float32 [n, dimension], labels int64 [n] in [0, num_classes) or undefined
  /// when the set is unlabelled. Throws std::invalid_argument for n < 1.
  PointSamples sample(std::int64_t n, std::uint64_t seed) const;
  /// The set's exact distribution when it is a Gaussian mixture (component k = label k), else
  /// nothing.
  std::optional<GaussianMixture> analytic() const;

  // The table's entries (point_data.cpp): a generator of float64 samples with their labels, and
  // the mixture of an analytic set (null otherwise).
  PointSamples (*generate)(std::int64_t n, std::uint64_t seed) = nullptr;
  GaussianMixture (*mixture)() = nullptr;
};

/// The set called `name`; std::invalid_argument listing the known names otherwise.
const PointDataSet& point_data_set(const std::string& name);
/// The known names, in the table's order.
std::vector<std::string> point_data_names();

}  // namespace deepsolve::diffusion
