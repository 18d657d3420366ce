// bench_stencil: the matrix-free StencilOperator::apply against PETSc's assembled MatMult (MATAIJ)
// and the DMDA MATSHELL apply (DmdaPoisson::apply_matrix_free: ghost exchange when the rank has
// neighbours, then the stencil; what CG calls), next to the STREAM triad measured in the same run
// and a triad on arrays as long as x and y.
//
//   bench_stencil --json results/stencil.json [--reps 20] [--size3d 128] [--size2d 2048]
//                 [--stream-elements 20000000] [--quick]
//
// Bytes are counted as streamed once, without write-allocate traffic (as STREAM counts):
//   matrix-free: StencilOperator::bytes_per_apply() = x + y + the metadata the apply reads
//                (constant coefficients: the row and run tables and a 2 B class per cell of a
//                mixed run, about 0.2 B/row; variable coefficients: 7 doubles per row);
//   AIJ:         nz * (8 B value + sizeof(PetscInt) column index) + (rows + 1) * sizeof(PetscInt)
//                row pointers + x + y (8 B each per row);
//   MATSHELL:    the matrix-free bytes (the useful work); a ghost exchange, where there is one, is
//                extra traffic that is not counted.
// Runs on one MPI rank. PETSc options can be given through the PETSC_OPTIONS environment variable.
#include <petscmat.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/petsc/dmda_poisson.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"
#include "petsc_main.hpp"

namespace {

using namespace deepsolve;
using bench::Json;
using bench::Timing;

struct Case {
  int dim;
  int n;
  std::string geometry;
  bool variable;
  std::string name() const {
    return std::to_string(dim) + "d_" + std::to_string(n) + "_" + geometry +
           (variable ? "_varcoef" : "");
  }
};

solvers::Grid make_grid(const Case& c) {
  solvers::Grid grid = solvers::Grid::unit_box(c.dim, c.n);
  solvers::apply_geometry(grid, c.geometry);
  if (c.variable) {
    std::vector<double> k(static_cast<std::size_t>(grid.num_cells()));
    solvers::SplitMix64 rng(2024);
    for (auto& v : k) v = 0.1 + 10.0 * rng.uniform();
    grid.set_coefficients(std::move(k));
  }
  return grid;
}

Json kernel_json(const Timing& t, double bytes) {
  Json j = Json::object();
  j["timing"] = t.to_json();
  j["bytes"] = bytes;
  j["best_gbs"] = bytes / t.best_s * 1e-9;
  j["median_gbs"] = bytes / t.median_s * 1e-9;
  return j;
}

Json run_case(const Case& c, int reps, bench::StreamTriad& triad, double run_stream_gbs) {
  const solvers::Grid grid = make_grid(c);
  petsc::DmdaPoisson problem(PETSC_COMM_WORLD, grid);
  const solvers::StencilOperator op(grid);
  const std::int64_t rows = grid.num_cells();

  std::vector<double> x(static_cast<std::size_t>(rows)), y(x.size(), 0.0);
  for (std::int64_t i = 0; i < rows; ++i)
    x[static_cast<std::size_t>(i)] = solvers::hashed_normal(1, static_cast<std::uint64_t>(i));
  petsc::Vector xv = problem.create_vector();
  petsc::Vector yv = problem.create_vector();
  problem.set_from_grid_field(x, xv);

  // A second triad on arrays as long as x and y: on a machine whose last-level cache holds x and
  // y but not the STREAM arrays, the apply would otherwise be compared with a slower memory level.
  bench::StreamTriad same_size_triad(rows);

  // Interleaved sample by sample, with a sample of each triad every round, so that other load on
  // a shared machine hits the kernels and their references alike.
  const std::vector<Timing> t = bench::time_interleaved(
      {[&] { op.apply(x.data(), y.data()); },
       [&] { DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix(), xv, yv)); },
       [&] { DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix_free(), xv, yv)); }, [&] { triad.run(); },
       [&] { same_size_triad.run(); }},
      reps);
  const Timing& mf = t[0];
  const Timing& aij = t[1];
  const Timing& shell = t[2];
  const bench::StreamResult stream = bench::stream_result(triad, t[3]);
  const double stream_gbs = stream.best_gbs;
  const bench::StreamResult same_size = bench::stream_result(same_size_triad, t[4]);
  // Largest difference between the matrix-free result and MatMult, relative to max |Ax|.
  op.apply(x.data(), y.data());
  DEEPSOLVE_PETSC_CALL(MatMult(problem.matrix(), xv, yv));
  const std::vector<double> y_aij = problem.owned_values(yv);
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    diff = std::max(diff, std::abs(y[i] - y_aij[i]));
    scale = std::max(scale, std::abs(y_aij[i]));
  }

  MatInfo info;
  DEEPSOLVE_PETSC_CALL(MatGetInfo(problem.matrix(), MAT_LOCAL, &info));
  const double nz = info.nz_used;
  const double aij_bytes = nz * (sizeof(PetscScalar) + sizeof(PetscInt)) +
                           static_cast<double>(rows + 1) * sizeof(PetscInt) +
                           2.0 * static_cast<double>(rows) * sizeof(PetscScalar);
  const double mf_bytes = static_cast<double>(op.bytes_per_apply());

  Json j = Json::object();
  j["name"] = c.name();
  j["dim"] = c.dim;
  j["size"] = c.n;
  j["geometry"] = c.geometry;
  j["coefficients"] = c.variable ? "variable" : "constant";
  j["rows"] = rows;
  j["solid_cells"] = grid.count(solvers::CellType::solid);
  j["aij_nonzeros"] = static_cast<std::int64_t>(nz);
  j["matrix_free"] = kernel_json(mf, mf_bytes);
  j["petsc_aij"] = kernel_json(aij, aij_bytes);
  j["dmda_shell"] = kernel_json(shell, mf_bytes);
  j["speedup_matrix_free_vs_aij"] = aij.best_s / mf.best_s;
  j["speedup_shell_vs_aij"] = aij.best_s / shell.best_s;
  j["stream_triad"] = stream.to_json();
  j["stream_triad_same_size"] = same_size.to_json();
  // Against the triad sampled alongside (the figure the targets use) and the run's best triad.
  j["matrix_free_fraction_of_stream"] = mf_bytes / mf.best_s * 1e-9 / stream_gbs;
  j["aij_fraction_of_stream"] = aij_bytes / aij.best_s * 1e-9 / stream_gbs;
  j["matrix_free_fraction_of_run_stream"] = mf_bytes / mf.best_s * 1e-9 / run_stream_gbs;
  j["matrix_free_fraction_of_same_size_triad"] = mf_bytes / mf.best_s * 1e-9 / same_size.best_gbs;
  j["max_relative_difference_vs_aij"] = scale > 0.0 ? diff / scale : diff;
  return j;
}

