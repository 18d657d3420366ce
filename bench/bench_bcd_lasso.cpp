// bench_bcd_lasso: our Lasso (deepsolve/solvers/bcd/lasso.hpp: working-set coordinate descent
// with gap-safe screening) against scikit-learn's Lasso / lasso_path (bench/bcd_lasso_sklearn.py)
// and R's glmnet (bench/bcd_lasso_glmnet.R), on two seeded problems:
//   dense   1000 x 10000, Gaussian with correlated neighbouring columns (x_j = 0.5 x_{j-1} +
//           sqrt(0.75) g_j), w* 10% nonzero, y = X w* + noise: dataset A of Nutini et al.'s
//           experiments, dense;
//   sparse  20000 x 100000 at 0.1% density (Gaussian values at uniform positions), w* 1%
//           nonzero: a LIBSVM-like design;
// one alpha with about 1% nonzeros in the solution (taken from our path) and the 100-alpha path
// alpha_max .. alpha_max / 100 (log-spaced, warm starts), all to a duality gap of
// 1e-6 ||y||^2 / (2n). Every solution's objective and gap are computed here the same way
// (lasso_certificate), so a solver that stopped early shows it. All three run on one thread;
// "time_s" is the CPU time of the best of --reps runs (one run when it takes over 10 s), which on
// a shared machine does not grow with the other processes' load ("wall_s" is the wall time of
// that run).
//
//   bench_bcd_lasso [--json FILE] [--work DIR] [--quick] [--reps N] [--tol T]
//                   [--python /usr/bin/python3] [--rscript Rscript] [--no-sklearn] [--no-glmnet]
//                   [--glmnet-thresh 1e-9,1e-11,...] [--glmnet-timeout S]
//                   [--sklearn-path-budget S]
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "deepsolve/solvers/bcd/lasso.hpp"
#include "deepsolve/solvers/random.hpp"

