// bench_bcd_trees: label propagation on a large lattice (the issue's target: "greedy-tree BCD
// against the library's CG, time to 1e-8 relative residual"). The quadratic is dataset D of
// Nutini, Laradji & Schmidt (JMLR 2022) made large: a size x size 4-neighbour lattice, every
// weight 1e5, labels with N(0, 100) values on a random `label-fraction` of the nodes (D has 100
// on 2500 nodes: 4%), A = L_uu, b = W_ul y_l (deepsolve/solvers/bcd/graph_quadratic.hpp).
//
//   bench_bcd_trees --json results/bcd_trees.json [--size 1000] [--label-fraction 0.04]
//                   [--labels N] [--tol 1e-8] [--max-seconds 600] [--seed 1] [--quick]
//
// Methods, all from x = 0, one thread, one run each, stopping at ||b - A x|| / ||b|| <= tol:
//   cg               the library's conjugate_gradient (krylov/cg.hpp) over EigenSpace, A as an
//                    Eigen row-major CSR matrix (the faster product for CG)
//   cg-jacobi        the same with the Jacobi preconditioner z = r ./ diag(A) (a lambda: the
//                    library has no named Jacobi preconditioner for EigenSpace)
//   greedy-tree      tree BCD (tree_bcd.hpp): Greedy Tree blocks solved by message passing
//   tree-partitions  tree BCD with the lattice's two fixed combs (Tree Partitions)
// BCD checks the residual on its incrementally kept gradient and confirms it on a recomputed
// one; every method's final residual is recomputed here from its x. BCD runs stop after
// --max-seconds (reported as not converged). The problem set-up is timed separately.
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "deepsolve/solvers/bcd/graph_quadratic.hpp"
#include "deepsolve/solvers/bcd/tree_bcd.hpp"
#include "deepsolve/solvers/krylov/cg.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"

