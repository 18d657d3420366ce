#include "scene.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/cli.hpp"

namespace smoke {

namespace ex = deepsolve::examples;
using deepsolve::solvers::Boundary;
using deepsolve::solvers::CellType;
using deepsolve::solvers::Face;

namespace {
constexpr double kPi = 3.14159265358979323846;
/// Height of the obstacle's centre and of the source's centre (fractions of the box).
constexpr double kObstacleHeight = 0.4;
constexpr double kSourceHeight = 0.12;
}  // namespace

double Scene::prescribed_speed() const {
  double speed = source_speed;
  if (obstacle == "moving")
    speed = std::max(speed, 2.0 * kPi * obstacle_amplitude / obstacle_period);
  return speed;
}

double Scene::time_step() const {
  return dt > 0.0 ? dt : cfl * spacing() / prescribed_speed();
}

int Scene::ghost_width() const {
  return static_cast<int>(std::ceil(max_cfl)) + 2;
}

void check_scene(const Scene& s) {
  ex::check(s.dim == 2 || s.dim == 3, "--dim must be 2 or 3, got " + std::to_string(s.dim));
  ex::check_at_least("--size", s.size, 8);
  ex::check_at_least("--steps", s.steps, 1);
  ex::check_choice("--obstacle", "obstacle", s.obstacle, {"none", "static", "moving"});
  ex::check_choice("--advection", "advection scheme", s.advection,
                   {"semi-lagrangian", "maccormack"});
  ex::check_positive_finite("--cfl", s.cfl);
  ex::check(std::isfinite(s.dt) && s.dt >= 0.0,
            "--dt must be >= 0 and finite (0: from --cfl), got " + ex::format_number(s.dt));
  ex::check_positive_finite("--max-cfl", s.max_cfl);
  ex::check(s.max_cfl <= 16, "--max-cfl must be at most 16 (its ghost width grows with it), got " +
                                 ex::format_number(s.max_cfl));
  ex::check(std::isfinite(s.buoyancy), "--buoyancy must be finite");
  ex::check_positive_finite("--source-speed", s.source_speed);
  ex::check_positive_finite("--source-density", s.source_density);
  ex::check(std::isfinite(s.source_noise) && s.source_noise >= 0 && s.source_noise < 1,
            "--source-noise must be in [0, 1), got " + ex::format_number(s.source_noise));
  ex::check(s.obstacle_radius > 0 && s.obstacle_radius < 0.3,
            "--obstacle-radius must be in (0, 0.3), got " + ex::format_number(s.obstacle_radius));
  ex::check(std::isfinite(s.obstacle_amplitude) && s.obstacle_amplitude >= 0 &&
                s.obstacle_amplitude + s.obstacle_radius < 0.5,
            "--obstacle-amplitude must be >= 0 and keep the obstacle inside the box (amplitude + "
            "radius < 0.5), got " +
                ex::format_number(s.obstacle_amplitude));
  ex::check_positive_finite("--obstacle-period", s.obstacle_period);
}

Obstacle::Obstacle(const Scene& s)
    : dim_(s.dim),
      n_(s.size),
      present_(s.obstacle != "none"),
      moving_(s.obstacle == "moving"),
      radius_(s.obstacle_radius),
      amplitude_(s.obstacle_amplitude),
      period_(s.obstacle_period) {}

std::array<double, 3> Obstacle::center(double t) const {
  const double dx = moving_ ? amplitude_ * std::sin(2.0 * kPi * t / period_) : 0.0;
  if (dim_ == 2) return {0.5 + dx, kObstacleHeight, 0.0};
  return {0.5 + dx, 0.5, kObstacleHeight};
}

std::array<double, 3> Obstacle::velocity(double t) const {
  if (!moving_) return {0.0, 0.0, 0.0};
  return {amplitude_ * 2.0 * kPi / period_ * std::cos(2.0 * kPi * t / period_), 0.0, 0.0};
}

std::vector<CellType> Obstacle::cell_types(double t) const {
  const int nz = dim_ == 3 ? n_ : 1;
  std::vector<CellType> cells(static_cast<std::size_t>(n_) * n_ * nz, CellType::fluid);
  if (!present_) return cells;
  const auto c = center(t);
  const double h = 1.0 / n_;
  const double r2 = radius_ * radius_;
  // Only the bounding box of the obstacle is visited.
  auto range = [&](int axis) {
    const int lo = std::max(0, static_cast<int>(std::floor((c[axis] - radius_) / h - 1)));
    const int hi = std::min(n_ - 1, static_cast<int>(std::ceil((c[axis] + radius_) / h + 1)));
    return std::array<int, 2>{lo, hi};
  };
  const auto rx = range(0), ry = range(1);
  const auto rz = dim_ == 3 ? range(2) : std::array<int, 2>{0, 0};
  for (int k = rz[0]; k <= rz[1]; ++k)
    for (int j = ry[0]; j <= ry[1]; ++j)
      for (int i = rx[0]; i <= rx[1]; ++i) {
        const double x = (i + 0.5) * h - c[0], y = (j + 0.5) * h - c[1];
        const double z = dim_ == 3 ? (k + 0.5) * h - c[2] : 0.0;
        if (x * x + y * y + z * z < r2)
          cells[(static_cast<std::size_t>(k) * n_ + j) * n_ + i] = CellType::solid;
      }
  return cells;
}

deepsolve::solvers::Grid pressure_grid(const Scene& s) {
  auto grid = deepsolve::solvers::Grid::unit_box(s.dim, s.size);
  grid.set_all_boundaries(Boundary::neumann);
  if (s.top_open) grid.set_boundary(s.dim == 2 ? Face::y_hi : Face::z_hi, Boundary::dirichlet);
  return grid;
}

bool in_source(const Scene& s, const std::array<double, 3>& p) {
  const double up = s.dim == 2 ? p[1] : p[2];
  double r2 = (p[0] - 0.5) * (p[0] - 0.5) + (up - kSourceHeight) * (up - kSourceHeight);
  if (s.dim == 3) r2 += (p[1] - 0.5) * (p[1] - 0.5);
  return r2 < s.source_radius * s.source_radius;
}

}  // namespace smoke
