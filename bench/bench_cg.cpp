// bench_cg: time per CG iteration of the library's conjugate_gradient against PETSc's KSPCG
// (PCNONE, unpreconditioned residual norm) on the same problem, a fixed number of iterations each
// (rtol 0, atol 0, so every solver stops at max_it and the counts match).
//
//   bench_cg --json results/cg.json [--size 128] [--dim 3] [--geometry sphere] [--iterations 100]
//            [--reps 5] [--quick]
//
// Variants (all on one MPI rank, same b, zero initial guess):
//   lib-mf-direct  conjugate_gradient over PetscSpace, StencilOperator applied straight to the Vec
//                  arrays (one rank owns the whole grid, so no ghost exchange is needed)
//   lib-mf-shell   conjugate_gradient over PetscSpace, DmdaPoisson::matrix_free() (the MATSHELL:
//                  ghost exchange through the DMDA when the rank has neighbours, then the stencil)
//                  -- the operator a distributed solve uses
//   lib-aij        conjugate_gradient over PetscSpace, the assembled MATAIJ
//   petsc-aij      KSPCG + PCNONE on the MATAIJ: the baseline
//   petsc-shell    KSPCG + PCNONE on the MATSHELL
//   lib-mf-eigen   conjugate_gradient over EigenSpace with the StencilOperator (vector operations
//   on
//                  plain arrays, not PETSc Vecs; for reference)
// The time per iteration is the solve time over the iterations (it includes the setup of the solve
// and the final true-residual check, about one iteration's worth in 100).
#include <petscksp.h>

#include <Eigen/Core>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/petsc/classical.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/petsc/vector.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"
#include "petsc_main.hpp"

