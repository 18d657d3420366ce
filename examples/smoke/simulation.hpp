// The smoke simulation loop: each step moves the obstacle (new cell types -> set_cells on the
// pressure solver when they changed), advects, adds buoyancy and the source, projects with the
// PoissonSolver and measures the divergence before and after (projection.hpp).
#pragma once

#include <petscvec.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/petsc/poisson_solver.hpp"
#include "mac_fields.hpp"
#include "scene.hpp"

namespace smoke {

/// What one step did (the JSON record of a step).
struct StepRecord {
  int step = 0;
  double time = 0.0;  ///< at the end of the step
  int iterations = 0;
  double setup_s = 0.0;  ///< the solver's set-up for this step's geometry (0 when unchanged)
  double solve_s = 0.0;
  double divergence_before = 0.0;     ///< max |D u*| over fluid cells
  double divergence_before_l2 = 0.0;  ///< ||D u*||_2 over fluid cells
  double divergence = 0.0;            ///< max |D u| after the projection
  double relative_residual = 0.0;
  std::string reason;
  bool converged = false;
  double cfl = 0.0;                ///< max |u| dt / h at the start of the step
  std::int64_t cells_changed = 0;  ///< cells whose type changed this step
  double advect_s = 0.0;           ///< advection, forces and boundaries (max over ranks)
};

class Simulation {
 public:
  /// Builds the fields, the obstacle at t = 0 and the pressure solver (with the fields' layout).
  /// Throws std::invalid_argument for a bad scene or solver option.
  Simulation(MPI_Comm comm, const Scene& scene,
             const deepsolve::petsc::PoissonSolverOptions& solver);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// One time step. Throws deepsolve::learned::CollectiveError on every rank when the velocity
  /// exceeds --max-cfl (naming the step and the CFL number) or a trace left the ghost region.
  StepRecord step();

  const Scene& scene() const { return scene_; }
  int steps_done() const { return steps_; }
  double time() const { return steps_ * dt_; }
  double dt() const { return dt_; }
  const MacFields& fields() const { return *fields_; }
  const deepsolve::petsc::PoissonSolver& solver() const { return *solver_; }
  /// Whole-grid cell types of the current step (the same on every rank).
  const std::vector<deepsolve::solvers::CellType>& cells() const { return cells_; }
  /// The obstacle's centre now (for drawing).
  std::array<double, 3> obstacle_center() const;

  /// The state (global vector of fields().dm()) and the last pressure (the solver's vector).
  Vec state() const { return state_; }
  Vec pressure() const { return pressure_; }
  /// Whole arrays on every rank (collective): one component of the state (fields().extent()
  /// points per axis) and the pressure (cells).
  std::vector<double> gather(int component) const;
  std::vector<double> gather_pressure() const;
  /// This rank's cells (owned_cells(), x fastest): density, the velocity at the centre (the mean
  /// of the two faces along each axis, dim values per cell) and the pressure.
  void owned_cell_values(std::vector<double>& density, std::vector<double>& velocity,
                         std::vector<double>& pressure) const;

 private:
  Scene scene_;
  double dt_;
  int steps_ = 0;
  std::unique_ptr<MacFields> fields_;
  std::unique_ptr<Obstacle> obstacle_;
  std::unique_ptr<deepsolve::petsc::PoissonSolver> solver_;
  std::vector<deepsolve::solvers::CellType> cells_;
  Vec state_ = nullptr, next_ = nullptr, local_ = nullptr, scratch_local_ = nullptr;
  Vec rhs_ = nullptr, pressure_ = nullptr, pressure_local_ = nullptr;
};

}  // namespace smoke
