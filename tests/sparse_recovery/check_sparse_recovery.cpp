// Writes the inputs of sparse_recovery's ctests and checks what the program wrote:
//   check_sparse_recovery write-problem DIR
//     A.mtx (20 x 40 Gaussian, array), A_sparse.mtx (the same A in coordinate format), y.mtx (one
//     problem, a Matrix Market vector), Y3.mtx (20 x 3: three problems) and x_true.mtx, X3.mtx
//     (their signals, 10% nonzeros, y = A x + small noise) through solvers' write_matrix_market;
//     hand_A.mtx, hand_y.mtx, hand_x.mtx: a 6 x 8 problem typed as another tool writes it
//     (scipy.io.mmwrite's coordinate header and comments, an integer field, blank lines); and the
//     bad inputs: y_short.mtx (15 rows), y_nan.mtx (a NaN), A_truncated.mtx (entries missing),
//     not_mm.mtx (no banner), A_zero.mtx (an all-zero A), corrupt.pt (not a model file).
//   check_sparse_recovery solve JSON METHOD PROBLEMS [truth] [decreasing]
//     Fields present (objective, history, iterations, time_s, method, lambda, step, ...);
//     iterations = history size - 1; objective = the last entry's mean over the problems;
//     nmse_db in every entry with `truth`, absent without; `decreasing`: the objective never
//     increases along the history.
//   check_sparse_recovery solution X.mtx A.mtx Y.mtx LAMBDA PENALTY JSON
//     X reads back (n x B) and its objective (recomputed here) is the JSON's objective.
//   check_sparse_recovery same JSON_A JSON_B
//     Two solves of the same problem (dense and sparse paths) agree: iterations, objective and
//     history to 1e-9 relative.
//   check_sparse_recovery run JSON LAYERS PROBLEMS [truth]
//     The per-layer JSON of run (and of train's test): history has LAYERS entries with layer,
//     objective (and nmse_db with `truth`), iterations = LAYERS, objective = the last layer's.
//   check_sparse_recovery metadata MODEL KEY=REGEX...
//     The model file loads and its metadata matches.
//   check_sparse_recovery reproduce DIR
//     The six model files load, per_layer.csv has its header and rows for every method,
//     summary.json has four findings with a boolean and a line, reproduction.md names them, and
//     the PNGs (when plots are built) start with the PNG signature.
// Prints what failed and exits 1, or exits 0.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/solvers/matrix_market.hpp"
#include "deepsolve/unfolded/model_types.hpp"

#include "../support/check_program.hpp"

namespace {

using json = nlohmann::json;
using deepsolve_test::expect;
using deepsolve_test::failures;
using deepsolve_test::read_file;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

json read_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s is not JSON: %s\n", path.c_str(), e.what());
    std::exit(1);
  }
}

bool close(double a, double b, double rel) {
  return std::abs(a - b) <= rel * std::max({std::abs(a), std::abs(b), 1e-300});
}

// --- write-problem ---------------------------------------------------------------------------