void print_row(const Json& r) {
  const auto num = [](const Json& j, const char* key) { return j.at(key).get<double>(); };
  const Json& mf = r.at("matrix_free");
  const Json& aij = r.at("petsc_aij");
  const Json& sh = r.at("dmda_shell");
  std::printf(
      "%-24s %9.0f | %6.1f %6.1f | %9s %6.1f %5.0f%% %5.0f%% | %9s %6.1f | %9s %6.1f | %5.2fx "
      "%5.2fx | %.1e\n",
      r.at("name").get<std::string>().c_str(), num(r, "rows"),
      num(r.at("stream_triad"), "best_gbs"), num(r.at("stream_triad_same_size"), "best_gbs"),
      bench::format_time(num(mf.at("timing"), "best_s")).c_str(), num(mf, "best_gbs"),
      100.0 * num(r, "matrix_free_fraction_of_stream"),
      100.0 * num(r, "matrix_free_fraction_of_same_size_triad"),
      bench::format_time(num(aij.at("timing"), "best_s")).c_str(), num(aij, "best_gbs"),
      bench::format_time(num(sh.at("timing"), "best_s")).c_str(), num(sh, "best_gbs"),
      num(r, "speedup_matrix_free_vs_aij"), num(r, "speedup_shell_vs_aij"),
      num(r, "max_relative_difference_vs_aij"));
  std::fflush(stdout);
}

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {"quick"});
  const bool quick = args.has("quick");
  const std::string json_path = args.get("json", "");
  const int reps = args.get_int("reps", quick ? 5 : 20);
  const int n3 = args.get_int("size3d", quick ? 48 : 128);
  const int n2 = args.get_int("size2d", quick ? 512 : 2048);
  const auto stream_n =
      static_cast<std::int64_t>(args.get_double("stream-elements", quick ? 4e6 : 2e7));

  PetscMPIInt size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (size != 1) {
    std::fprintf(stderr, "bench_stencil runs on one MPI rank\n");
    return 2;
  }

  Json doc = bench::petsc_results("stencil", argc, argv);
  doc["sizeof_petsc_int"] = static_cast<int>(sizeof(PetscInt));
  doc["repetitions"] = reps;

  bench::StreamTriad triad(stream_n);
  const bench::StreamResult stream = bench::stream_triad(triad, std::max(reps / 2, 5));
  doc["stream_triad"] = stream.to_json();
  std::printf(
      "STREAM triad (a = b + s*c, 3 x %.0f MiB, 24 B/element): best %.1f GB/s, median %.1f "
      "GB/s\n\n",
      static_cast<double>(stream_n) * 8.0 / (1 << 20), stream.best_gbs, stream.median_gbs);
  std::printf("%-24s %9s | %-13s | %-30s | %-16s | %-16s | %-13s | %s\n", "case", "rows",
              " triad  same", "matrix-free  GB/s   %tr  %same", "AIJ MatMult GB/s",
              "DMDA shell  GB/s", "MF/AIJ Sh/AIJ", "max rel diff");

  const std::vector<Case> cases = {
      {3, n3, "empty", false}, {3, n3, "sphere", false}, {3, n3, "sphere", true},
      {2, n2, "empty", false}, {2, n2, "sphere", false}, {2, n2, "sphere", true},
  };
  Json rows = Json::array();
  for (const Case& c : cases) {
    Json r = run_case(c, reps, triad, stream.best_gbs);
    print_row(r);
    rows.push_back(std::move(r));
  }
  doc["cases"] = std::move(rows);
  std::printf(
      "\nTimes are the best of %d samples per call; GB/s from bytes_per_apply() (matrix-free and "
      "DMDA shell) and the AIJ arrays + x + y (MatMult); 'triad' is the STREAM triad GB/s sampled "
      "alongside each case, 'same' a triad on arrays of the case's rows, and %%tr and %%same the "
      "matrix-free GB/s as a share of each.\n",
      reps);
  bench::write_results(json_path, doc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return deepsolve::bench::petsc_main("bench_stencil", run, argc, argv);
}
