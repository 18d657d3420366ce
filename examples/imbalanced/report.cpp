#include "report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/output.hpp"
#include "common/plot.hpp"

namespace imbalanced {

namespace {

std::string format(const char* spec, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, v);
  return buffer;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string model_name(const Problem& p, const Options& o) {
  const std::string in = std::to_string(p.train.x.size(1)), out = std::to_string(p.outputs());
  if (o.hidden == 0) return "linear " + in + "-" + out;
  const std::string h = std::to_string(o.hidden);
  return "MLP " + in + "-" + h + "-" + h + "-" + out;
}

std::string counts_text(const std::vector<std::int64_t>& counts) {
  std::string out;
  for (const auto c : counts) out += (out.empty() ? "" : "/") + std::to_string(c);
  return out;
}

// The last value of a curve, or NaN for an empty one.
double last(const std::vector<double>& v) {
  return v.empty() ? std::nan("") : v.back();
}

std::string metrics_cells(const Metrics& m) {
  return format("%-8.4f", m.f1) + " " + format("%-8.4f", m.balanced_accuracy) + " " +
         format("%-8.4f", m.auc) + " " + format("%-8.4f", m.accuracy);
}

nlohmann::json metrics_json(const Metrics& m) {
  return {{"f1", m.f1},
          {"balanced_accuracy", m.balanced_accuracy},
          {"auc", m.auc},
          {"accuracy", m.accuracy},
          {"recall", m.recall}};
}

nlohmann::json curve_json(const Curve& c) {
  return {{"train_loss", c.train_loss},
          {"test_loss", c.test_loss},
          {"diverged", c.diverged},
          {"steps", c.steps},
          {"seconds", c.seconds}};
}

nlohmann::json problem_json(const Problem& p) {
  return {{"name", p.name},     {"classes", p.classes},           {"dim", p.train.x.size(1)},
          {"priors", p.priors}, {"train_counts", p.train_counts}, {"test_counts", p.test_counts}};
}

}  // namespace

std::string describe(const Problem& p) {
  std::ostringstream s;
  s << p.name << " problem: " << p.train.x.size(1) << " dimensions, ";
  if (p.binary()) {
    s << "train " << p.train.x.size(0) << " (" << p.train_counts[1] << " positive, "
      << format("%.1f", 100.0 * p.priors[1]) << "%), test " << p.test.x.size(0) << " ("
      << p.test_counts[1] << " positive)";
  } else {
    s << p.classes << " classes, priors";
    for (std::size_t k = 0; k < p.priors.size(); ++k)
      s << (k ? "/" : " ") << format("%.3f", p.priors[k]);
    s << "; train " << counts_text(p.train_counts) << ", test " << counts_text(p.test_counts);
  }
  return s.str();
}

std::string loss_table(const LossStudy& study, const Options& o) {
  const Problem& p = *study.problem;
  std::ostringstream s;
  s << describe(p) << "\n";
  s << model_name(p, o) << ", " << o.optimizer << " lr " << o.lr << ", " << o.epochs
    << " epochs, batch " << o.batch << "; test-set metrics"
    << (p.binary() ? " (F1 of the positive class, logit > 0)"
                   : " (macro F1, argmax; AUC macro one-vs-rest)")
    << "\n";
  std::size_t width = 14;
  for (const auto& r : study.runs) width = std::max(width, r.loss.size() + 2);
  s << pad("loss", width) << pad(p.binary() ? "F1" : "macro-F1", 9) << "bal.acc  "
    << (p.binary() ? "AUC      " : "AUC(ovr) ")
    << "accuracy train loss          test loss  seconds\n";
  for (const auto& r : study.runs) {
    s << pad(r.loss, width) << metrics_cells(r.metrics) << " "
      << pad(format("%.4f", r.curve.train_loss.front()) + " -> " +
                 format("%.4f", last(r.curve.train_loss)),
             19)
      << pad(format("%.4f", last(r.curve.test_loss)), 11) << format("%.1f", r.curve.seconds)
      << (r.curve.diverged ? "  DIVERGED" : "") << "\n";
  }
  return s.str();
}

std::string optimizer_table(const OptimizerStudy& study, const Options& o) {
  const Problem& p = *study.problem;
  std::ostringstream s;
  s << "optimizers: " << curve_loss() << " on the " << p.name << " problem, " << model_name(p, o)
    << ", " << o.curve_epochs << " epochs, batch " << o.batch
    << "; train / test loss after each epoch\n";
  s << "epoch";
  for (const auto& r : study.runs) s << "  " << pad(r.optimizer, 17);
  s << "\n";
  for (std::int64_t e = 0; e <= o.curve_epochs; ++e) {
    s << format("%5.0f", static_cast<double>(e));
    for (const auto& r : study.runs) {
      const auto i = static_cast<std::size_t>(e);
      const std::string cell =
          i < r.curve.train_loss.size()
              ? format("%.4f", r.curve.train_loss[i]) + " / " + format("%.4f", r.curve.test_loss[i])
              : (r.curve.diverged ? "diverged" : "");
      s << "  " << pad(cell, 17);
    }
    s << "\n";
  }
  std::size_t width = 11;
  for (const auto& r : study.runs) width = std::max(width, r.optimizer.size() + 2);
  s << pad("optimizer", width)
    << "macro-F1 bal.acc  AUC(ovr) accuracy final train/test loss  seconds  settings\n";
  for (const auto& r : study.runs) {
    std::string settings;
    for (const auto& [k, v] : r.settings) settings += (settings.empty() ? "" : " ") + k + "=" + v;
    s << pad(r.optimizer, width) << metrics_cells(r.metrics) << " "
      << pad(format("%.4f", last(r.curve.train_loss)) + " / " +
                 format("%.4f", last(r.curve.test_loss)),
             23)
      << pad(format("%.1f", r.curve.seconds), 9) << settings
      << (r.curve.diverged ? "  DIVERGED" : "") << "\n";
  }
  return s.str();
}

std::string to_json(const std::vector<LossStudy>& losses, const OptimizerStudy* optimizers,
                    const Options& o, const std::string& command) {
  nlohmann::json j;
  j["program"] = "imbalanced";
  j["command"] = command;
  j["settings"] = {{"seed", o.seed},
                   {"part", o.part},
                   {"threads", o.threads},
                   {"dim", o.dim},
                   {"train", o.train},
                   {"test", o.test},
                   {"positive_rate", o.positive_rate},
                   {"classes", o.classes},
                   {"imbalance", o.imbalance},
                   {"separation", o.separation},
                   {"hidden", o.hidden},
                   {"losses", o.losses},
                   {"optimizer", o.optimizer},
                   {"lr", o.lr},
                   {"epochs", o.epochs},
                   {"batch", o.batch},
                   {"optimizers", o.optimizers},
                   {"curve_epochs", o.curve_epochs},
                   {"sgd_lr", o.sgd_lr},
                   {"adam_lr", o.adam_lr},
                   {"momentum", o.momentum},
                   {"clip", o.clip}};
  j["losses"] = nlohmann::json::array();
  for (const auto& study : losses) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& r : study.runs)
      runs.push_back(
          {{"loss", r.loss}, {"metrics", metrics_json(r.metrics)}, {"curve", curve_json(r.curve)}});
    j["losses"].push_back({{"problem", problem_json(*study.problem)}, {"runs", runs}});
  }
  if (optimizers != nullptr) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& r : optimizers->runs)
      runs.push_back({{"optimizer", r.optimizer},
                      {"settings", r.settings},
                      {"metrics", metrics_json(r.metrics)},
                      {"curve", curve_json(r.curve)}});
    j["optimizers"] = {
        {"problem", problem_json(*optimizers->problem)}, {"loss", curve_loss()}, {"runs", runs}};
  } else {
    j["optimizers"] = nullptr;
  }
  return deepsolve::examples::json_text(j);
}

