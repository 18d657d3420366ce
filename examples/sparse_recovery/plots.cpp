// The plots of sparse_recovery reproduce, drawn with examples/common/plot.hpp.
#include <cmath>
#include <functional>

#include "common/plot.hpp"
#include "report.hpp"

namespace sparse_recovery {

namespace {

namespace ex = deepsolve::examples;

constexpr int kWidth = 900, kHeight = 560;

// One series per method, t = 1..T (the classical methods cut at T too, so every line spans the
// same axis); networks solid, classical methods dashed.
ex::LinePlot layer_plot(const Reproduction& r, const std::string& title, const std::string& y_label,
                        const std::function<bool(const MethodResult&)>& keep,
                        const std::function<double(const MethodResult&, int)>& value) {
  ex::LinePlot plot;
  plot.title = title;
  plot.x_label = "layer / iteration t";
  plot.y_label = y_label;
  const int T = static_cast<int>(r.options.layers);
  std::size_t colour = 0;
  for (const MethodResult& m : r.methods) {
    if (!keep(m)) {
      ++colour;
      continue;
    }
    ex::Series s;
    s.name = m.label;
    s.color = ex::palette(colour++);
    s.dashed = !m.network;
    for (int t = 1; t <= T; ++t) {
      s.x.push_back(t);
      s.y.push_back(value(m, t));
    }
    plot.series.push_back(s);
  }
  return plot;
}

}  // namespace

std::string nmse_plot(const Reproduction& r) {
  const auto plot = layer_plot(
      r, "NMSE on the test set", "NMSE (dB)", [](const MethodResult&) { return true; },
      [](const MethodResult& m, int t) { return m.nmse_db[t]; });
  return ex::plot_png(plot, kWidth, kHeight);
}

std::string objective_plot(const Reproduction& r, const std::string& penalty) {
  ex::LinePlot plot;
  if (penalty == "l1")
    plot = layer_plot(
        r, "l1 objective 1/2||y - Ax||^2 + lambda ||x||_1 (mean)", "objective",
        [](const MethodResult& m) { return m.penalty == "l1"; },
        [](const MethodResult& m, int t) { return m.objective[t]; });
  else
    plot = layer_plot(
        r, "l0 objective 1/2||y - Ax||^2 + lambda ||x||_0 (mean)", "objective",
        [](const MethodResult& m) { return m.penalty == "l0"; },
        [](const MethodResult& m, int t) { return m.objective[t]; });
  // A network's early layers may overshoot far above x_0 = 0's objective (large learned steps):
  // the axis stops there, at the classical methods' starting value.
  plot.y_max = r.method(penalty == "l1" ? "ista" : "iht").objective[0];
  return ex::plot_png(plot, kWidth, kHeight);
}

std::string objective_gap_plot(const Reproduction& r) {
  // The reference is FISTA's last iterate (the best l1 objective measured); a value at or below
  // it has no logarithm and breaks its line.
  const double reference = r.method("fista").objective.back();
  const auto plot = layer_plot(
      r, "l1 objective: log10 of the relative gap to FISTA's last iterate", "log10 gap",
      [](const MethodResult& m) { return m.penalty == "l1"; },
      [reference](const MethodResult& m, int t) {
        const double gap = (m.objective[t] - reference) / reference;
        return gap > 0.0 ? std::log10(gap) : std::nan("");
      });
  return ex::plot_png(plot, kWidth, kHeight);
}

}  // namespace sparse_recovery