namespace {

using namespace deepsolve;
using bench::Json;

struct MethodResult {
  std::string name;
  double seconds = 0;
  int iterations = 0;
  double relative_residual = 0;
  bool converged = false;
  std::string note;
  Json to_json() const {
    Json j;
    j["method"] = name;
    j["seconds"] = seconds;
    j["iterations"] = iterations;
    j["relative_residual"] = relative_residual;
    j["converged"] = converged;
    if (!note.empty()) j["note"] = note;
    return j;
  }
};

void print_row(const MethodResult& r) {
  std::printf("  %-16s %10s %9d  %9.2e  %s\n", r.name.c_str(),
              bench::format_time(r.seconds).c_str(), r.iterations, r.relative_residual,
              r.converged ? "converged" : "NOT converged");
  std::fflush(stdout);
}

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {"quick"});
  const bool quick = args.has("quick");
  const std::string json_path = args.get("json", "");
  const int size = args.get_int("size", quick ? 200 : 1000);
  const double fraction = args.get_double("label-fraction", 0.04);
  const double tol = args.get_double("tol", 1e-8);
  const double max_seconds = args.get_double("max-seconds", quick ? 60 : 600);
  const int seed = args.get_int("seed", 1);
  if (size < 2) throw std::invalid_argument("--size must be >= 2");
  if (!(fraction > 0 && fraction < 1))
    throw std::invalid_argument("--label-fraction must be in (0, 1)");
  if (!(tol > 0)) throw std::invalid_argument("--tol must be > 0");
  if (!(max_seconds > 0)) throw std::invalid_argument("--max-seconds must be > 0");
  const long long nodes = static_cast<long long>(size) * size;
  const int labels =
      args.get_int("labels", std::max(1, static_cast<int>(fraction * static_cast<double>(nodes))));
  Eigen::setNbThreads(1);
  const Json machine = bench::machine_info(argc, argv);

  auto t0 = std::chrono::steady_clock::now();
  const bcd::GraphQuadratic problem = bcd::label_propagation_quadratic(
      bcd::lattice_graph(size, size, 1e5, labels, 10.0, static_cast<std::uint64_t>(seed)));
  const double setup_s = bench::seconds_since(t0);
  const int n = problem.size();
  std::printf(
      "bench_bcd_trees: %d x %d lattice, %d labels, %d unknowns, nnz(A) = %lld, set-up "
      "%s; to ||b - Ax||/||b|| <= %.0e, from x = 0, one thread\n",
      size, size, labels, n, static_cast<long long>(problem.A.nonZeros()),
      bench::format_time(setup_s).c_str(), tol);
  std::printf("  %-16s %10s %9s  %9s\n", "method", "time", "its", "residual");

  std::vector<MethodResult> results;
  {
    const Eigen::SparseMatrix<double, Eigen::RowMajor> A = problem.A;
    const Eigen::VectorXd inverse_diagonal = problem.A.diagonal().cwiseInverse();
    const solvers::EigenSpace space;
    auto apply = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out.noalias() = A * in; };
    auto jacobi = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) {
      z = r.cwiseProduct(inverse_diagonal);
    };
    const auto options = solvers::KrylovOptions().rtol(tol).max_iterations(100000000);
    for (bool preconditioned : {false, true}) {
      Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
      t0 = std::chrono::steady_clock::now();
      const solvers::SolveResult r =
          preconditioned ? solvers::conjugate_gradient(space, apply, problem.b, x, options, jacobi)
                         : solvers::conjugate_gradient(space, apply, problem.b, x, options);
      MethodResult m;
      m.seconds = bench::seconds_since(t0);
      m.name = preconditioned ? "cg-jacobi" : "cg";
      m.iterations = r.iterations;
      m.relative_residual = bcd::relative_residual(problem, x);
      m.converged = m.relative_residual <= tol;
      m.note = solvers::to_string(r.reason);
      print_row(m);
      results.push_back(m);
    }
  }
  for (bcd::TreeBlockRule rule :
       {bcd::TreeBlockRule::tree_partitions, bcd::TreeBlockRule::greedy_tree}) {
    bcd::TreeBcdOptions options;
    options.rule = rule;
    options.max_iterations = 100000000;
    options.relative_residual_tolerance = tol;
    options.trace_every = 0;
    options.max_seconds = max_seconds;
    t0 = std::chrono::steady_clock::now();
    const bcd::TreeBcdResult r = bcd::tree_bcd(problem, options);
    MethodResult m;
    m.seconds = bench::seconds_since(t0);
    m.name = rule == bcd::TreeBlockRule::greedy_tree ? "greedy-tree" : "tree-partitions";
    m.iterations = r.iterations;
    m.relative_residual = r.relative_residual;
    m.converged = r.converged;
    char note[160];
    std::snprintf(note, sizeof note,
                  "mean block %.0f unknowns (%.0f%% of n), %.2f ms per iteration%s",
                  r.mean_block_size, 100.0 * r.mean_block_size / n,
                  r.iterations ? 1e3 * r.seconds / r.iterations : 0.0,
                  r.out_of_time ? ", stopped by --max-seconds" : "");
    m.note = note;
    print_row(m);
    std::printf("  %-16s %s\n", "", note);
    results.push_back(m);
  }
  const double cg_s = results[0].seconds;
  Json doc;
  doc["benchmark"] = "bcd_trees";
  doc["machine"] = machine;
  doc["problem"] = {{"kind", "label propagation, lattice (dataset D of Nutini et al. made large)"},
                    {"rows", size},
                    {"cols", size},
                    {"weight", 1e5},
                    {"labels", labels},
                    {"label_std", 10.0},
                    {"unknowns", n},
                    {"nnz", static_cast<long long>(problem.A.nonZeros())},
                    {"seed", seed},
                    {"setup_seconds", setup_s}};
  doc["tolerance"] = tol;
  doc["threads"] = 1;
  Json rows = Json::array();
  for (const auto& r : results) {
    Json j = r.to_json();
    j["time_over_cg"] = cg_s > 0 ? r.seconds / cg_s : 0.0;
    rows.push_back(j);
  }
  doc["methods"] = rows;
  std::printf("  time / CG: ");
  for (const auto& r : results)
    std::printf("%s %.1fx%s  ", r.name.c_str(), cg_s > 0 ? r.seconds / cg_s : 0.0,
                r.converged ? "" : " (not converged)");
  std::printf("\n");
  bench::write_results(json_path, doc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_main("bench_bcd_trees", run, argc, argv);
}