namespace {

using namespace deepsolve;
using bench::Json;
using bench::Timing;

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {"quick"});
  const bool quick = args.has("quick");
  const std::string json_path = args.get("json", "");
  const int dim = args.get_int("dim", 3);
  const int n = args.get_int("size", quick ? 48 : 128);
  const std::string geometry = args.get("geometry", "sphere");
  const int max_it = args.get_int("iterations", quick ? 20 : 100);
  const int reps = args.get_int("reps", 5);

  PetscMPIInt size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (size != 1) {
    std::fprintf(stderr, "bench_cg runs on one MPI rank\n");
    return 2;
  }

  solvers::Grid grid = solvers::Grid::unit_box(dim, n);
  solvers::apply_geometry(grid, geometry);
  petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
  const solvers::StencilOperator op(grid);
  const std::int64_t rows = grid.num_cells();

  std::vector<double> b_values(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i)
    b_values[static_cast<std::size_t>(i)] =
        solvers::hashed_normal(7, static_cast<std::uint64_t>(i));
  petsc::Vector b = problem.create_vector();
  petsc::Vector x = problem.create_vector();
  problem.set_from_grid_field(b_values, b);
  problem.project_out_null_space(b);  // a no-op unless the geometry leaves floating regions

  const auto options = solvers::KrylovOptions().rtol(0.0).atol(0.0).max_iterations(max_it);
  const petsc::PetscSpace space;

  // The matrix-free operator straight on the Vec arrays (one rank: the owned box is the grid).
  auto direct = [&](const petsc::Vector& in, petsc::Vector& out) {
    const PetscScalar* xa;
    PetscScalar* ya;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(in, &xa));
    DEEPSOLVE_PETSC_CALL(VecGetArrayWrite(out, &ya));
    op.apply(xa, ya);
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayWrite(out, &ya));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(in, &xa));
  };

  int last_iterations = 0;
  auto library = [&](auto&& A) {
    return [&, A]() {
      const solvers::SolveResult r = solvers::conjugate_gradient(space, A, b, x, options);
      last_iterations = r.iterations;
      return r.residual_history.back();
    };
  };

  KSP ksp_aij, ksp_shell;
  for (auto [ksp, mat] :
       {std::pair{&ksp_aij, problem.matrix()}, {&ksp_shell, problem.matrix_free()}}) {
    DEEPSOLVE_PETSC_CALL(KSPCreate(PETSC_COMM_WORLD, ksp));
    DEEPSOLVE_PETSC_CALL(KSPSetOperators(*ksp, mat, mat));
    petsc::configure_classical_ksp(*ksp, "cg", problem, 0.0, 0.0, max_it);
    DEEPSOLVE_PETSC_CALL(KSPSetUp(*ksp));
  }
  auto petsc_solve = [&](KSP ksp) {
    return [&, ksp]() {
      DEEPSOLVE_PETSC_CALL(KSPSolve(ksp, b, x));
      PetscInt its;
      PetscReal rnorm;
      DEEPSOLVE_PETSC_CALL(KSPGetIterationNumber(ksp, &its));
      DEEPSOLVE_PETSC_CALL(KSPGetResidualNorm(ksp, &rnorm));
      last_iterations = static_cast<int>(its);
      return static_cast<double>(rnorm);
    };
  };

  const std::vector<double> b_owned = problem.owned_values(b);
  const Eigen::VectorXd b_eigen = Eigen::Map<const Eigen::VectorXd>(b_owned.data(), rows);
  Eigen::VectorXd x_eigen(rows);
  auto eigen_solve = [&]() {
    auto A = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) {
      op.apply(in.data(), out.data());
    };
    const solvers::SolveResult r =
        solvers::conjugate_gradient(solvers::EigenSpace{}, A, b_eigen, x_eigen, options);
    last_iterations = r.iterations;
    return r.residual_history.back();
  };

  struct Spec {
    const char* name;
    const char* description;
    std::function<double()> solve;
  };
  const std::vector<Spec> specs = {
      {"petsc-aij", "PETSc KSPCG + PCNONE, assembled MATAIJ (baseline)", petsc_solve(ksp_aij)},
      {"lib-mf-direct", "library CG, PetscSpace, StencilOperator on the Vec arrays",
       library(direct)},
      {"lib-mf-shell", "library CG, PetscSpace, DMDA MATSHELL (DmdaPoisson::matrix_free)",
       library(petsc::MatOperator{problem.matrix_free()})},
      {"lib-aij", "library CG, PetscSpace, assembled MATAIJ",
       library(petsc::MatOperator{problem.matrix()})},
      {"petsc-shell", "PETSc KSPCG + PCNONE, DMDA MATSHELL", petsc_solve(ksp_shell)},
      {"lib-mf-eigen", "library CG, EigenSpace (plain arrays), StencilOperator", eigen_solve},
  };

  // Operator applies on their own, to split an iteration into operator and vector work.
  petsc::Vector p = problem.create_vector();
  petsc::Vector q = problem.create_vector();
  DEEPSOLVE_PETSC_CALL(VecCopy(b, p));
  Json applies = Json::object();
  const std::vector<Timing> t_apply = bench::time_interleaved(
      {[&] { direct(p, q); }, [&] { DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix_free(), p, q)); },
       [&] { DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix(), p, q)); }},
      10);
  const Timing &t_direct = t_apply[0], &t_shell = t_apply[1], &t_aij = t_apply[2];
  applies["matrix_free_direct"] = t_direct.to_json();
  applies["dmda_shell"] = t_shell.to_json();
  applies["aij"] = t_aij.to_json();
  // The vector operations of a CG iteration on their own: PetscSpace (PETSc Vec calls) against the
  // same operations on plain arrays (EigenSpace), in GB/s as STREAM counts (no write-allocate).
  Json vector_ops = Json::array();
  {
    const solvers::EigenSpace eigen;
    Eigen::VectorXd ea = b_eigen, eb = b_eigen;
    petsc::Vector pa = problem.create_vector(), pb = problem.create_vector();
    DEEPSOLVE_PETSC_CALL(VecCopy(b, pa));
    DEEPSOLVE_PETSC_CALL(VecCopy(b, pb));
    volatile double sink = 0.0;
    struct Op {
      const char* name;
      double bytes_per_row;
      std::function<void()> petsc, plain;
    };
    const std::vector<Op> ops = {
        {"dot", 16, [&] { sink = space.dot(pa, pb); }, [&] { sink = eigen.dot(ea, eb); }},
        {"axpy", 24, [&] { space.axpy(1e-9, pa, pb); }, [&] { eigen.axpy(1e-9, ea, eb); }},
        {"aypx", 24, [&] { space.aypx(0.5, pa, pb); }, [&] { eigen.aypx(0.5, ea, eb); }},
    };
    std::printf("vector operations on %lld rows (GB/s without write-allocate):\n",
                static_cast<long long>(rows));
    for (const Op& op : ops) {
      const std::vector<Timing> t = bench::time_interleaved({op.petsc, op.plain}, 10);
      const double bytes = op.bytes_per_row * static_cast<double>(rows);
      Json j = Json::object();
      j["operation"] = op.name;
      j["bytes"] = bytes;
      j["petsc_space"] = t[0].to_json();
      j["eigen_space"] = t[1].to_json();
      j["petsc_space_gbs"] = bytes / t[0].best_s * 1e-9;
      j["eigen_space_gbs"] = bytes / t[1].best_s * 1e-9;
      std::printf("  %-5s PetscSpace %9s %6.1f GB/s   EigenSpace %9s %6.1f GB/s\n", op.name,
                  bench::format_time(t[0].best_s).c_str(), bytes / t[0].best_s * 1e-9,
                  bench::format_time(t[1].best_s).c_str(), bytes / t[1].best_s * 1e-9);
      vector_ops.push_back(std::move(j));
    }
    std::printf("\n");
    (void)sink;
  }

  auto apply_time = [&](const std::string& name) {
    if (name == "lib-mf-direct" || name == "lib-mf-eigen") return t_direct.best_s;
    if (name == "lib-mf-shell" || name == "petsc-shell") return t_shell.best_s;
    return t_aij.best_s;
  };

  Json doc = bench::petsc_results("cg", argc, argv);
  Json prob = Json::object();
  prob["description"] = grid.describe();
  prob["dim"] = dim;
  prob["size"] = n;
  prob["geometry"] = geometry;
  prob["rows"] = rows;
  doc["problem"] = std::move(prob);
  doc["max_iterations"] = max_it;
  doc["repetitions"] = reps;
  doc["apply"] = std::move(applies);
  doc["vector_operations"] = std::move(vector_ops);

  std::printf("%s, %d CG iterations (rtol 0), best of %d solves\n\n", grid.describe().c_str(),
              max_it, reps);
  std::printf("%-14s %6s %12s %12s %12s %12s %9s  %s\n", "variant", "its", "per it", "median",
              "operator", "vectors+", "vs PETSc", "final ||r||");
  // The solves are interleaved (one of each variant per round), so that other load on the machine
  // hits all variants alike.
  std::vector<int> its(specs.size(), 0);
  std::vector<double> rnorms(specs.size(), 0.0);
  std::vector<std::function<void()>> solves;
  for (std::size_t i = 0; i < specs.size(); ++i)
    solves.push_back([&, i] {
      rnorms[i] = specs[i].solve();
      its[i] = last_iterations;
    });
  const std::vector<Timing> timings = bench::time_interleaved(solves, reps, 0.0);
  Json variants = Json::array();
  const double baseline = timings[0].best_s / its[0];
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    const Timing& t = timings[i];
    const double per_it = t.best_s / its[i];
    const double per_it_median = t.median_s / its[i];
    const double op_s = apply_time(s.name);
    Json v = Json::object();
    v["name"] = s.name;
    v["description"] = s.description;
    v["iterations"] = its[i];
    v["solve"] = t.to_json();
    v["per_iteration_best_s"] = per_it;
    v["per_iteration_median_s"] = per_it_median;
    v["operator_apply_s"] = op_s;
    v["other_per_iteration_s"] = per_it - op_s;
    v["speedup_vs_petsc_cg"] = baseline / per_it;
    v["final_residual_norm"] = rnorms[i];
    std::printf("%-14s %6d %12s %12s %12s %12s %8.2fx  %.6e\n", s.name, its[i],
                bench::format_time(per_it).c_str(), bench::format_time(per_it_median).c_str(),
                bench::format_time(op_s).c_str(), bench::format_time(per_it - op_s).c_str(),
                baseline / per_it, rnorms[i]);
    variants.push_back(std::move(v));
  }
  doc["variants"] = std::move(variants);
  std::printf(
      "\n'operator' is one apply timed on its own; 'vectors+' is the rest of an iteration (vector "
      "operations, reductions, call overhead).\n");

  KSPDestroy(&ksp_aij);
  KSPDestroy(&ksp_shell);
  bench::write_results(json_path, doc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return deepsolve::bench::petsc_main("bench_cg", run, argc, argv);
}