int write_problem(const std::string& dir) {
  namespace ds = deepsolve::solvers;
  const int m = 20, n = 40, B = 3;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution nonzero(0.1);
  Eigen::MatrixXd A(m, n);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) A(i, j) = normal(rng);
    A.col(j).normalize();
  }
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, B);
  for (int b = 0; b < B; ++b) {
    for (int j = 0; j < n; ++j)
      if (nonzero(rng)) X(j, b) = normal(rng);
    if (X.col(b).squaredNorm() == 0.0) X(b, b) = 1.0;  // every problem has a signal
  }
  Eigen::MatrixXd Y = A * X;
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < m; ++i) Y(i, b) += 1e-3 * normal(rng);
  ds::write_matrix_market(dir + "/A.mtx", A);
  ds::write_matrix_market(dir + "/A_sparse.mtx", Eigen::SparseMatrix<double>(A.sparseView()));
  ds::write_matrix_market(dir + "/Y3.mtx", Y);
  ds::write_matrix_market(dir + "/X3.mtx", X);
  ds::write_matrix_market(dir + "/x_true.mtx", Eigen::MatrixXd(X.col(0)));
  // One problem as a Matrix Market vector object.
  std::ostringstream y;
  y << "%%MatrixMarket vector array real general\n% measurements of problem 1\n" << m << "\n";
  y.precision(17);
  for (int i = 0; i < m; ++i) y << Y(i, 0) << "\n";
  write_text(dir + "/y.mtx", y.str());

  // A hand-typed 6 x 8 problem: x = e_2 - 2 e_7, y = A x, as scipy.io.mmwrite and a person would
  // write it (integer coordinate A with comments and a blank line; y as an array).
  write_text(dir + "/hand_A.mtx",
             "%%MatrixMarket matrix coordinate integer general\n"
             "%\n% written by hand: a 6 x 8 sensing matrix\n%\n"
             "6 8 12\n"
             "1 1 1\n2 2 1\n3 3 1\n4 4 1\n5 5 1\n6 6 1\n"
             "1 7 1\n2 7 -1\n3 8 1\n\n4 8 1\n5 2 1\n6 7 1\n");
  write_text(dir + "/hand_y.mtx",
             "%%MatrixMarket matrix array real general\n% y = A x\n6 1\n"
             "-2\n3\n0\n0\n1\n-2\n");
  write_text(dir + "/hand_x.mtx",
             "%%MatrixMarket matrix coordinate real general\n8 1 2\n2 1 1.0\n7 1 -2.0\n");

  // Bad inputs.
  ds::write_matrix_market(dir + "/y_short.mtx", Eigen::MatrixXd(Y.topRows(15)));
  std::string nan = "%%MatrixMarket matrix array real general\n20 1\n";
  for (int i = 0; i < m; ++i) nan += i == 4 ? "nan\n" : "0.5\n";
  write_text(dir + "/y_nan.mtx", nan);
  write_text(dir + "/A_truncated.mtx",
             "%%MatrixMarket matrix coordinate real general\n20 40 5\n1 1 1.0\n2 2 1.0\n");
  write_text(dir + "/not_mm.mtx", "1 2 3\n4 5 6\n");
  ds::write_matrix_market(dir + "/A_zero.mtx", Eigen::MatrixXd::Zero(m, n).eval());
  write_text(dir + "/corrupt.pt", "this is not a deepsolve model file\n");
  return 0;
}

// --- solve -----------------------------------------------------------------------------------

int check_solve(const std::vector<std::string>& a) {
  if (a.size() < 3) return 2;
  const json j = read_json(a[0]);
  const std::string method = a[1];
  const int problems = std::stoi(a[2]);
  bool truth = false, decreasing = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    truth = truth || a[i] == "truth";
    decreasing = decreasing || a[i] == "decreasing";
  }
  for (const char* key : {"objective", "history", "iterations", "time_s", "method", "lambda",
                          "step", "lipschitz", "reason", "m", "n", "problems", "command"})
    expect(j.contains(key), a[0] + ": no field " + key);
  if (failures) return 1;
  expect(j["method"] == method, a[0] + ": method " + j["method"].dump());
  expect(j["problems"] == problems, a[0] + ": problems " + j["problems"].dump());
  expect(j["time_s"].get<double>() >= 0.0, a[0] + ": time_s < 0");
  const json& h = j["history"];
  expect(h.is_array() && h.size() == j["iterations"].get<std::size_t>() + 1,
         a[0] + ": the history has " + std::to_string(h.size()) + " entries for " +
             j["iterations"].dump() + " iterations");
  expect(close(h.back()["objective"].get<double>(), j["objective"].get<double>(), 1e-12),
         a[0] + ": objective is not the history's last");
  double mean = 0.0;
  for (const auto& v : j["problem_objectives"]) mean += v.get<double>();
  expect(close(mean / problems, j["objective"].get<double>(), 1e-12),
         a[0] + ": objective is not the mean of problem_objectives");
  for (std::size_t k = 0; k < h.size(); ++k) {
    expect(h[k]["iteration"] == k,
           a[0] + ": history entry " + std::to_string(k) + " numbered " + h[k]["iteration"].dump());
    expect(h[k].contains("nmse_db") == truth, a[0] + ": history entry " + std::to_string(k) +
                                                  (truth ? " lacks" : " has") + " nmse_db");
    if (decreasing && k > 0)
      expect(h[k]["objective"].get<double>() <= h[k - 1]["objective"].get<double>() * (1 + 1e-12),
             a[0] + ": the objective rises at iteration " + std::to_string(k));
  }
  expect(j.contains("nmse_db") == truth, a[0] + ": nmse_db presence");
  if (truth) expect(j["nmse_db"].get<double>() < 0.0, a[0] + ": NMSE not below 0 dB");
  // The objective fell from x_0 = 0.
  expect(j["objective"].get<double>() < h[0]["objective"].get<double>(),
         a[0] + ": the objective did not fall from x_0");
  return failures ? 1 : 0;
}