namespace {

namespace bench = deepsolve::bench;
namespace bcd = deepsolve::bcd;
using bench::Json;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Sparse = Eigen::SparseMatrix<double>;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

struct Problem {
  std::string name;
  bool sparse = false;
  MatrixXd Xd;
  Sparse Xs;
  VectorXd y;
  Index n = 0, p = 0;
  std::string x_path;  // dense: the raw file; sparse: the prefix of the CSC arrays
  std::string y_path, alphas_path;
};

template <class T>
void write_raw(const std::string& path, const T* data, std::size_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
  if (!out) throw std::runtime_error("cannot write " + path);
}

template <class T>
std::vector<T> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const auto bytes = static_cast<std::size_t>(in.tellg());
  std::vector<T> v(bytes / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
  return v;
}

// p x k coefficients as CSC arrays (<prefix>.indptr int32, .indices int32, .data float64).
Sparse read_coefs(const std::string& prefix, Index p) {
  const auto indptr = read_raw<std::int32_t>(prefix + ".indptr");
  const auto indices = read_raw<std::int32_t>(prefix + ".indices");
  const auto data = read_raw<double>(prefix + ".data");
  if (indptr.empty() || static_cast<std::size_t>(indptr.back()) != indices.size() ||
      indices.size() != data.size())
    throw std::runtime_error(prefix + ": inconsistent CSC arrays");
  const Index k = static_cast<Index>(indptr.size()) - 1;
  std::vector<Eigen::Triplet<double>> t;
  for (Index c = 0; c < k; ++c)
    for (auto e = indptr[c]; e < indptr[c + 1]; ++e) {
      if (indices[e] < 0 || indices[e] >= p) throw std::runtime_error(prefix + ": bad row index");
      t.emplace_back(indices[e], static_cast<int>(c), data[e]);
    }
  Sparse W(p, k);
  W.setFromTriplets(t.begin(), t.end());
  return W;
}

Problem make_dense(Index n, Index p, std::uint64_t seed, const std::string& dir) {
  using deepsolve::solvers::hashed_normal;
  Problem pr;
  pr.name = "dense";
  pr.n = n;
  pr.p = p;
  pr.Xd.resize(n, p);
  const double rho = 0.5, s = std::sqrt(1 - rho * rho);
  for (Index j = 0; j < p; ++j)
    for (Index i = 0; i < n; ++i) {
      const double g = hashed_normal(seed, static_cast<std::uint64_t>(j * n + i));
      pr.Xd(i, j) = j == 0 ? g : rho * pr.Xd(i, j - 1) + s * g;
    }
  deepsolve::solvers::SplitMix64 rng(seed + 1);
  VectorXd w = VectorXd::Zero(p);
  for (Index j = 0; j < p; ++j)
    if (rng.uniform() < 0.1) w[j] = hashed_normal(seed + 2, static_cast<std::uint64_t>(j));
  pr.y = pr.Xd * w;
  const double noise = 0.1 * pr.y.norm() / std::sqrt(static_cast<double>(n));
  for (Index i = 0; i < n; ++i)
    pr.y[i] += noise * hashed_normal(seed + 3, static_cast<std::uint64_t>(i));
  pr.x_path = dir + "/dense_X.f64";
  write_raw(pr.x_path, pr.Xd.data(), static_cast<std::size_t>(n * p));
  return pr;
}

Problem make_sparse(Index n, Index p, double density, std::uint64_t seed, const std::string& dir) {
  using deepsolve::solvers::hashed_normal;
  Problem pr;
  pr.name = "sparse";
  pr.sparse = true;
  pr.n = n;
  pr.p = p;
  deepsolve::solvers::SplitMix64 rng(seed);
  const auto entries = static_cast<std::uint64_t>(density * static_cast<double>(n) * p);
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(entries);
  for (std::uint64_t e = 0; e < entries; ++e) {
    const auto i = static_cast<int>(rng.below(static_cast<std::uint64_t>(n)));
    const auto j = static_cast<int>(rng.below(static_cast<std::uint64_t>(p)));
    t.emplace_back(i, j, hashed_normal(seed + 1, e));
  }
  pr.Xs.resize(n, p);
  pr.Xs.setFromTriplets(t.begin(), t.end());
  pr.Xs.makeCompressed();
  VectorXd w = VectorXd::Zero(p);
  for (Index j = 0; j < p; ++j)
    if (rng.uniform() < 0.01) w[j] = hashed_normal(seed + 2, static_cast<std::uint64_t>(j));
  pr.y = pr.Xs * w;
  const double noise = 0.1 * pr.y.norm() / std::sqrt(static_cast<double>(n));
  for (Index i = 0; i < n; ++i)
    pr.y[i] += noise * hashed_normal(seed + 3, static_cast<std::uint64_t>(i));
  pr.x_path = dir + "/sparse_X";
  write_raw(pr.x_path + ".indptr", pr.Xs.outerIndexPtr(), static_cast<std::size_t>(p + 1));
  write_raw(pr.x_path + ".indices", pr.Xs.innerIndexPtr(),
            static_cast<std::size_t>(pr.Xs.nonZeros()));
  write_raw(pr.x_path + ".data", pr.Xs.valuePtr(), static_cast<std::size_t>(pr.Xs.nonZeros()));
  return pr;
}

// The CPU time of the process (one thread here): on a shared machine, a single-threaded run's
// CPU time does not grow with the other processes' load, its wall time does.
double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// The best of `reps` runs by CPU time (one run only when it takes over 10 s), and its wall time.
template <class F>
auto best_of(int reps, F&& f, double& best_cpu_s, double& wall_s) {
  best_cpu_s = std::numeric_limits<double>::infinity();
  decltype(f()) result;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    result = f();
    const double cpu = cpu_seconds() - c0;
    if (cpu < best_cpu_s) {
      best_cpu_s = cpu;
      wall_s = bench::seconds_since(t0);
    }
    if (best_cpu_s > 10.0) break;
  }
  return result;
}

