// KSP "dcdm" and PC "dcdm" (petsc/dcdm_ksp.hpp): identity directions reproduce deepsolve's CG,
// the PETSc loop takes the iterations of the conjugate-direction template, every model path
// (native, the KSP's PC, a whole-grid model gathered over the ranks) gives the same iteration,
// and each way a solve can end or be misconfigured is reported. Run on 1 and 2 ranks.
#include <gtest/gtest.h>

#include <petscksp.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/direction_model.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"
#include "deepsolve/solvers/petsc/dcdm_ksp.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/petsc/register.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;
namespace petsc = deepsolve::petsc;

namespace {

struct Outcome {
  PetscInt iterations = -1;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  double true_relative_residual = 0.0;
};

/// A problem on the DMDA with a right-hand side in the operator's range.
struct Problem {
  explicit Problem(const Grid& grid) : pde(PETSC_COMM_WORLD, grid) {
    b = pde.create_vector();
    pde.set_from_grid_field(random_rhs(grid, grid.full_box(), 17), b);
    if (pde.null_space()) pde.project_out_null_space(b);
  }
  petsc::DmdaPoisson pde;
  petsc::Vector b;
};

/// Variable coefficients in a sphere-carved box: Jacobi and CG differ, the solve is not trivial.
Grid sphere_grid(int n = 14) {
  Grid grid = Grid::unit_box(3, n);
  apply_geometry(grid, "sphere");
  std::vector<double> k(static_cast<std::size_t>(grid.num_cells()));
  SplitMix64 rng(2);
  for (auto& v : k) v = std::exp(3.0 * rng.uniform());
  grid.set_coefficients(k);
  return grid;
}

/// Solves with a KSP on the assembled matrix; `configure` chooses the method.
Outcome solve(const Problem& p, const std::function<void(KSP)>& configure, Vec x_out = nullptr) {
  DEEPSOLVE_PETSC_CALL(petsc::register_types());
  KSP ksp;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, p.pde.matrix(), p.pde.matrix()));
  DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 1e-50, PETSC_DEFAULT, 10000));
  configure(ksp);
  auto x = p.pde.create_vector();
  DEEPSOLVE_PETSC_CALL(KSPSolve(ksp, p.b, x));
  Outcome out;
  DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(ksp, &out.iterations));
  DEEPSOLVE_PETSC_CALL(KSPGetConvergedReason(ksp, &out.reason));
  auto r = p.pde.create_vector();
  DEEPSOLVE_PETSC_CALL(MatMult(p.pde.matrix(), x, r));
  DEEPSOLVE_PETSC_CALL(VecAYPX(r, -1.0, p.b));
  PetscReal rnorm, bnorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(r, NORM_2, &rnorm));
  DEEPSOLVE_PETSC_CALL(VecNorm(p.b, NORM_2, &bnorm));
  out.true_relative_residual = rnorm / bnorm;
  if (x_out) DEEPSOLVE_PETSC_CALL(VecCopy(x, x_out));
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
  return out;
}

std::function<void(KSP)> dcdm_ksp(const char* model, PetscInt window = 2,
                                  bool true_residual = true) {
  return [=](KSP ksp) {
    DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPDCDM));
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetModel(ksp, model));
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetWindow(ksp, window));
    DEEPSOLVE_PETSC_CALL(KSPDCDMSetTrueResidual(ksp, true_residual ? PETSC_TRUE : PETSC_FALSE));
  };
}

std::function<void(KSP)> dcdm_with(std::shared_ptr<dcdm::DirectionModel> model) {
  return [model](KSP ksp) {
    DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPDCDM));
    DEEPSOLVE_PETSC_CALL(petsc::KSPDCDMSetDirectionModel(ksp, model));
  };
}

double distance(Vec a, Vec b) {
  Vec d;
  DEEPSOLVE_PETSC_CALL(VecDuplicate(a, &d));
  DEEPSOLVE_PETSC_CALL(VecWAXPY(d, -1.0, a, b));
  PetscReal n, na;
  DEEPSOLVE_PETSC_CALL(VecNorm(d, NORM_2, &n));
  DEEPSOLVE_PETSC_CALL(VecNorm(a, NORM_2, &na));
  DEEPSOLVE_PETSC_CALL(VecDestroy(&d));
  return n / na;
}

