// The point data sets (point_data.hpp): one table, one generator per set.
//
// The 2-D toys follow FFJORD's lib/toy_data.py (Grathwohl et al., ICLR 2019) and the sklearn
// generators it calls (make_moons, make_circles, make_swiss_roll), with one change that keeps
// sample i a function of (seed, i) alone: where sklearn splits n points evenly between two
// curves on a linspace, each point here draws its curve and its position on the curve at random
// (same distribution in the limit, labels = the curve). Every draw comes from the sample's own
// SplitMix64 stream (seeded_draws.hpp).
#include "deepsolve/diffusion/point_data.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

#include "seeded_draws.hpp"

namespace deepsolve::diffusion {

namespace point_data_detail {

using data_detail::SampleStream;

/// Fills n float64 points (and labels, when `labelled`) from one draw per sample.
template <class Draw>
PointSamples draw_points(const char* name, std::int64_t n, std::uint64_t seed, bool labelled,
                         Draw draw) {
  at::Tensor x = at::empty({n, 2}, at::kDouble);
  at::Tensor labels = at::zeros({n}, at::kLong);
  double* px = x.data_ptr<double>();
  std::int64_t* pl = labels.data_ptr<std::int64_t>();
  const std::uint64_t key = data_detail::set_key(seed, name);
  for (std::int64_t i = 0; i < n; ++i) {
    SampleStream stream(key, i);
    pl[i] = draw(stream, px + 2 * i);
  }
  return {x, labelled ? labels : at::Tensor()};
}

PointSamples moons(std::int64_t n, std::uint64_t seed) {
  // sklearn make_moons(noise=0.1), then FFJORD's x * 2 + (-1, -0.2).
  return draw_points("moons", n, seed, true, [](SampleStream& s, double* p) -> std::int64_t {
    const std::int64_t moon = s.below(2);
    const double t = s.uniform(0.0, M_PI);
    double a = std::cos(t), b = std::sin(t);
    if (moon == 1) {
      a = 1.0 - a;
      b = 1.0 - b - 0.5;
    }
    p[0] = 2.0 * (a + 0.1 * s.normal()) - 1.0;
    p[1] = 2.0 * (b + 0.1 * s.normal()) - 0.2;
    return moon;
  });
}

PointSamples circles(std::int64_t n, std::uint64_t seed) {
  // sklearn make_circles(factor=0.5, noise=0.08), times 3; label 0 outer, 1 inner.
  return draw_points("circles", n, seed, true, [](SampleStream& s, double* p) -> std::int64_t {
    const std::int64_t ring = s.below(2);
    const double t = s.uniform(0.0, 2.0 * M_PI);
    const double r = ring == 0 ? 1.0 : 0.5;
    p[0] = 3.0 * (r * std::cos(t) + 0.08 * s.normal());
    p[1] = 3.0 * (r * std::sin(t) + 0.08 * s.normal());
    return ring;
  });
}

PointSamples swissroll(std::int64_t n, std::uint64_t seed) {
  // sklearn make_swiss_roll(noise=1.0), columns (0, 2), divided by 5.
  return draw_points("swissroll", n, seed, false, [](SampleStream& s, double* p) -> std::int64_t {
    const double t = 1.5 * M_PI * (1.0 + 2.0 * s.uniform());
    p[0] = (t * std::cos(t) + s.normal()) / 5.0;
    p[1] = (t * std::sin(t) + s.normal()) / 5.0;
    return 0;
  });
}

PointSamples checkerboard(std::int64_t n, std::uint64_t seed) {
  // x1 ~ U[-2, 2); x2 in one of the two unit cells of column floor(x1) that form the board;
  // times 2: 8 squares of side 2 in [-4, 4]^2.
  return draw_points("checkerboard", n, seed, false,
                     [](SampleStream& s, double* p) -> std::int64_t {
                       const double x1 = s.uniform(-2.0, 2.0);
                       const double x2 = s.uniform() - 2.0 * static_cast<double>(s.below(2));
                       const double parity = std::fmod(std::floor(x1) + 4.0, 2.0);
                       p[0] = 2.0 * x1;
                       p[1] = 2.0 * (x2 + parity);
                       return 0;
                     });
}

PointSamples pinwheel(std::int64_t n, std::uint64_t seed) {
  // 5 arms: radial std 0.3, tangential std 0.1, rate 0.25; the arm is the label.
  return draw_points("pinwheel", n, seed, true, [](SampleStream& s, double* p) -> std::int64_t {
    constexpr std::int64_t arms = 5;
    const std::int64_t arm = s.below(arms);
    const double f0 = 0.3 * s.normal() + 1.0;
    const double f1 = 0.1 * s.normal();
    const double angle = 2.0 * M_PI * static_cast<double>(arm) / arms + 0.25 * std::exp(f0);
    const double c = std::cos(angle), sn = std::sin(angle);
    p[0] = 2.0 * (f0 * c + f1 * sn);
    p[1] = 2.0 * (-f0 * sn + f1 * c);
    return arm;
  });
}

PointSamples two_spirals(std::int64_t n, std::uint64_t seed) {
  // Two interleaved spirals of 1.5 turns, uniform jitter 0.5, /3, plus N(0, 0.1^2); the spiral
  // is the label.
  return draw_points("2spirals", n, seed, true, [](SampleStream& s, double* p) -> std::int64_t {
    const std::int64_t arm = s.below(2);
    const double t = std::sqrt(s.uniform()) * 540.0 * (2.0 * M_PI) / 360.0;
    const double dx = -std::cos(t) * t + 0.5 * s.uniform();
    const double dy = std::sin(t) * t + 0.5 * s.uniform();
    const double sign = arm == 0 ? 1.0 : -1.0;
    p[0] = sign * dx / 3.0 + 0.1 * s.normal();
    p[1] = sign * dy / 3.0 + 0.1 * s.normal();
    return arm;
  });
}

GaussianMixture standard_gaussian() {
  return GaussianMixture(at::zeros({1, 2}, at::kDouble), at::ones({1}, at::kDouble),
                         at::ones({1}, at::kDouble));
}

GaussianMixture eight_gaussians() {
  // FFJORD's 8gaussians: centres 4 * {(1,0), (-1,0), (0,1), (0,-1), (+-1/sqrt2, +-1/sqrt2)},
  // std 0.5, everything divided by 1.414; label = the centre's index in that order.
  const double h = 1.0 / std::sqrt(2.0);
  const double centres[8][2] = {{1, 0}, {-1, 0}, {0, 1},  {0, -1},
                                {h, h}, {h, -h}, {-h, h}, {-h, -h}};
  at::Tensor means = at::empty({8, 2}, at::kDouble);
  for (std::int64_t k = 0; k < 8; ++k)
    for (std::int64_t j = 0; j < 2; ++j) means[k][j] = 4.0 * centres[k][j] / 1.414;
  return GaussianMixture(means, at::full({8}, 0.5 / 1.414, at::kDouble),
                         at::ones({8}, at::kDouble));
}

template <GaussianMixture (*Mixture)(), bool Labelled>
PointSamples mixture_points(std::int64_t n, std::uint64_t seed) {
  PointSamples s = Mixture().sample(n, seed);
  if (!Labelled) s.labels = at::Tensor();
  return s;
}

const std::vector<PointDataSet>& point_table() {
  static const std::vector<PointDataSet> table = [] {
    auto entry = [](const char* name, const char* description, std::int64_t classes,
                    PointSamples (*generate)(std::int64_t, std::uint64_t),
                    GaussianMixture (*mixture)()) {
      PointDataSet set;
      set.name = name;
      set.description = description;
      set.dimension = 2;
      set.num_classes = classes;
      set.generate = generate;
      set.mixture = mixture;
      return set;
    };
    return std::vector<PointDataSet>{
        entry("mixture8",
              "8 isotropic Gaussians, std 0.2, means at radius 2 and angles 2 pi k/8, label k "
              "(analytic)",
              8, &mixture_points<&GaussianMixture::mixture8, true>, &GaussianMixture::mixture8),
        entry("gaussian", "one standard 2-D Gaussian N(0, I) (analytic)", 0,
              &mixture_points<&standard_gaussian, false>, &standard_gaussian),
        entry("8gaussians",
              "FFJORD's 8 Gaussians: radius 4, std 0.5, divided by 1.414, label = centre "
              "(analytic)",
              8, &mixture_points<&eight_gaussians, true>, &eight_gaussians),
        entry("moons", "two interleaved half circles, noise 0.1, x2 - (1, 0.2); label = moon", 2,
              &moons, nullptr),
        entry("circles", "two concentric circles (radii 3, 1.5), noise 0.24; label 0 outer", 2,
              &circles, nullptr),
        entry("swissroll", "2-D swiss roll (sklearn noise 1.0, columns 0 and 2, / 5)", 0,
              &swissroll, nullptr),
        entry("checkerboard", "uniform on 8 squares of side 2 of a checkerboard on [-4, 4]^2", 0,
              &checkerboard, nullptr),
        entry("pinwheel", "5 curved arms (radial std 0.3, tangential 0.1, rate 0.25); label = arm",
              5, &pinwheel, nullptr),
        entry("2spirals", "two interleaved spirals of 1.5 turns, noise 0.1; label = spiral", 2,
              &two_spirals, nullptr),
    };
  }();
  return table;
}

}  // namespace point_data_detail

PointSamples PointDataSet::sample(std::int64_t n, std::uint64_t seed) const {
  if (n < 1)
    throw std::invalid_argument("point data '" + name + "': the sample count must be >= 1, got " +
                                std::to_string(n));
  if (!generate) throw std::invalid_argument("point data '" + name + "': the set has no generator");
  PointSamples s = generate(n, seed);
  s.x = s.x.to(at::kFloat);
  return s;
}

std::optional<GaussianMixture> PointDataSet::analytic() const {
  if (!mixture) return std::nullopt;
  return mixture();
}

const PointDataSet& point_data_set(const std::string& name) {
  for (const PointDataSet& set : point_data_detail::point_table())
    if (set.name == name) return set;
  std::string known;
  for (const PointDataSet& set : point_data_detail::point_table())
    known += (known.empty() ? "" : ", ") + set.name;
  throw std::invalid_argument("unknown point data set '" + name + "' (known: " + known + ")");
}

std::vector<std::string> point_data_names() {
  std::vector<std::string> names;
  for (const PointDataSet& set : point_data_detail::point_table()) names.push_back(set.name);
  return names;
}

}  // namespace deepsolve::diffusion