// Objective and gap of each column of W (p x k) for alphas[k].
struct Checked {
  std::vector<double> objective, gap;
  double worst_gap_ratio = 0;  // max over k of gap / target
};
template <class Matrix>
Checked check_solutions(const Matrix& X, const VectorXd& y, const std::vector<double>& alphas,
                        const Sparse& W, double gap_target) {
  if (W.cols() != static_cast<Index>(alphas.size()))
    throw std::runtime_error("expected " + std::to_string(alphas.size()) + " solutions, got " +
                             std::to_string(W.cols()));
  Checked c;
  for (std::size_t k = 0; k < alphas.size(); ++k) {
    const VectorXd w = VectorXd(W.col(static_cast<Index>(k)));
    const auto cert = bcd::lasso_certificate(X, y, alphas[k], 1.0, w);
    c.objective.push_back(cert.objective);
    c.gap.push_back(cert.duality_gap);
    c.worst_gap_ratio = std::max(c.worst_gap_ratio, cert.duality_gap / gap_target);
  }
  return c;
}

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    worst = std::max(worst, std::abs(a[k] - b[k]) / std::abs(b[k]));
  return worst;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run_command(const std::string& command) {
  std::printf("$ %s\n", command.c_str());
  std::fflush(stdout);
  const int status = std::system(command.c_str());
  return status;
}

