#include "simulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "advection.hpp"
#include "common/cli.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/solvers/petsc/error.hpp"
#include "forces.hpp"
#include "projection.hpp"

namespace smoke {

namespace ex = deepsolve::examples;
using deepsolve::learned::CollectiveError;
using deepsolve::solvers::CellType;

namespace {

double max_over_ranks(MPI_Comm comm, double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, comm);
  return v;
}

/// The largest |face velocity| over all ranks.
double max_speed(const MacFields& f, Vec state) {
  const PetscScalar* a = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(state, &a));
  double m = 0.0;
  const std::int64_t points = f.owned().num_cells();
  for (std::int64_t p = 0; p < points; ++p)
    for (int d = 0; d < f.dim(); ++d) m = std::max(m, std::abs(a[p * f.dof() + d]));
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(state, &a));
  return max_over_ranks(f.comm(), m);
}

}  // namespace

Simulation::Simulation(MPI_Comm comm, const Scene& scene,
                       const deepsolve::petsc::PoissonSolverOptions& solver)
    : scene_(scene) {
  check_scene(scene_);
  dt_ = scene_.time_step();
  // Refused before anything is allocated when the nodes cannot hold it: the state, its copy and
  // two ghosted copies (dim + 1 values per point each), right-hand side, pressure and its ghosted
  // copy, and about six Krylov work vectors.
  deepsolve::petsc::DmdaPoisson::check_memory(comm, scene_.dim,
                                              {scene_.size, scene_.size, scene_.size},
                                              4 * (scene_.dim + 1) + 3 + 6, false, "lower --size");
  fields_ = std::make_unique<MacFields>(comm, scene_.dim, scene_.size, scene_.ghost_width());
  obstacle_ = std::make_unique<Obstacle>(scene_);
  cells_ = obstacle_->cell_types(0.0);
  auto grid = pressure_grid(scene_);
  grid.set_cells(cells_);
  solver_ =
      std::make_unique<deepsolve::petsc::PoissonSolver>(comm, grid, solver, fields_->cell_layout());
  if (!(solver_->problem().owned_box() == fields_->owned_cells()))
    throw std::logic_error("smoke: the pressure problem's block differs from the fields' block");
  DEEPSOLVE_PETSC_CALL(DMCreateGlobalVector(fields_->dm(), &state_));
  DEEPSOLVE_PETSC_CALL(VecDuplicate(state_, &next_));
  DEEPSOLVE_PETSC_CALL(DMCreateLocalVector(fields_->dm(), &local_));
  DEEPSOLVE_PETSC_CALL(VecDuplicate(local_, &scratch_local_));
  DEEPSOLVE_PETSC_CALL(DMCreateGlobalVector(solver_->problem().dm(), &rhs_));
  DEEPSOLVE_PETSC_CALL(VecDuplicate(rhs_, &pressure_));
  DEEPSOLVE_PETSC_CALL(DMCreateLocalVector(solver_->problem().dm(), &pressure_local_));
  DEEPSOLVE_PETSC_CALL(VecSet(state_, 0.0));
  DEEPSOLVE_PETSC_CALL(VecSet(pressure_, 0.0));
}

Simulation::~Simulation() {
  for (Vec* v : {&state_, &next_, &local_, &scratch_local_, &rhs_, &pressure_, &pressure_local_})
    VecDestroy(v);
}

std::array<double, 3> Simulation::obstacle_center() const {
  return obstacle_->center(time());
}