std::string curves_csv(const OptimizerStudy& study) {
  using deepsolve::examples::Csv;
  Csv csv({"optimizer", "epoch", "train_loss", "test_loss"});
  for (const auto& r : study.runs)
    for (std::size_t e = 0; e < r.curve.train_loss.size(); ++e)
      csv.row({r.optimizer, std::to_string(e), Csv::number(r.curve.train_loss[e]),
               Csv::number(r.curve.test_loss[e])});
  return csv.text();
}

std::string curves_png(const OptimizerStudy& study, const Options& o) {
  namespace ex = deepsolve::examples;
  ex::LinePlot plot;
  plot.title = study.problem->name + " " + curve_loss() + ": train (solid), test (dashed)";
  plot.x_label = "epoch";
  plot.y_label = "loss";
  double start = 0;
  for (std::size_t i = 0; i < study.runs.size(); ++i) {
    const auto& r = study.runs[i];
    std::vector<double> epochs(r.curve.train_loss.size());
    for (std::size_t e = 0; e < epochs.size(); ++e) epochs[e] = static_cast<double>(e);
    plot.series.push_back(
        {r.optimizer + " train", epochs, r.curve.train_loss, ex::palette(i), false});
    plot.series.push_back({r.optimizer + " test", epochs, r.curve.test_loss, ex::palette(i), true});
    if (!r.curve.train_loss.empty()) start = std::max(start, r.curve.train_loss.front());
  }
  // A diverging optimizer must not squash the others: the axis stops a little above the start.
  if (start > 0) plot.y_max = 1.25 * start;
  return ex::plot_png(plot, o.png_width, o.png_height);
}

}  // namespace imbalanced