std::vector<double> split_numbers(const std::string& text) {
  std::vector<double> v;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) v.push_back(std::stod(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return v;
}

struct Settings {
  std::string work, python, rscript, glmnet_thresh;
  double tol = 1e-6;
  int reps = 3;
  double sklearn_path_budget_s = 0;  // 0: none
  int glmnet_timeout_s = 300;
  bool sklearn = true, glmnet = true;
};

template <class Matrix>
Json run_problem(Problem& pr, const Matrix& X, const Settings& s) {
  std::printf("\n== %s: %lld x %lld", pr.name.c_str(), static_cast<long long>(pr.n),
              static_cast<long long>(pr.p));
  if (pr.sparse) std::printf(", %lld nonzeros", static_cast<long long>(pr.Xs.nonZeros()));
  std::printf("\n");
  const double gap_target = s.tol * pr.y.squaredNorm() / (2.0 * static_cast<double>(pr.n));
  const double amax = bcd::lasso_alpha_max(X, pr.y);
  const auto alphas = bcd::lasso_alpha_grid(amax, 100, 0.01);
  pr.y_path = s.work + "/" + pr.name + "_y.f64";
  pr.alphas_path = s.work + "/" + pr.name + "_alphas.f64";
  write_raw(pr.y_path, pr.y.data(), static_cast<std::size_t>(pr.n));
  write_raw(pr.alphas_path, alphas.data(), alphas.size());

  // Ours: the path, then the single alpha with the nonzeros nearest 1% of the features.
  bcd::LassoOptions o;
  o.tol = s.tol;
  double path_s = 0, path_wall_s = 0;  // CPU and wall seconds
  const auto path = best_of(
      s.reps, [&] { return bcd::solve_lasso_path(X, pr.y, alphas, o); }, path_s, path_wall_s);
  std::size_t pick = 0;
  const double wanted = 0.01 * static_cast<double>(pr.p);
  for (std::size_t k = 0; k < path.size(); ++k)
    if (std::abs(static_cast<double>(path[k].nnz) - wanted) <
        std::abs(static_cast<double>(path[pick].nnz) - wanted))
      pick = k;
  o.alpha = alphas[pick];
  double single_s = 0, single_wall_s = 0;
  const auto single = best_of(
      s.reps, [&] { return bcd::solve_lasso(X, pr.y, o); }, single_s, single_wall_s);
  Sparse ours_path_W(pr.p, static_cast<Index>(alphas.size()));
  {
    std::vector<Eigen::Triplet<double>> t;
    for (std::size_t k = 0; k < path.size(); ++k)
      for (Index j = 0; j < pr.p; ++j)
        if (path[k].coef[j] != 0) t.emplace_back(j, static_cast<int>(k), path[k].coef[j]);
    ours_path_W.setFromTriplets(t.begin(), t.end());
  }
  const Sparse ours_single_W = single.coef.sparseView(0.0, 0.0);
  const Checked ours_single = check_solutions(X, pr.y, {o.alpha}, ours_single_W, gap_target);
  const Checked ours_path = check_solutions(X, pr.y, alphas, ours_path_W, gap_target);
  std::int64_t path_epochs = 0;
  for (const auto& r : path) path_epochs += r.iterations;
  std::printf(
      "ours: alpha %.6g (alpha_max / %.4g), %lld nonzeros: %.4f s, %lld epochs, gap/target "
      "%.3g; path of 100: %.4f s, %lld epochs, worst gap/target %.3g\n",
      o.alpha, amax / o.alpha, static_cast<long long>(single.nnz), single_s,
      static_cast<long long>(single.iterations), ours_single.worst_gap_ratio, path_s,
      static_cast<long long>(path_epochs), ours_path.worst_gap_ratio);

  Json j;
  j["name"] = pr.name;
  j["samples"] = pr.n;
  j["features"] = pr.p;
  j["nonzeros_X"] =
      pr.sparse ? static_cast<double>(pr.Xs.nonZeros()) : static_cast<double>(pr.n * pr.p);
  j["alpha_max"] = amax;
  j["alpha"] = o.alpha;
  j["alpha_ratio"] = o.alpha / amax;
  j["solution_nnz"] = single.nnz;
  j["gap_target"] = gap_target;
  j["ours"] = {{"single",
                {{"time_s", single_s},
                 {"wall_s", single_wall_s},
                 {"objective", ours_single.objective[0]},
                 {"duality_gap", ours_single.gap[0]},
                 {"epochs", single.iterations},
                 {"outer_iterations", single.outer_iterations}}},
               {"path",
                {{"time_s", path_s},
                 {"wall_s", path_wall_s},
                 {"alphas", alphas.size()},
                 {"epochs", path_epochs},
                 {"worst_gap_ratio", ours_path.worst_gap_ratio},
                 {"nnz_last", path.back().nnz}}}};

  char alpha_text[32];
  std::snprintf(alpha_text, sizeof alpha_text, "%.17g", o.alpha);
  if (s.sklearn) {
    const std::string prefix = s.work + "/" + pr.name + "_sklearn";
    // sklearn stops at gap <= tol ||y||^2 / n (bcd_lasso_sklearn.py): half our tol for our target.
    char tol_text[32];
    std::snprintf(tol_text, sizeof tol_text, "%.17g", 0.5 * s.tol);
    const std::string cmd =
        s.python + " bench/bcd_lasso_sklearn.py " + (pr.sparse ? "--sparse " : "--dense ") +
        shell_quote(pr.x_path) + " --targets " + shell_quote(pr.y_path) + " --rows " +
        std::to_string(pr.n) + " --cols " + std::to_string(pr.p) + " --alphas " +
        shell_quote(pr.alphas_path) + " --alpha " + alpha_text + " --tol " + tol_text +
        " --path-budget " + std::to_string(s.sklearn_path_budget_s) + " --reps " +
        std::to_string(s.reps) + " --coef-out " + shell_quote(prefix) + " --json " +
        shell_quote(prefix + ".json");
    Json sk;
    if (run_command(cmd) != 0) {
      sk["error"] = "bcd_lasso_sklearn.py failed";
    } else {
      std::ifstream in(prefix + ".json");
      const Json record = Json::parse(in);
      // A path cut by the time budget is compared with our time on the same alphas (our path's
      // time in proportion to the per-alpha times of its first alphas).
      const int path_count = record["path"]["alphas"].get<int>();
      const std::vector<double> path_alphas(alphas.begin(), alphas.begin() + path_count);
      const Checked cs =
          check_solutions(X, pr.y, {o.alpha}, read_coefs(prefix + ".single", pr.p), gap_target);
      const Checked cp =
          check_solutions(X, pr.y, path_alphas, read_coefs(prefix + ".path", pr.p), gap_target);
      const double t_single = record["single"]["time_s"].get<double>();
      const double t_path = record["path"]["time_s"].get<double>();
      double sum_all = 0, sum_part = 0;
      for (std::size_t k = 0; k < path.size(); ++k) {
        sum_all += path[k].time_s;
        if (static_cast<int>(k) < path_count) sum_part += path[k].time_s;
      }
      const double ours_part_s = path_s * sum_part / sum_all;
      const std::vector<double> ours_part(ours_path.objective.begin(),
                                          ours_path.objective.begin() + path_count);
      const double single_diff = max_relative_difference(ours_single.objective, cs.objective);
      const double path_diff = max_relative_difference(ours_part, cp.objective);
      sk = {{"version", record["sklearn_version"]},
            {"tol", 0.5 * s.tol},
            {"single",
             {{"time_s", t_single},
              {"wall_s", record["single"]["wall_s"]},
              {"objective", cs.objective[0]},
              {"duality_gap", cs.gap[0]},
              {"gap_ratio", cs.worst_gap_ratio},
              {"n_iter", record["single"]["n_iter"]},
              {"objective_rel_diff", single_diff},
              {"speedup_ours", t_single / single_s}}},
            {"path",
             {{"time_s", t_path},
              {"wall_s", record["path"]["wall_s"]},
              {"alphas", path_count},
              {"budget_s", s.sklearn_path_budget_s},
              {"worst_gap_ratio", cp.worst_gap_ratio},
              {"objective_max_rel_diff", path_diff},
              {"ours_time_s_same_alphas", ours_part_s},
              {"speedup_ours", t_path / ours_part_s}}}};
      std::printf(
          "sklearn: single %.4f s (%.1fx ours), gap/target %.3g, objective rel diff %.2g; "
          "path (%d alphas) %.4f s (%.1fx ours on them), worst gap/target %.3g, "
          "objective rel diff %.2g\n",
          t_single, t_single / single_s, cs.worst_gap_ratio, single_diff, path_count, t_path,
          t_path / ours_part_s, cp.worst_gap_ratio, path_diff);
    }
    j["sklearn"] = sk;
  }
  if (s.glmnet) {
    // One R process per thresh, tighter and tighter until the single alpha and the path both
    // meet the gap target (glmnet has no gap test; a tighter thresh costs more passes), each
    // under `timeout` (a thresh too tight for floating point could run for very long).
    Json gl;
    gl["fits"] = Json::array();
    Json best_single, best_path;
    for (const double thresh : split_numbers(s.glmnet_thresh)) {
      char thresh_text[32];
      std::snprintf(thresh_text, sizeof thresh_text, "%.3g", thresh);
      const std::string prefix = s.work + "/" + pr.name + "_glmnet_" + thresh_text;
      const std::string cmd = "timeout " + std::to_string(s.glmnet_timeout_s) + " " + s.rscript +
                              " bench/bcd_lasso_glmnet.R " + (pr.sparse ? "sparse " : "dense ") +
                              shell_quote(pr.x_path) + " " + shell_quote(pr.y_path) + " " +
                              std::to_string(pr.n) + " " + std::to_string(pr.p) + " " +
                              shell_quote(pr.alphas_path) + " " + alpha_text + " " + thresh_text +
                              " " + std::to_string(s.reps) + " " + shell_quote(prefix) + " " +
                              shell_quote(prefix + ".json");
      if (run_command(cmd) != 0) {
        gl["fits"].push_back({{"thresh", thresh}, {"error", "failed or timed out"}});
        std::printf("glmnet thresh %s: failed or timed out after %d s\n", thresh_text,
                    s.glmnet_timeout_s);
        break;
      }
      std::ifstream in(prefix + ".json");
      const Json fit = Json::parse(in);
      gl["version"] = fit["glmnet_version"];
      const Checked cs =
          check_solutions(X, pr.y, {o.alpha}, read_coefs(prefix + ".single", pr.p), gap_target);
      const Sparse Wp = read_coefs(prefix + ".path", pr.p);
      Json row = {{"thresh", thresh},
                  {"single_time_s", fit["single_time_s"]},
                  {"single_wall_s", fit["single_wall_s"]},
                  {"single_npasses", fit["single_npasses"]},
                  {"single_gap_ratio", cs.worst_gap_ratio},
                  {"single_objective_rel_diff",
                   max_relative_difference(ours_single.objective, cs.objective)},
                  {"path_time_s", fit["path_time_s"]},
                  {"path_wall_s", fit["path_wall_s"]},
                  {"path_npasses", fit["path_npasses"]},
                  {"path_alphas", Wp.cols()}};
      double path_ratio = kNan;
      if (Wp.cols() == static_cast<Index>(alphas.size())) {
        const Checked cp = check_solutions(X, pr.y, alphas, Wp, gap_target);
        path_ratio = cp.worst_gap_ratio;
        row["path_worst_gap_ratio"] = path_ratio;
        row["path_objective_max_rel_diff"] =
            max_relative_difference(ours_path.objective, cp.objective);
        if (best_path.is_null() && path_ratio <= 1.0) best_path = row;
      }
      if (best_single.is_null() && cs.worst_gap_ratio <= 1.0) best_single = row;
      std::printf(
          "glmnet thresh %s: single %.4f s, gap/target %.3g; path (%lld alphas) %.4f s, "
          "worst gap/target %.3g\n",
          thresh_text, row["single_time_s"].get<double>(), cs.worst_gap_ratio,
          static_cast<long long>(Wp.cols()), row["path_time_s"].get<double>(), path_ratio);
      gl["fits"].push_back(row);
      if (!best_single.is_null() && !best_path.is_null()) break;
    }
    if (!best_single.is_null()) {
      const double t = best_single["single_time_s"].get<double>();
      gl["single"] = {{"thresh", best_single["thresh"]},
                      {"time_s", t},
                      {"gap_ratio", best_single["single_gap_ratio"]},
                      {"objective_rel_diff", best_single["single_objective_rel_diff"]},
                      {"speedup_ours", t / single_s}};
    }
    if (!best_path.is_null()) {
      const double t = best_path["path_time_s"].get<double>();
      gl["path"] = {{"thresh", best_path["thresh"]},
                    {"time_s", t},
                    {"worst_gap_ratio", best_path["path_worst_gap_ratio"]},
                    {"objective_max_rel_diff", best_path["path_objective_max_rel_diff"]},
                    {"speedup_ours", t / path_s}};
    }
    const auto said = [&](const char* part) {
      return gl.contains(part) ? bench::format_fixed(gl[part]["speedup_ours"].get<double>(), 1) +
                                     "x ours (thresh " + gl[part]["thresh"].dump() + ")"
                               : std::string("not met by any thresh tried");
    };
    std::printf("glmnet at the gap target: single %s, path %s\n", said("single").c_str(),
                said("path").c_str());
    j["glmnet"] = gl;
  }
  return j;
}

int run(int argc, char** argv) {
  const bench::Args args(argc, argv, {"quick", "no-sklearn", "no-glmnet"});
  const Json machine = bench::machine_info(argc, argv);
  Eigen::setNbThreads(1);
  Settings s;
  const bool quick = args.has("quick");
  s.work = args.get("work", "build-bench/bcd_lasso_data");
  s.python = args.get("python", "/usr/bin/python3");
  s.rscript = args.get("rscript", "Rscript");
  s.tol = args.get_double("tol", 1e-6);
  s.reps = args.get_int("reps", quick ? 1 : 3);
  s.sklearn_path_budget_s = args.get_double("sklearn-path-budget", 240);
  s.glmnet_timeout_s = args.get_int("glmnet-timeout", 300);
  s.sklearn = !args.has("no-sklearn");
  s.glmnet = !args.has("no-glmnet");
  s.glmnet_thresh = args.get("glmnet-thresh", "1e-9,1e-11,1e-13,1e-15");
  std::filesystem::create_directories(s.work);
  std::printf("bench_bcd_lasso: load average %s, one thread, tol %g (gap <= tol ||y||^2/(2n))\n",
              machine.value("load_average", Json("?")).dump().c_str(), s.tol);

  const Index dn = quick ? 200 : 1000, dp = quick ? 2000 : 10000;
  const Index sn = quick ? 2000 : 20000, sp = quick ? 10000 : 100000;
  Json problems = Json::array();
  {
    Problem dense = make_dense(dn, dp, 42, s.work);
    problems.push_back(run_problem(dense, dense.Xd, s));
  }
  {
    Problem sparse = make_sparse(sn, sp, 0.001, 43, s.work);
    problems.push_back(run_problem(sparse, sparse.Xs, s));
  }
  Json doc;
  doc["benchmark"] = "bcd_lasso";
  doc["machine"] = machine;
  doc["settings"] = {{"tol", s.tol},
                     {"gap_target", "tol * ||y||^2 / (2n)"},
                     {"time_s", "CPU seconds of the best run (one thread)"},
                     {"threads", 1},
                     {"reps", s.reps},
                     {"quick", quick},
                     {"glmnet_thresh", s.glmnet_thresh},
                     {"sklearn_path_budget_s", s.sklearn_path_budget_s},
                     {"glmnet_timeout_s", s.glmnet_timeout_s}};
  doc["problems"] = problems;
  bench::write_results(args.get("json", ""), doc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_main("bench_bcd_lasso", run, argc, argv);
}