StepRecord Simulation::step() {
  MacFields& f = *fields_;
  StepRecord rec;
  rec.step = steps_ + 1;
  rec.time = (steps_ + 1) * dt_;
  const double h = scene_.spacing();

  // The CFL number of the velocity that will be traced: beyond max_cfl the ghost region does not
  // cover the backtrace, so the step is refused instead of computed wrong.
  rec.cfl = max_speed(f, state_) * dt_ / h;
  if (!(rec.cfl <= scene_.max_cfl)) {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "step %d: the CFL number is %.4g (max |u| dt / h with dt %.4g), above --max-cfl "
                  "%.4g, whose %d ghost cells bound the semi-Lagrangian backtrace: lower --dt or "
                  "--cfl, or raise --max-cfl",
                  rec.step, rec.cfl, dt_, scene_.max_cfl, f.ghost());
    throw CollectiveError(buf);
  }

  // 1. The obstacle moves to its position at the end of the step; the operator follows it.
  const MPI_Comm comm = f.comm();
  MPI_Barrier(comm);
  double t0 = MPI_Wtime();
  if (obstacle_->present()) {
    auto cells = obstacle_->cell_types(rec.time);
    for (std::size_t c = 0; c < cells.size(); ++c) rec.cells_changed += cells[c] != cells_[c];
    if (rec.cells_changed > 0) {
      cells_ = cells;
      solver_->set_cells(std::move(cells));
    }
  }
  FaceConditions fc;
  fc.cells = &cells_;
  fc.top_open = scene_.top_open;
  fc.obstacle_velocity = obstacle_->velocity(rec.time);

  // 2. Advection of everything by the velocity at the start of the step, then forces, source and
  // the face conditions.
  const AdvectionResult adv =
      advect(f, dt_, scene_.advection == "maccormack", state_, next_, local_, scratch_local_);
  std::int64_t lost = adv.out_of_reach;
  MPI_Allreduce(MPI_IN_PLACE, &lost, 1, MPI_INT64_T, MPI_SUM, comm);
  if (lost > 0)
    throw CollectiveError("step " + std::to_string(rec.step) + ": " + std::to_string(lost) +
                          " backtraces left the ghost region of " + std::to_string(f.ghost()) +
                          " cells (CFL number " + ex::format_number(rec.cfl) +
                          "): lower --dt or --cfl, or raise --max-cfl");
  {
    const PetscScalar* g = nullptr;
    PetscScalar* a = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local_, &g));  // the start of the step, ghosted
    DEEPSOLVE_PETSC_CALL(VecGetArray(next_, &a));
    apply_forces_and_source(f, scene_, rec.step, g, a, dt_);
    enforce_boundaries(f, a, fc);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(next_, &a));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local_, &g));
  }

  // 3. The right-hand side b = -(1/dt) D u* on fluid cells, 0 on solid ones.
  f.to_local(next_, local_);
  std::vector<double> div;
  {
    const PetscScalar* g = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local_, &g));
    const DivergenceNorms before = divergence(f, g, fc, &div);
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local_, &g));
    rec.divergence_before = before.max;
    rec.divergence_before_l2 = before.l2;
  }
  {
    PetscScalar* b = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArray(rhs_, &b));
    for (std::size_t c = 0; c < div.size(); ++c) b[c] = -div[c] / dt_;
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(rhs_, &b));
  }
  rec.advect_s = max_over_ranks(comm, MPI_Wtime() - t0);

  // 4. A p = b; the last pressure is the initial guess with nonzero_initial_guess (PoissonSolver
  // takes it as 0 in the cells the obstacle now covers).
  const auto result = solver_->solve(rhs_, pressure_);
  rec.iterations = result.iterations;
  rec.setup_s = result.setup_s;
  rec.solve_s = result.solve_s;
  rec.relative_residual = result.relative_residual;
  rec.reason = result.reason;
  rec.converged = result.converged;

  // 5. u = u* - dt G p, and the divergence that is left.
  DM pdm = solver_->problem().dm();
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalBegin(pdm, pressure_, INSERT_VALUES, pressure_local_));
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalEnd(pdm, pressure_, INSERT_VALUES, pressure_local_));
  {
    PetscInt lo[3], cnt[3];
    DEEPSOLVE_PETSC_CALL(
        DMDAGetGhostCorners(pdm, &lo[0], &lo[1], &lo[2], &cnt[0], &cnt[1], &cnt[2]));
    Box pbox;
    for (int d = 0; d < 3; ++d) {
      pbox.lo[d] = static_cast<int>(lo[d]);
      pbox.n[d] = static_cast<int>(cnt[d]);
    }
    if (scene_.dim == 2) pbox.lo[2] = 0, pbox.n[2] = 1;
    const PetscScalar* p = nullptr;
    PetscScalar* a = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(pressure_local_, &p));
    DEEPSOLVE_PETSC_CALL(VecGetArray(next_, &a));
    subtract_pressure_gradient(f, a, p, pbox, fc, dt_);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(next_, &a));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(pressure_local_, &p));
  }
  f.to_local(next_, local_);
  {
    const PetscScalar* g = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local_, &g));
    rec.divergence = divergence(f, g, fc, nullptr).max;
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local_, &g));
  }
  std::swap(state_, next_);
  ++steps_;
  return rec;
}

std::vector<double> Simulation::gather(int component) const {
  return fields_->gather_component(state_, component);
}

std::vector<double> Simulation::gather_pressure() const {
  return solver_->problem().gather_to_all(pressure_);
}

void Simulation::owned_cell_values(std::vector<double>& density, std::vector<double>& velocity,
                                   std::vector<double>& pressure) const {
  const MacFields& f = *fields_;
  f.to_local(state_, local_);
  const Box& c = f.owned_cells();
  density.assign(static_cast<std::size_t>(c.num_cells()), 0.0);
  velocity.assign(static_cast<std::size_t>(c.num_cells()) * f.dim(), 0.0);
  const PetscScalar* g = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local_, &g));
  std::size_t at = 0;
  for (int k = c.lo[2]; k < c.lo[2] + c.n[2]; ++k)
    for (int j = c.lo[1]; j < c.lo[1] + c.n[1]; ++j)
      for (int i = c.lo[0]; i < c.lo[0] + c.n[0]; ++i, ++at) {
        density[at] = g[f.ghosted_offset(i, j, k, f.density())];
        for (int d = 0; d < f.dim(); ++d) {
          int hi[3] = {i, j, k};
          hi[d] += 1;
          velocity[at * f.dim() + d] =
              0.5 * (g[f.ghosted_offset(i, j, k, d)] + g[f.ghosted_offset(hi[0], hi[1], hi[2], d)]);
        }
      }
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local_, &g));
  pressure = solver_->problem().owned_values(pressure_);
}

}  // namespace smoke
