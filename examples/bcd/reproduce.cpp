// bcd reproduce: the experiments of Nutini, Laradji & Schmidt (JMLR 2022, arXiv 1712.08859) on
// seeded analogs of their datasets: the engine experiments (reproduce_experiments.hpp: gradient,
// matrix and Newton updates, partitions, active sets on A, B, C) and the tree-structured blocks
// on D and E (tree_experiments.hpp). Prints f - f* per iteration and per second for each rule and
// every ordering the paper reports (holds / does not hold, with the numbers); writes one CSV and
// plots per experiment and summary.json.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "reproduce_experiments.hpp"
#include "tree_experiments.hpp"
#ifdef BCD_PLOTS
#include "common/plot.hpp"
#endif

namespace bcd_example {

namespace reproduce_cli {

namespace ex = deepsolve::examples;
namespace dl = deepsolve::learned;
using json = nlohmann::json;

const char* const kTreesId = "trees";

const char* const kFooter = R"(
Experiments (--only takes a comma-separated list of these ids):
  fig4_gradient_A     gradient updates 1/L_b, least squares on A, tau = 5 (Fig. 4)
  fig5_matrix_A       matrix updates H_b^-1, least squares on A, tau = 5 (Fig. 5)
  fig10_partitions_A  Order, Avg and Sort partitions for GS, GSL, GSD on A (Fig. 10)
  fig4_gradient_C     gradient updates, softmax on C, tau = 5 (Fig. 4)
  fig12_newton_B      Newton with a line search, logistic on B, tau = 50 (Fig. 12)
  fig7_active_set_A   NNLS + L1 on A: PG, TMP and PN updates, support identification (Figs. 7, 13)
  trees               tree-structured blocks on the lattice D and the two-moons graph E (Fig. 6)

Datasets: A is 1000 x 10000 (B the same with logistic labels), C has 1000 x 1000 features and 50
classes (50,000 variables); --quick uses 200 x 1000 and 100 x 100 with 10 classes, and smaller
graphs (seconds in all). Every run starts from x = 0; f* is computed to high accuracy first.

Writes into --out: <id>.csv (rule, iteration, seconds, objective, f - f*), <id>.png (f - f* per
iteration, log scale) and <id>_time.png (per second) for each experiment, and summary.json.
See docs/bcd.md, "Reproduction of the paper's experiments".

Exit status: 0 done (whether or not every ordering holds), 2 bad input or a failure.
)";

struct Options {
  bool quick = false;
  std::string out = "bcd_reproduction";
  std::int64_t iterations = 500;
  std::int64_t seed = 1;
  std::string only;
  std::string help;
};

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  CLI::App app{
      "bcd reproduce: the experiments of Nutini, Laradji & Schmidt (JMLR 2022) on seeded "
      "analogs of their datasets.",
      "bcd reproduce"};
  ex::setup_app(app, 26, kFooter);
  app.add_flag("--quick", o.quick, "Small datasets (seconds)");
  app.add_option("--out", o.out, "The folder for the CSV, PNG and JSON files")
      ->type_name("DIR")
      ->capture_default_str();
  app.add_option("--iterations", o.iterations, "Iterations per rule (>= 1)")
      ->type_name("K")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "The datasets' and the random rules' seed (>= 0)")
      ->type_name("S")
      ->capture_default_str();
  app.add_option("--only", o.only, "Run only these experiments (ids below, comma-separated)")
      ->type_name("IDS");
  o.help = ex::parse(app, args);
  if (!o.help.empty()) return o;
  ex::check_at_least("--iterations", o.iterations, 1);
  ex::check_non_negative("--seed", o.seed);
  ex::check(!o.out.empty(), "--out: the folder name is empty");
  std::vector<std::string> valid = engine_experiment_ids();
  valid.push_back(kTreesId);
  for (const std::string& id : ex::split_list(o.only, true))
    ex::check_choice("--only", "experiment", id, valid);
  return o;
}