int check_solution(const std::vector<std::string>& a) {
  if (a.size() != 6) return 2;
  namespace ds = deepsolve::solvers;
  const Eigen::MatrixXd X = ds::read_matrix_market_dense(a[0]);
  const Eigen::MatrixXd A = ds::read_matrix_market_dense(a[1]);
  const Eigen::MatrixXd Y = ds::read_matrix_market_dense(a[2]);
  const double lambda = std::stod(a[3]);
  const bool l1 = a[4] == "l1";
  const json j = read_json(a[5]);
  expect(X.rows() == A.cols() && X.cols() == Y.cols(),
         a[0] + ": " + std::to_string(X.rows()) + " x " + std::to_string(X.cols()) +
             ", expected n x B = " + std::to_string(A.cols()) + " x " + std::to_string(Y.cols()));
  if (failures) return 1;
  double objective = 0.0;
  for (Eigen::Index b = 0; b < X.cols(); ++b) {
    const double r = (Y.col(b) - A * X.col(b)).squaredNorm();
    const double penalty = l1 ? X.col(b).lpNorm<1>() : double((X.col(b).array() != 0.0).count());
    objective += 0.5 * r + lambda * penalty;
  }
  objective /= double(X.cols());
  expect(close(objective, j["objective"].get<double>(), 1e-9),
         a[0] + ": objective " + std::to_string(objective) + ", the JSON says " +
             j["objective"].dump());
  return failures ? 1 : 0;
}

int check_same(const std::vector<std::string>& a) {
  if (a.size() != 2) return 2;
  const json x = read_json(a[0]), y = read_json(a[1]);
  expect(x["iterations"] == y["iterations"], "iterations differ");
  expect(close(x["objective"].get<double>(), y["objective"].get<double>(), 1e-9),
         "objectives differ: " + x["objective"].dump() + " vs " + y["objective"].dump());
  expect(x["history"].size() == y["history"].size(), "history sizes differ");
  for (std::size_t k = 0; k < std::min(x["history"].size(), y["history"].size()); ++k)
    for (const char* key : {"objective", "nmse_db"})
      if (x["history"][k].contains(key))
        expect(close(x["history"][k][key].get<double>(), y["history"][k][key].get<double>(), 1e-9),
               std::string(key) + " differs at iteration " + std::to_string(k));
  return failures ? 1 : 0;
}

// --- run -------------------------------------------------------------------------------------

int check_run(const std::vector<std::string>& a) {
  if (a.size() < 3) return 2;
  const json j = read_json(a[0]);
  const std::size_t layers = std::stoul(a[1]);
  const int problems = std::stoi(a[2]);
  const bool truth = a.size() > 3 && a[3] == "truth";
  for (const char* key : {"objective", "history", "iterations", "time_s"})
    expect(j.contains(key), a[0] + ": no field " + key);
  if (failures) return 1;
  if (j.contains("problems")) expect(j["problems"] == problems, a[0] + ": problems");
  expect(j["iterations"] == layers, a[0] + ": iterations " + j["iterations"].dump());
  const json& h = j["history"];
  expect(h.size() == layers, a[0] + ": " + std::to_string(h.size()) + " history entries");
  for (std::size_t t = 0; t < h.size(); ++t) {
    expect(h[t]["layer"] == t + 1,
           a[0] + ": entry " + std::to_string(t) + " is layer " + h[t]["layer"].dump());
    expect(h[t]["objective"].is_number() && h[t]["objective"].get<double>() > 0.0,
           a[0] + ": layer " + std::to_string(t + 1) + " objective");
    expect(h[t].contains("nmse_db") == truth,
           a[0] + ": layer " + std::to_string(t + 1) + " nmse_db");
  }
  expect(close(h.back()["objective"].get<double>(), j["objective"].get<double>(), 1e-12),
         a[0] + ": objective is not the last layer's");
  expect(j.contains("nmse_db") == truth, a[0] + ": nmse_db presence");
  return failures ? 1 : 0;
}