/// A direction model for the breakdown and NaN cases.
class ConstantDirection final : public dcdm::DirectionModel {
 public:
  ConstantDirection(const Grid& grid, double value) : n_(grid.num_cells()), value_(value) {}
  std::string describe() const override { return "constant " + std::to_string(value_); }
  void apply(const double*, double* q) override { std::fill(q, q + n_, value_); }

 private:
  std::int64_t n_;
  double value_;
};

/// Collects the message of the first PETSc error raised while it lives.
class ErrorCapture {
 public:
  ErrorCapture() { PetscPushErrorHandler(handler, this); }
  ~ErrorCapture() { PetscPopErrorHandler(); }
  const std::string& message() const { return message_; }

 private:
  static PetscErrorCode handler(MPI_Comm, int, const char*, const char*, PetscErrorCode code,
                                PetscErrorType type, const char* message, void* self) {
    auto* capture = static_cast<ErrorCapture*>(self);
    if (type == PETSC_ERROR_INITIAL && message && capture->message_.empty())
      capture->message_ = message;
    return code;
  }
  std::string message_;
};

/// KSPSetFromOptions on a dcdm KSP with prefix "t_" and one option set; returns the error text
/// ("" when it succeeded).
std::string options_error(const std::string& option, const std::string& value,
                          const char* ksp_type = KSPDCDM) {
  DEEPSOLVE_PETSC_CALL(petsc::register_types());
  KSP ksp;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetOptionsPrefix(ksp, "t_"));
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, ksp_type));
  DEEPSOLVE_PETSC_CALL(PetscOptionsSetValue(nullptr, ("-t_" + option).c_str(), value.c_str()));
  std::string message;
  {
    ErrorCapture capture;
    if (KSPSetFromOptions(ksp) != 0) message = capture.message().empty() ? "?" : capture.message();
  }
  DEEPSOLVE_PETSC_CALL(PetscOptionsClearValue(nullptr, ("-t_" + option).c_str()));
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
  return message;
}

}  // namespace

namespace {

// What a KSPSolve left: iterations, reason and the residual history.
struct KspOutcome {
  PetscInt its = 0, length = 0;
  const PetscReal* history = nullptr;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
};

KspOutcome solve_and_read(KSP ksp, Vec b, Vec x) {
  KspOutcome out;
  DEEPSOLVE_PETSC_CALL(KSPSolve(ksp, b, x));
  DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(ksp, &out.its));
  DEEPSOLVE_PETSC_CALL(KSPGetConvergedReason(ksp, &out.reason));
  DEEPSOLVE_PETSC_CALL(KSPGetResidualHistory(ksp, &out.history, &out.length));
  return out;
}

}  // namespace

TEST(KspDcdm, IdentityModelMatchesConjugateGradient) {
  for (const auto& [name, grid] : deepsolve::testing::test_grids()) {
    SCOPED_TRACE(name);
    const Problem p(grid);
    auto x = p.pde.create_vector();
    const SolveResult cg =
        conjugate_gradient(petsc::PetscSpace{}, petsc::MatOperator{p.pde.matrix()}, p.b, x,
                           KrylovOptions().rtol(1e-8));
    ASSERT_TRUE(cg.converged());
    for (bool true_residual : {true, false}) {
      const Outcome d = solve(p, dcdm_ksp("identity", 2, true_residual));
      EXPECT_EQ(d.reason, KSP_CONVERGED_RTOL);
      EXPECT_NEAR(d.iterations, cg.iterations, 2);
      EXPECT_LE(d.true_relative_residual, 2e-8);
    }
  }
}

TEST(KspDcdm, SameIterationAsTheConjugateDirectionTemplate) {
  const Problem p(sphere_grid());
  Vec inverse_diagonal;
  DEEPSOLVE_PETSC_CALL(MatCreateVecs(p.pde.matrix(), &inverse_diagonal, nullptr));
  DEEPSOLVE_PETSC_CALL(MatGetDiagonal(p.pde.matrix(), inverse_diagonal));
  DEEPSOLVE_PETSC_CALL(VecReciprocal(inverse_diagonal));
  auto jacobi = [&](const petsc::Vector& r, petsc::Vector& q) {
    DEEPSOLVE_PETSC_CALL(VecPointwiseMult(q, inverse_diagonal, r));
  };
  for (int window : {0, 1, 2, 5}) {
    for (bool true_residual : {true, false}) {
      SCOPED_TRACE("window " + std::to_string(window) +
                   (true_residual ? ", true residual" : ", recursive residual"));
      auto x_template = p.pde.create_vector();
      const auto options = ConjugateDirectionOptions()
                               .krylov(KrylovOptions().rtol(1e-8).max_iterations(400))
                               .window(window)
                               .true_residual(true_residual);
      const SolveResult reference =
          conjugate_directions(petsc::PetscSpace{}, petsc::MatOperator{p.pde.matrix()}, jacobi, p.b,
                               x_template, options);
      auto x = p.pde.create_vector();
      const Outcome d = solve(
          p,
          [&](KSP ksp) {
            dcdm_ksp("jacobi", window, true_residual)(ksp);
            DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 1e-50, PETSC_DEFAULT, 400));
          },
          x);
      EXPECT_EQ(static_cast<int>(d.reason), static_cast<int>(reference.reason));
      EXPECT_NEAR(d.iterations, reference.iterations, 1);
      if (reference.converged()) {
        EXPECT_LE(distance(x_template, x), 1e-6);
      }
    }
  }
  DEEPSOLVE_PETSC_CALL(VecDestroy(&inverse_diagonal));
}

