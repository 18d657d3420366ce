// bcd lasso: the Lasso or elastic net (deepsolve/solvers/bcd/lasso.hpp) on a user's Matrix Market
// or LIBSVM data, for one alpha or a path of alphas; a table on stdout, JSON and the coefficients
// in Matrix Market on request. Bad input ends with one line naming it (exit code 2); the output
// paths are checked before the data are read.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/solvers/bcd/lasso.hpp"
#include "deepsolve/solvers/libsvm.hpp"
#include "deepsolve/solvers/matrix_market.hpp"

namespace bcd_example {
namespace lasso_cli {

namespace ex = deepsolve::examples;
namespace bcd = deepsolve::bcd;
using json = nlohmann::json;
using Sparse = Eigen::SparseMatrix<double>;

const char* const kFooter = R"(
The problem (scikit-learn's Lasso and ElasticNet, no intercept):
  min_w (1/2n) ||y - Xw||^2 + alpha rho ||w||_1 + alpha (1 - rho)/2 ||w||^2,  rho = --l1-ratio
with n samples (the rows of X). It is solved by coordinate descent on working sets grown from
the optimality conditions, with gap-safe screening (docs/bcd.md, "Lasso and elastic net"), and
stops when the duality gap is at most --tol * ||y||^2 / (2n).

Data: --matrix X.mtx --targets y.mtx (Matrix Market; y an n x 1 array or vector; X dense, or
sparse with --sparse), or --libsvm FILE (labels and features, read sparse; --features N fixes
the column count). alpha: --alpha A, --alpha-ratio R (alpha = R alpha_max, alpha_max =
||X^T y||_inf / (n rho) the smallest alpha with w = 0), or --path N: N alphas from alpha_max
down to --path-min-ratio * alpha_max, log-spaced, each warm-started from the previous one.

Output: a line per alpha (objective, duality gap, CD epochs over the working sets, nonzeros,
seconds). --json: objective, duality_gap, gap_tolerance, iterations (CD epochs),
outer_iterations (full gap checks), time_s, nnz, reason (converged or max_iterations), and with
--path an array "path" of these per alpha. --coef-out: w in Matrix Market (array, p x 1; p x N
with --path).

Examples:
  bcd lasso --matrix X.mtx --targets y.mtx --alpha-ratio 0.1 --json lasso.json --coef-out w.mtx
  bcd lasso --libsvm E2006.train --path 100 --tol 1e-6 --json path.json
  bcd lasso --matrix X.mtx --targets y.mtx --sparse --alpha 0.01 --l1-ratio 0.5)";

struct Options {
  std::string matrix, targets, libsvm, json, coef_out;
  long long features = 0;
  bool sparse = false;
  std::optional<double> alpha, alpha_ratio;
  int path = 0;
  double path_min_ratio = 0.01;
  double l1_ratio = 1.0;
  double tol = 1e-6;
  long long max_iterations = 100000;
};

using Design = std::variant<Eigen::MatrixXd, Sparse>;

struct Data {
  Design X;
  Eigen::VectorXd y;
  std::string description;
};

Data read_data(const Options& o) {
  Data d;
  if (!o.libsvm.empty()) {
    auto file = deepsolve::solvers::read_libsvm(o.libsvm, static_cast<Eigen::Index>(o.features));
    d.description = o.libsvm + " (LIBSVM, sparse)";
    d.y = std::move(file.y);
    d.X = std::move(file.X);
    return d;
  }
  if (o.sparse) {
    d.X = deepsolve::solvers::read_matrix_market_sparse(o.matrix);
    d.description = o.matrix + " (sparse)";
  } else {
    d.X = deepsolve::solvers::read_matrix_market_dense(o.matrix);
    d.description = o.matrix + " (dense)";
  }
  const Eigen::MatrixXd y = deepsolve::solvers::read_matrix_market_dense(o.targets);
  ex::check(y.cols() == 1, "--targets " + o.targets + ": y must have one column, got " +
                               std::to_string(y.rows()) + " x " + std::to_string(y.cols()));
  d.y = y.col(0);
  return d;
}

Options parse_options(const std::vector<std::string>& args, bool& help) {
  Options o;
  CLI::App app{"bcd lasso: Lasso and elastic net by working-set coordinate descent", "bcd lasso"};
  ex::setup_app(app, 30, kFooter);
  app.add_option("--matrix", o.matrix, "X, n x p (Matrix Market)");
  app.add_option("--targets", o.targets, "y, n x 1 (Matrix Market)");
  app.add_option("--libsvm", o.libsvm, "X and y from a LIBSVM file (instead of the two above)");
  app.add_option("--features", o.features, "with --libsvm: the number of features (columns)");
  app.add_flag("--sparse", o.sparse, "keep X sparse (column-compressed)");
  app.add_option("--alpha", o.alpha, "the regularisation alpha");
  app.add_option("--alpha-ratio", o.alpha_ratio, "alpha as a fraction of alpha_max");
  app.add_option("--path", o.path, "N alphas from alpha_max down to --path-min-ratio alpha_max");
  app.add_option("--path-min-ratio", o.path_min_ratio, "the path's last alpha / alpha_max")
      ->capture_default_str();
  app.add_option("--l1-ratio", o.l1_ratio, "rho in (0, 1]: 1 is the Lasso")->capture_default_str();
  app.add_option("--tol", o.tol, "stop at duality gap <= tol ||y||^2 / (2n)")
      ->capture_default_str();
  app.add_option("--max-iterations", o.max_iterations, "most CD epochs per alpha")
      ->capture_default_str();
  app.add_option("--json", o.json, "write the results as JSON");
  app.add_option("--coef-out", o.coef_out, "write w (p x 1, or p x N with --path), Matrix Market");
  const std::string help_text = ex::parse(app, args);
  help = !help_text.empty();
  if (help) {
    std::fputs(help_text.c_str(), stdout);
    return o;
  }
  if (o.libsvm.empty()) {
    ex::check(!o.matrix.empty() && !o.targets.empty(),
              "give --matrix and --targets, or --libsvm (see --help)");
    ex::check(o.features == 0, "--features goes with --libsvm");
  } else {
    ex::check(o.matrix.empty() && o.targets.empty(),
              "--libsvm replaces --matrix and --targets; give one or the other");
  }
  ex::check_non_negative("--features", o.features);
  const int choices = int(o.alpha.has_value()) + int(o.alpha_ratio.has_value()) + int(o.path > 0);
  ex::check(choices == 1, "give one of --alpha, --alpha-ratio and --path");
  if (o.alpha)
    ex::check(std::isfinite(*o.alpha) && *o.alpha > 0,
              "--alpha must be positive and finite, got " + ex::format_number(*o.alpha));
  if (o.alpha_ratio)
    ex::check(
        std::isfinite(*o.alpha_ratio) && *o.alpha_ratio > 0,
        "--alpha-ratio must be positive and finite, got " + ex::format_number(*o.alpha_ratio));
  ex::check_non_negative("--path", o.path);
  ex::check(o.path_min_ratio > 0 && o.path_min_ratio <= 1,
            "--path-min-ratio must be in (0, 1], got " + ex::format_number(o.path_min_ratio));
  ex::check(o.l1_ratio > 0 && o.l1_ratio <= 1,
            "--l1-ratio must be in (0, 1], got " + ex::format_number(o.l1_ratio));
  ex::check_positive_finite("--tol", o.tol);
  ex::check_non_negative("--max-iterations", o.max_iterations);
  ex::OutputFiles outputs;
  outputs.add("--json", o.json).add("--coef-out", o.coef_out);
  outputs.check_distinct();
  outputs.check_writable();
  return o;
}

json result_json(const bcd::LassoResult& r, double alpha) {
  json j;
  j["alpha"] = alpha;
  j["objective"] = r.objective;
  j["duality_gap"] = r.duality_gap;
  j["gap_tolerance"] = r.gap_tolerance;
  j["iterations"] = r.iterations;
  j["outer_iterations"] = r.outer_iterations;
  j["time_s"] = r.time_s;
  j["nnz"] = r.nnz;
  j["screened"] = r.screened;
  j["reason"] = bcd::to_string(r.reason);
  return j;
}

void print_row(const bcd::LassoResult& r, double alpha) {
  std::printf("%12.6g  %14.8g  %10.3g  %7lld  %6lld  %9.4f  %s\n", alpha, r.objective,
              r.duality_gap, static_cast<long long>(r.iterations), static_cast<long long>(r.nnz),
              r.time_s, bcd::to_string(r.reason));
}

}  // namespace lasso_cli

void lasso_command(const std::vector<std::string>& args) {
  using namespace lasso_cli;
  bool help = false;
  const Options o = parse_options(args, help);
  if (help) return;
  const Data data = read_data(o);
  const auto rows = std::visit([](const auto& X) { return X.rows(); }, data.X);
  const auto cols = std::visit([](const auto& X) { return X.cols(); }, data.X);
  ex::check(rows == data.y.size(), "X has " + std::to_string(rows) + " rows (samples) but y has " +
                                       std::to_string(data.y.size()));

  bcd::LassoOptions lo;
  lo.l1_ratio = o.l1_ratio;
  lo.tol = o.tol;
  lo.max_iterations = o.max_iterations;
  const double alpha_max = std::visit(
      [&](const auto& X) { return bcd::lasso_alpha_max(X, data.y, o.l1_ratio); }, data.X);
  std::vector<double> alphas;
  if (o.path > 0) {
    alphas = bcd::lasso_alpha_grid(alpha_max, o.path, o.path_min_ratio);
  } else {
    alphas = {o.alpha ? *o.alpha : *o.alpha_ratio * alpha_max};
    ex::check(alphas[0] > 0,
              "alpha_max is 0 (X^T y = 0): w = 0 for every alpha, and "
              "--alpha-ratio gives alpha = 0");
  }

  std::printf("bcd lasso: %s, %lld x %lld, l1_ratio %g, alpha_max %.6g, tol %g\n",
              data.description.c_str(), static_cast<long long>(rows), static_cast<long long>(cols),
              o.l1_ratio, alpha_max, o.tol);
  std::printf("%12s  %14s  %10s  %7s  %6s  %9s  %s\n", "alpha", "objective", "gap", "epochs", "nnz",
              "seconds", "reason");
  std::vector<bcd::LassoResult> results;
  if (o.path > 0) {
    results = std::visit(
        [&](const auto& X) { return bcd::solve_lasso_path(X, data.y, alphas, lo); }, data.X);
  } else {
    lo.alpha = alphas[0];
    results = {std::visit([&](const auto& X) { return bcd::solve_lasso(X, data.y, lo); }, data.X)};
  }
  double total_s = 0;
  bool all_converged = true;
  for (std::size_t k = 0; k < results.size(); ++k) {
    print_row(results[k], alphas[k]);
    total_s += results[k].time_s;
    all_converged = all_converged && results[k].reason == bcd::LassoStop::converged;
  }
  if (o.path > 0) std::printf("path: %d alphas in %.4f s\n", o.path, total_s);
  if (!all_converged)
    std::printf(
        "note: not converged within --max-iterations %lld (the gap is above the "
        "tolerance)\n",
        o.max_iterations);

  if (!o.coef_out.empty()) {
    Eigen::MatrixXd W(cols, static_cast<Eigen::Index>(results.size()));
    for (std::size_t k = 0; k < results.size(); ++k)
      W.col(static_cast<Eigen::Index>(k)) = results[k].coef;
    deepsolve::solvers::write_matrix_market(o.coef_out, W);
    std::printf("wrote %s\n", o.coef_out.c_str());
  }
  if (!o.json.empty()) {
    json j;
    j["command"] = deepsolve::examples::command_record(args);
    j["data"] = data.description;
    j["samples"] = rows;
    j["features"] = cols;
    j["l1_ratio"] = o.l1_ratio;
    j["tol"] = o.tol;
    j["alpha_max"] = alpha_max;
    j["threads"] = 1;
    if (o.path > 0) {
      j["path"] = json::array();
      for (std::size_t k = 0; k < results.size(); ++k)
        j["path"].push_back(result_json(results[k], alphas[k]));
      j["time_s"] = total_s;
    } else {
      const json r = result_json(results[0], alphas[0]);
      for (auto it = r.begin(); it != r.end(); ++it) j[it.key()] = it.value();
    }
    if (!o.coef_out.empty()) j["coef_file"] = o.coef_out;
    ex::write_json(o.json, j);
    std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace bcd_example