int check_metadata(const std::vector<std::string>& a) {
  if (a.empty()) return 2;
  deepsolve::unfolded::register_unfolded_networks();
  const auto model = deepsolve::learned::load_model(a[0]);
  for (std::size_t i = 1; i < a.size(); ++i) {
    const auto eq = a[i].find('=');
    const std::string key = a[i].substr(0, eq), pattern = a[i].substr(eq + 1);
    const auto it = model.metadata.find(key);
    expect(it != model.metadata.end(), a[0] + ": no metadata " + key);
    if (it != model.metadata.end())
      expect(std::regex_match(it->second, std::regex(pattern)),
             a[0] + ": " + key + " = '" + it->second + "' does not match '" + pattern + "'");
  }
  return failures ? 1 : 0;
}

// --- reproduce -------------------------------------------------------------------------------

int check_reproduce(const std::vector<std::string>& a) {
  if (a.empty()) return 2;
  const std::string dir = a[0];
  deepsolve::unfolded::register_unfolded_networks();
  const std::vector<std::string> networks = {"unfolded_ista_supervised",
                                             "unfolded_ista_unsupervised",
                                             "unfolded_iht_supervised",
                                             "unfolded_iht_unsupervised",
                                             "lista_cpss",
                                             "alista"};
  for (const auto& key : networks) {
    try {
      deepsolve::learned::load_model(dir + "/" + key + ".pt");
    } catch (const std::exception& e) {
      expect(false, std::string("model ") + key + ": " + e.what());
    }
  }
  const json s = read_json(dir + "/summary.json");
  expect(s["findings"].is_array() && s["findings"].size() == 4, "summary.json: not 4 findings");
  for (const auto& f : s["findings"]) {
    expect(f["holds"].is_boolean(), "summary.json: finding without a boolean 'holds'");
    expect(f["line"].is_string() &&
               std::regex_search(f["line"].get<std::string>(),
                                 std::regex("^finding [1-4]: (holds|does not hold) \\(")),
           "summary.json: finding line " + f["line"].dump());
  }
  const int layers = s["setup"]["layers"].get<int>();
  const int iterations = s["setup"]["classical_iterations"].get<int>();
  for (const auto& key : networks) {
    expect(s["methods"].contains(key), "summary.json: no method " + key);
    if (s["methods"].contains(key))
      expect(s["methods"][key]["nmse_db"].size() == std::size_t(layers) + 1,
             "summary.json: " + key + " has not T + 1 NMSE values");
  }
  for (const char* key : {"ista", "fista", "iht"})
    expect(s["methods"][key]["objective"].size() == std::size_t(iterations) + 1,
           std::string("summary.json: ") + key + " has not K + 1 objective values");

  std::istringstream csv(read_file(dir + "/per_layer.csv"));
  std::string line;
  std::getline(csv, line);
  expect(line == "test,method,penalty,t,nmse_db,objective", "per_layer.csv header: " + line);
  std::map<std::string, int> rows;
  while (std::getline(csv, line)) {
    std::istringstream cells(line);
    std::string test, method;
    std::getline(cells, test, ',');
    std::getline(cells, method, ',');
    ++rows[test + "/" + method];
  }
  for (const auto& key : networks) {
    expect(rows["matched/" + key] == layers + 1, "per_layer.csv: rows of " + key);
    expect(rows["mismatched/" + key] == layers + 1, "per_layer.csv: mismatched rows of " + key);
  }
  expect(rows["matched/ista"] == iterations + 1, "per_layer.csv: rows of ista");

  const std::string md = read_file(dir + "/reproduction.md");
  for (int n = 1; n <= 4; ++n)
    expect(md.find("**" + std::to_string(n) + ". ") != std::string::npos,
           "reproduction.md: no finding " + std::to_string(n));
#ifdef SPARSE_RECOVERY_PLOTS
  for (const char* png :
       {"nmse.png", "objective_l1.png", "objective_l0.png", "objective_gap_l1.png"})
    expect(read_file(dir + "/" + png).rfind("\x89PNG\r\n\x1a\n", 0) == 0,
           std::string(png) + " is not a PNG");
#endif
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: check_sparse_recovery COMMAND ARGS... (see the source)\n");
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "write-problem") return write_problem(args[0]);
    if (command == "solve") return check_solve(args);
    if (command == "solution") return check_solution(args);
    if (command == "same") return check_same(args);
    if (command == "run") return check_run(args);
    if (command == "metadata") return check_metadata(args);
    if (command == "reproduce") return check_reproduce(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "unknown command %s\n", command.c_str());
  return 2;
}