TEST(KspDcdm, EveryPathToJacobiDirectionsAgrees) {
  const Grid grid = sphere_grid();
  const Problem p(grid);
  auto x_native = p.pde.create_vector(), x_pc = p.pde.create_vector(),
       x_gathered = p.pde.create_vector();
  const Outcome native = solve(p, dcdm_ksp("jacobi"), x_native);
  // The KSP's own PC as the model.
  const Outcome pc = solve(
      p,
      [](KSP ksp) {
        dcdm_ksp("pc")(ksp);
        PC pc;
        DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
        DEEPSOLVE_PETSC_CALL(PCSetType(pc, PCJACOBI));
      },
      x_pc);
  // A whole-grid model: the residual gathered to every rank, the model on the whole grid.
  const Outcome gathered =
      solve(p, dcdm_with(std::make_shared<dcdm::JacobiDirection>(grid)), x_gathered);
  for (const Outcome* o : {&native, &pc, &gathered}) {
    EXPECT_EQ(o->reason, KSP_CONVERGED_RTOL);
    EXPECT_NEAR(o->iterations, native.iterations, 1);
  }
  EXPECT_LE(distance(x_native, x_pc), 1e-6);
  EXPECT_LE(distance(x_native, x_gathered), 1e-6);
  // Jacobi pays off with varying coefficients.
  EXPECT_LT(native.iterations, solve(p, dcdm_ksp("identity")).iterations);
}

TEST(KspDcdm, PcTypeInsideFlexibleCg) {
  const Grid grid = sphere_grid();
  const Problem p(grid);
  auto fcg_with = [](const char* pc_type, std::function<void(PC)> more = {}) {
    return [=](KSP ksp) {
      DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPFCG));
      PC pc;
      DEEPSOLVE_PETSC_CALL(KSPGetPC(ksp, &pc));
      DEEPSOLVE_PETSC_CALL(PCSetType(pc, pc_type));
      if (more) more(pc);
    };
  };
  const Outcome reference = solve(p, fcg_with(PCJACOBI));
  const Outcome native =
      solve(p, fcg_with(PCDCDM, [](PC pc) { DEEPSOLVE_PETSC_CALL(PCDCDMSetModel(pc, "jacobi")); }));
  // A whole-grid model is normalised and scaled back: z = f(r / ||r||) ||r||.
  const Outcome gathered = solve(p, fcg_with(PCDCDM, [&](PC pc) {
                                   DEEPSOLVE_PETSC_CALL(petsc::PCDCDMSetDirectionModel(
                                       pc, std::make_shared<dcdm::JacobiDirection>(grid)));
                                 }));
  for (const Outcome* o : {&reference, &native, &gathered}) {
    EXPECT_EQ(o->reason, KSP_CONVERGED_RTOL);
    EXPECT_NEAR(o->iterations, reference.iterations, 1);
  }
}

TEST(KspDcdm, IterationLimitIsDivergedIts) {
  const Problem p(sphere_grid());
  const Outcome d = solve(p, [](KSP ksp) {
    dcdm_ksp("identity")(ksp);
    DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 1e-50, PETSC_DEFAULT, 3));
  });
  EXPECT_EQ(d.reason, KSP_DIVERGED_ITS);
  EXPECT_EQ(d.iterations, 3);
}