std::string sci(double v) {
  if (!std::isfinite(v)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2e", v);
  return buffer;
}

// f - f*, floored for the log-scale plots (a run that reaches f* exactly would vanish).
double plotted_gap(double gap) {
  return std::max(gap, 1e-16);
}

double gap_at_seconds(const Experiment& e, const deepsolve::bcd::Trace& c, double seconds) {
  double gap = std::numeric_limits<double>::quiet_NaN();
  for (const auto& p : c.points) {
    if (p.seconds > seconds) break;
    gap = p.objective - e.optimum;
  }
  return gap;
}

void print_experiment(const Experiment& e) {
  std::int64_t last = 0;
  for (const auto& c : e.curves)
    if (!c.points.empty()) last = std::max(last, c.points.back().iteration);
  std::vector<std::int64_t> checkpoints = {0};
  for (double fraction : {0.1, 0.25, 0.5, 1.0}) {
    const auto it = static_cast<std::int64_t>(std::llround(fraction * double(last)));
    if (it > checkpoints.back()) checkpoints.push_back(it);
  }
  const std::vector<double> times = {0.01, 0.1, 1.0};
  std::printf("\n== %s: %s (f* = %.10g)\n", e.id.c_str(), e.title.c_str(), e.optimum);
  std::printf("  %-26s", "f - f* at iteration");
  for (auto it : checkpoints) std::printf(" %9lld", static_cast<long long>(it));
  std::printf(" |   at second");
  for (double t : times) std::printf(" %9g", t);
  std::printf(" | total s\n");
  for (const auto& c : e.curves) {
    std::printf("  %-26s", c.label.c_str());
    for (auto it : checkpoints) std::printf(" %9s", sci(gap_at_iteration(e, c, it)).c_str());
    std::printf(" |            ");
    for (double t : times) std::printf(" %9s", sci(gap_at_seconds(e, c, t)).c_str());
    std::printf(" | %7.3f\n", c.points.empty() ? 0.0 : c.points.back().seconds);
  }
  for (const auto& o : e.orderings)
    std::printf("  ordering: %s: %s (%s)\n", o.claim.c_str(), o.holds ? "holds" : "does not hold",
                o.detail.c_str());
}

void write_csv(const Experiment& e, const std::string& path) {
  ex::Csv csv({"rule", "iteration", "seconds", "objective", "f_minus_fstar"});
  for (const auto& c : e.curves)
    for (const auto& p : c.points)
      csv.row({c.label, std::to_string(p.iteration), ex::Csv::number(p.seconds),
               ex::Csv::number(p.objective), ex::Csv::number(p.objective - e.optimum)});
  csv.write(path);
}

#ifdef BCD_PLOTS
void write_plots(const Experiment& e, const std::string& per_iteration,
                 const std::string& per_second) {
  for (int by_time = 0; by_time < 2; ++by_time) {
    ex::LinePlot plot;
    plot.title = e.title;
    plot.x_label = by_time ? "seconds" : "iteration";
    plot.y_label = "log10(f - f*)";
    for (std::size_t k = 0; k < e.curves.size(); ++k) {
      const auto& c = e.curves[k];
      ex::Series s;
      s.name = c.label;
      s.color = ex::palette(k);
      s.dashed = k >= 8;
      for (const auto& p : c.points) {
        s.x.push_back(by_time ? p.seconds : double(p.iteration));
        s.y.push_back(std::log10(plotted_gap(p.objective - e.optimum)));
      }
      plot.series.push_back(std::move(s));
    }
    dl::write_file_atomically(by_time ? per_second : per_iteration, ex::plot_png(plot, 900, 600));
  }
}
#endif

json summary_of(const Experiment& e) {
  json j;
  j["id"] = e.id;
  j["title"] = e.title;
  j["optimum"] = e.optimum;
  j["curves"] = json::array();
  for (const auto& c : e.curves) {
    json cj;
    cj["label"] = c.label;
    if (!c.points.empty()) {
      cj["iterations"] = c.points.back().iteration;
      cj["seconds"] = c.points.back().seconds;
      cj["final_gap"] = c.points.back().objective - e.optimum;
      cj["initial_gap"] = c.points.front().objective - e.optimum;
    }
    cj["iterations_to_1e-8"] = iterations_to(e, c, 1e-8);
    cj["iterations_to_1e-8_relative"] =
        iterations_to(e, c, 1e-8 * std::max(1.0, std::abs(e.optimum)));
    cj["support_identified_at"] = c.support_identified_at;
    j["curves"].push_back(cj);
  }
  j["orderings"] = json::array();
  for (const auto& o : e.orderings)
    j["orderings"].push_back({{"claim", o.claim}, {"holds", o.holds}, {"detail", o.detail}});
  return j;
}

}  // namespace reproduce_cli

void reproduce_command(const std::vector<std::string>& args) {
  using namespace reproduce_cli;
  const Options o = parse_options(args);
  if (!o.help.empty()) {
    std::fputs(o.help.c_str(), stdout);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  std::error_code error;
  std::filesystem::create_directories(o.out, error);
  if (error)
    throw std::runtime_error("--out " + o.out + ": cannot create it (" + error.message() + ")");
  const auto in_out = [&](const std::string& name) {
    return (std::filesystem::path(o.out) / name).string();
  };
  dl::check_output_path(in_out("summary.json"), "--out");

  EngineSettings settings;
  settings.quick = o.quick;
  settings.iterations = o.iterations;
  settings.seed = static_cast<std::uint64_t>(o.seed);
  settings.only = ex::split_list(o.only);
  settings.progress = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  std::printf("bcd reproduce: %s run, %lld iterations per rule, seed %lld\n",
              o.quick ? "quick" : "full", static_cast<long long>(o.iterations),
              static_cast<long long>(o.seed));
  const bool engine_wanted =
      settings.only.empty() || std::any_of(settings.only.begin(), settings.only.end(),
                                           [](const std::string& id) { return id != kTreesId; });
  std::vector<Experiment> experiments;
  if (engine_wanted) experiments = engine_experiments(settings);
  if (settings.only.empty() ||
      std::find(settings.only.begin(), settings.only.end(), kTreesId) != settings.only.end()) {
    std::printf("tree-structured blocks (datasets D and E)\n");
    std::fflush(stdout);
    for (auto& e : tree_experiments(o.quick, settings.seed)) experiments.push_back(std::move(e));
  }

  json summary;
  summary["command"] = deepsolve::examples::command_record(args);
  summary["quick"] = o.quick;
  summary["iterations"] = o.iterations;
  summary["seed"] = o.seed;
  summary["experiments"] = json::array();
  int holds = 0, total = 0;
  for (const Experiment& e : experiments) {
    print_experiment(e);
    write_csv(e, in_out(e.id + ".csv"));
#ifdef BCD_PLOTS
    write_plots(e, in_out(e.id + ".png"), in_out(e.id + "_time.png"));
#endif
    summary["experiments"].push_back(summary_of(e));
    for (const auto& ordering : e.orderings) holds += ordering.holds, ++total;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary["orderings_holding"] = holds;
  summary["orderings"] = total;
  summary["seconds"] = seconds;
  ex::write_json(in_out("summary.json"), summary);
  std::printf("\n%d of %d orderings hold; %.1f s; files in %s\n", holds, total, seconds,
              o.out.c_str());
}

}  // namespace bcd_example
