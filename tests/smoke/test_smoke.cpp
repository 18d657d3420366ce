// Tests of the smoke simulation (examples/smoke, library smoke_sim) on small scenes: 2D 32^2, a
// few steps. Registered for 1 and 2 ranks; the checks are the same on both.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "deepsolve/learned/training/distributed.hpp"
#include "simulation.hpp"

namespace {

using deepsolve::petsc::PoissonSolverOptions;
using smoke::Scene;
using smoke::Simulation;
using smoke::StepRecord;

Scene small_scene(const std::string& obstacle = "moving") {
  Scene s;
  s.dim = 2;
  s.size = 32;
  s.steps = 6;
  s.obstacle = obstacle;
  return s;
}

std::vector<StepRecord> run(Simulation& sim, int steps) {
  std::vector<StepRecord> records;
  for (int s = 0; s < steps; ++s) records.push_back(sim.step());
  return records;
}

/// max |a - b| / max |b|.
double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

/// Every field of the state (face velocities, density) and the pressure, whole, on every rank.
std::vector<std::vector<double>> all_fields(const Simulation& sim) {
  std::vector<std::vector<double>> fields;
  for (int c = 0; c < sim.fields().dof(); ++c) fields.push_back(sim.gather(c));
  fields.push_back(sim.gather_pressure());
  return fields;
}

// D u = -dt (b - A p) on fluid cells (projection.hpp), so after a solve stopped at
// ||r|| <= rtol ||b||: max |D u| <= dt ||r||_2 = relres ||D u*||_2 <= rtol ||D u*||_2.
void expect_divergence_bound(const std::string& solver, bool warm_start = false) {
  const double rtol = 1e-6;
  Simulation sim(
      PETSC_COMM_WORLD, small_scene(),
      PoissonSolverOptions().solver(solver).rtol(rtol).nonzero_initial_guess(warm_start));
  for (const StepRecord& r : run(sim, 6)) {
    SCOPED_TRACE(solver + " step " + std::to_string(r.step));
    EXPECT_TRUE(r.converged) << r.reason;
    EXPECT_GT(r.divergence_before, 1.0);  // the source and the obstacle make divergence
    EXPECT_LE(r.relative_residual, rtol * (1 + 1e-9));
    // The exact relation, up to rounding in D and G.
    EXPECT_LE(r.divergence, r.relative_residual * r.divergence_before_l2 * (1 + 1e-6) + 1e-9);
    EXPECT_LE(r.divergence, rtol * r.divergence_before_l2 * (1 + 1e-6) + 1e-9);
    // And the projection did something: far below what it started from.
    EXPECT_LT(r.divergence, 1e-4 * r.divergence_before);
  }
}

TEST(Smoke, DivergenceAfterProjectionWithinToleranceDcdm) {
  expect_divergence_bound("dcdm");
}

TEST(Smoke, DivergenceAfterProjectionWithinToleranceIcc) {
  expect_divergence_bound("icc");
}

// Warm start from the last pressure: cells the obstacle has just covered must not keep their old
// value (DCDM cannot remove a residual on a solid cell; it stalled at DIVERGED_ITS before).
TEST(Smoke, DivergenceAfterProjectionWithinToleranceDcdmWarmStart) {
  expect_divergence_bound("dcdm", true);
}

// Two solvers at the same tolerance give the same flow to the tolerance's order; a solve at a
// loose tolerance does not (so the comparison can fail).
TEST(Smoke, DcdmAndIccAgreeToTheTolerance) {
  const double rtol = 1e-8;
  Simulation dcdm(PETSC_COMM_WORLD, small_scene(),
                  PoissonSolverOptions().solver("dcdm").rtol(rtol));
  Simulation icc(PETSC_COMM_WORLD, small_scene(), PoissonSolverOptions().solver("icc").rtol(rtol));
  Simulation loose(PETSC_COMM_WORLD, small_scene(),
                   PoissonSolverOptions().solver("icc").rtol(1e-2));
  run(dcdm, 6);
  run(icc, 6);
  run(loose, 6);
  const auto a = all_fields(dcdm), b = all_fields(icc), c = all_fields(loose);
  double worst = 0.0, loose_worst = 0.0;
  for (std::size_t f = 0; f < a.size(); ++f) {
    const double d = relative_difference(a[f], b[f]);
    EXPECT_LT(d, 100 * rtol) << "field " << f;
    worst = std::max(worst, d);
    loose_worst = std::max(loose_worst, relative_difference(c[f], b[f]));
  }
  EXPECT_GT(loose_worst, 100 * worst);
  char text[64];
  std::snprintf(text, sizeof text, "%.3g (rtol 1e-2: %.3g)", worst, loose_worst);
  RecordProperty("max_relative_difference", text);
}

// A moving obstacle changes the cell types every step; the solver's operator follows (its grid
// holds the new cells) and its set-up is redone (setup_s > 0). A static one: set-up only once.
TEST(Smoke, MovingObstacleChangesTheOperatorEveryStep) {
  Simulation sim(PETSC_COMM_WORLD, small_scene("moving"), PoissonSolverOptions().solver("icc"));
  auto previous = sim.cells();
  for (int s = 0; s < 6; ++s) {
    const StepRecord r = sim.step();
    SCOPED_TRACE("step " + std::to_string(r.step));
    EXPECT_GT(r.cells_changed, 0);
    EXPECT_NE(sim.cells(), previous);
    EXPECT_EQ(sim.solver().problem().grid().cells(), sim.cells());
    EXPECT_GT(r.setup_s, 0.0);
    previous = sim.cells();
  }
  Simulation still(PETSC_COMM_WORLD, small_scene("static"), PoissonSolverOptions().solver("icc"));
  const auto cells = still.cells();
  for (int s = 0; s < 3; ++s) {
    const StepRecord r = still.step();
    EXPECT_EQ(r.cells_changed, 0);
    if (s > 0) {
      EXPECT_EQ(r.setup_s, 0.0);  // the first solve pays the constructor's set-up
    }
  }
  EXPECT_EQ(still.cells(), cells);
}

// The distributed fields (ghost exchange, backtraces across rank boundaries, the pressure on the
// same layout) give what one rank gives: the same scene on PETSC_COMM_SELF on every rank. CG with
// Jacobi at rtol 1e-12 leaves only rounding (reduction order) between the two.
TEST(Smoke, RanksGiveTheSameFieldsAsOneRank) {
  for (int dim : {2, 3}) {
    SCOPED_TRACE(std::to_string(dim) + "D");
    Scene s = small_scene();
    s.advection = "maccormack";
    s.dim = dim;
    if (dim == 3) s.size = 16;  // 8 cells per rank on 2 ranks, above the ghost width 5
    const auto options = PoissonSolverOptions().solver("jacobi").rtol(1e-12);
    Simulation world(PETSC_COMM_WORLD, s, options);
    Simulation self(PETSC_COMM_SELF, s, options);
    run(world, dim == 2 ? 6 : 4);
    run(self, dim == 2 ? 6 : 4);
    const auto a = all_fields(world), b = all_fields(self);
    for (std::size_t f = 0; f < a.size(); ++f)
      EXPECT_LT(relative_difference(a[f], b[f]), 1e-9) << "field " << f;
  }
}

// A velocity beyond --max-cfl is refused with the step and the CFL number, on every rank.
TEST(Smoke, TooLargeTimeStepIsAnErrorNamingTheStep) {
  Scene s = small_scene("none");
  s.dt = 0.2;  // the source's speed 1 moves 6.4 cells per step
  Simulation sim(PETSC_COMM_WORLD, s, PoissonSolverOptions().solver("icc"));
  sim.step();  // starts at rest: CFL 0
  // The CFL number of step 2 is that of the velocity step 1 left: max |u| dt / h.
  double umax = 0.0;
  for (int d = 0; d < 2; ++d)
    for (double u : sim.gather(d)) umax = std::max(umax, std::abs(u));
  char expected[64];
  std::snprintf(expected, sizeof expected, "step 2: the CFL number is %.4g", umax * 0.2 * 32);
  EXPECT_GT(umax * 0.2 * 32, 3.0);
  try {
    sim.step();
    FAIL() << "no error";
  } catch (const deepsolve::learned::CollectiveError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

}  // namespace