TEST(KspDcdm, ZeroDirectionIsBreakdownNanIsNanOrInf) {
  const Grid grid = sphere_grid(8);
  const Problem p(grid);
  const Outcome zero = solve(p, dcdm_with(std::make_shared<ConstantDirection>(grid, 0.0)));
  EXPECT_EQ(zero.reason, KSP_DIVERGED_BREAKDOWN);
  EXPECT_EQ(zero.iterations, 0);
  const Outcome nan = solve(p, dcdm_with(std::make_shared<ConstantDirection>(
                                   grid, std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(nan.reason, KSP_DIVERGED_NANORINF);
  EXPECT_EQ(nan.iterations, 0);
}

TEST(KspDcdm, MonitorHistoryAndInitialGuess) {
  DEEPSOLVE_PETSC_CALL(petsc::register_types());
  const Problem p(sphere_grid(10));
  static int monitor_calls;
  monitor_calls = 0;
  PetscReal history[1000];
  KSP ksp;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, p.pde.matrix(), p.pde.matrix()));
  DEEPSOLVE_PETSC_CALL(KSPSetTolerances(ksp, 1e-8, 1e-50, PETSC_DEFAULT, 1000));
  dcdm_ksp("jacobi")(ksp);
  DEEPSOLVE_PETSC_CALL(KSPSetResidualHistory(ksp, history, 1000, PETSC_TRUE));
  DEEPSOLVE_PETSC_CALL(KSPMonitorSet(
      ksp,
      [](KSP, PetscInt, PetscReal, void*) -> PetscErrorCode {
        ++monitor_calls;
        return 0;
      },
      nullptr, nullptr));
  auto x = p.pde.create_vector();
  const KspOutcome out = solve_and_read(ksp, p.b, x);
  EXPECT_EQ(out.reason, KSP_CONVERGED_RTOL);
  EXPECT_GT(out.its, 5);
  EXPECT_EQ(out.length, out.its + 1);
  EXPECT_EQ(monitor_calls, out.its + 1);
  EXPECT_LE(out.history[out.its], 1e-8 * out.history[0]);
  // Solving again from the solution: converged before the first step.
  DEEPSOLVE_PETSC_CALL(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE));
  const KspOutcome again = solve_and_read(ksp, p.b, x);
  EXPECT_EQ(again.reason, KSP_CONVERGED_RTOL);
  EXPECT_EQ(again.its, 0);
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
}

TEST(KspDcdm, BadOptionValuesNameTheOption) {
  EXPECT_NE(options_error("ksp_dcdm_model", "bogus")
                .find("-t_ksp_dcdm_model bogus: not identity, jacobi, pc or a readable model file"),
            std::string::npos);
  EXPECT_NE(options_error("ksp_dcdm_window", "-3").find("-t_ksp_dcdm_window -3: must be >= 0"),
            std::string::npos);
  EXPECT_NE(options_error("ksp_dcdm_device", "gpu")
                .find("-t_ksp_dcdm_device gpu: must be cpu, cuda or auto"),
            std::string::npos);
  EXPECT_EQ(options_error("ksp_dcdm_model", "jacobi"), "");
  // The options of another type are not read at all.
  EXPECT_EQ(options_error("ksp_dcdm_window", "-3", KSPCG), "");
}

