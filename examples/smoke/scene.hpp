// The scene of the smoke simulation: the box, the smoke source, buoyancy, the obstacle and its
// path, the time step. Everything here is a pure function of the options and the time, so every
// rank computes the same cell types without communicating.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace smoke {

/// The physical set-up. Lengths are in units of the box width (the box is [0, 1]^dim), times in
/// the same units divided by a velocity.
struct Scene {
  int dim = 2;
  int size = 64;  ///< cells per axis
  int steps = 50;
  std::string obstacle = "moving";            ///< none | static | moving
  std::string advection = "semi-lagrangian";  ///< semi-lagrangian | maccormack
  bool top_open = true;  ///< top face Dirichlet p = 0 (open) or Neumann (closed)
  double cfl = 1.0;      ///< dt = cfl * h / (the fastest prescribed speed) unless dt > 0
  double dt = 0.0;
  /// The largest CFL number a run may reach; the ghost width of the distributed fields covers it.
  double max_cfl = 3.0;
  double buoyancy = 1.0;      ///< upward acceleration per unit density
  double source_speed = 1.0;  ///< upward velocity set in the source each step
  double source_density = 1.0;
  double source_radius = 0.08;
  /// Relative amplitude of the seeded per-cell noise on the source's density (breaks symmetry).
  double source_noise = 0.1;
  unsigned long long seed = 1;
  double obstacle_radius = 0.12;
  double obstacle_amplitude = 0.25;  ///< moving: horizontal excursion of the centre
  double obstacle_period = 2.0;      ///< moving: period of the horizontal sinusoid

  double spacing() const { return 1.0 / size; }
  /// The fastest speed the scene prescribes (source, obstacle), used for the default dt.
  double prescribed_speed() const;
  /// dt, or cfl * h / prescribed_speed() when dt is 0.
  double time_step() const;
  /// Ghost width (cells) of the distributed fields: the backtrace of max_cfl cells, half a cell
  /// of staggering and the interpolation stencil.
  int ghost_width() const;
};

/// Throws std::invalid_argument naming the option for a value out of range.
void check_scene(const Scene& scene);

/// The obstacle (a disc in 2D, a sphere in 3D) on its prescribed path.
class Obstacle {
 public:
  explicit Obstacle(const Scene& scene);
  bool present() const { return present_; }
  std::array<double, 3> center(double t) const;
  std::array<double, 3> velocity(double t) const;
  double radius() const { return radius_; }
  /// Whole-grid cell types at time t (solid where the cell centre lies inside), x fastest.
  std::vector<deepsolve::solvers::CellType> cell_types(double t) const;

 private:
  int dim_;
  int n_;
  bool present_;
  bool moving_;
  double radius_, amplitude_, period_;
};

/// The solvers::Grid of the pressure problem: unit box, Neumann walls, the top face (the last
/// axis' high face) Dirichlet when open.
deepsolve::solvers::Grid pressure_grid(const Scene& scene);

/// True when the centre of cell `c` (index coordinates) lies in the smoke source: a disc/sphere
/// near the bottom, centred horizontally.
bool in_source(const Scene& scene, const std::array<double, 3>& position);

}  // namespace smoke