TEST(KspDcdm, MisuseOfTheCppEntryPointsIsAnError) {
  DEEPSOLVE_PETSC_CALL(petsc::register_types());
  const Grid grid = Grid::unit_box(2, 8);
  KSP ksp;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPCG));
  {
    ErrorCapture capture;
    EXPECT_NE(petsc::KSPDCDMSetDirectionModel(ksp, std::make_shared<dcdm::IdentityDirection>(grid)),
              0);
    EXPECT_NE(capture.message().find("the KSP is of type cg, not dcdm"), std::string::npos);
  }
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp, KSPDCDM));
  {
    ErrorCapture capture;
    EXPECT_NE(petsc::KSPDCDMSetDirectionModel(ksp, nullptr), 0);
    EXPECT_NE(capture.message().find("the model is null"), std::string::npos);
  }
  // A whole-grid model on an operator without a DMDA: nothing says how to order the grid.
  Mat A;
  DEEPSOLVE_PETSC_CALL(
      MatCreateConstantDiagonal(PETSC_COMM_WORLD, PETSC_DECIDE, 64, 64, 64, 2.0, &A));
  Vec b, x;
  DEEPSOLVE_PETSC_CALL(MatCreateVecs(A, &x, &b));
  DEEPSOLVE_PETSC_CALL(VecSet(b, 1.0));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, A, A));
  DEEPSOLVE_PETSC_CALL(
      petsc::KSPDCDMSetDirectionModel(ksp, std::make_shared<dcdm::IdentityDirection>(grid)));
  {
    ErrorCapture capture;
    EXPECT_NE(KSPSolve(ksp, b, x), 0);
    EXPECT_NE(capture.message().find("needs to know the grid"), std::string::npos)
        << capture.message();
  }
  // Jacobi on a matrix that cannot give its diagonal.
  Mat shell;
  DEEPSOLVE_PETSC_CALL(
      MatCreateShell(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, 64, 64, nullptr, &shell));
  KSP ksp2;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp2));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp2, shell, shell));
  DEEPSOLVE_PETSC_CALL(KSPSetType(ksp2, KSPDCDM));
  DEEPSOLVE_PETSC_CALL(KSPDCDMSetModel(ksp2, "jacobi"));
  {
    ErrorCapture capture;
    EXPECT_NE(KSPSetUp(ksp2), 0);
    EXPECT_NE(capture.message().find("-ksp_dcdm_model jacobi needs the diagonal"),
              std::string::npos)
        << capture.message();
  }
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp2));
  DEEPSOLVE_PETSC_CALL(MatDestroy(&shell));
  DEEPSOLVE_PETSC_CALL(VecDestroy(&b));
  DEEPSOLVE_PETSC_CALL(VecDestroy(&x));
  DEEPSOLVE_PETSC_CALL(MatDestroy(&A));
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
}

TEST(KspDcdm, TheUsersConvergenceTestDecides) {
  DEEPSOLVE_PETSC_CALL(petsc::register_types());
  const Problem p(sphere_grid(10));
  PetscReal history[100];
  KSP ksp;
  DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
  DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, p.pde.matrix(), p.pde.matrix()));
  dcdm_ksp("jacobi")(ksp);
  DEEPSOLVE_PETSC_CALL(KSPSetResidualHistory(ksp, history, 100, PETSC_TRUE));
  DEEPSOLVE_PETSC_CALL(KSPSetConvergenceTest(
      ksp,
      [](KSP, PetscInt it, PetscReal, KSPConvergedReason* reason, void*) -> PetscErrorCode {
        *reason = it >= 4 ? KSP_CONVERGED_ITS : KSP_CONVERGED_ITERATING;
        return 0;
      },
      nullptr, nullptr));
  auto x = p.pde.create_vector();
  const KspOutcome out = solve_and_read(ksp, p.b, x);
  EXPECT_EQ(out.reason, KSP_CONVERGED_ITS);
  EXPECT_EQ(out.its, 4);
  EXPECT_EQ(out.length, 5);
  DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
}

TEST(KspDcdm, AWindowThatCannotFitIsRefusedBeforeAllocating) {
  // The bound on the option itself: no allocation is even tried.
  for (const char* window : {"10001", "1000000000", "2147483647"}) {
    const std::string message = options_error("ksp_dcdm_window", window);
    EXPECT_NE(message.find(std::string("-t_ksp_dcdm_window ") + window + ": must be <= 10000"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(options_error("ksp_dcdm_window", "10000"), "");
  // Within the bound, the work vectors are checked against the memory available (here a stated
  // 20 MiB: 2 (100 + 1) + 3 vectors of 32^3 doubles are 54 MB).
  const Problem p(Grid::unit_box(3, 32));
  auto set_up = [&](PetscInt window) {
    KSP ksp;
    DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, &ksp));
    DEEPSOLVE_PETSC_CALL(KSPSetOperators(ksp, p.pde.matrix(), p.pde.matrix()));
    dcdm_ksp("identity", window)(ksp);
    std::string message;
    {
      ErrorCapture capture;
      if (KSPSetUp(ksp) != 0) message = capture.message().empty() ? "?" : capture.message();
    }
    DEEPSOLVE_PETSC_CALL(KSPDestroy(&ksp));
    return message;
  };
  ASSERT_EQ(setenv("DEEPSOLVE_MEMORY_AVAILABLE", "20M", 1), 0);
  const std::string refused = set_up(100);
  const std::string accepted = set_up(2);
  unsetenv("DEEPSOLVE_MEMORY_AVAILABLE");
  EXPECT_NE(refused.find("-ksp_dcdm_window 100 needs about"), std::string::npos) << refused;
  EXPECT_NE(refused.find("DEEPSOLVE_MEMORY_AVAILABLE"), std::string::npos) << refused;
  EXPECT_EQ(accepted, "");
}
