#include "model_evaluation.hpp"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/training.hpp"

namespace sparse_recovery {

namespace du = deepsolve::unfolded;

LayerCurve evaluate_network(du::UnfoldedModule& net, const du::SparseBatch& batch) {
  const auto start = std::chrono::steady_clock::now();
  LayerCurve curve;
  for (const du::LayerMetrics& m : du::evaluate_layers(net, batch)) {
    curve.objective.push_back(m.objective);
    curve.nmse_db.push_back(m.nmse_db);
  }
  curve.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return curve;
}

ClassicalPoint classical_at(du::Penalty penalty, double lambda, const du::SparseBatch& batch,
                            int iterations) {
  const du::IterativeMethod method =
      penalty == du::Penalty::l1 ? du::IterativeMethod::ista : du::IterativeMethod::iht;
  du::IterativeOptions options;
  options.method(method).lambda(lambda).iterations(iterations);
  const du::BatchIterativeResult r = du::solve_iterative(batch.A, batch.y, options, batch.x);
  return {du::method_name(method), r.iterations, r.objective.mean().item<double>(), r.nmse_db};
}

nlohmann::json layer_curve_json(const LayerCurve& curve) {
  const bool truth = !curve.nmse_db.empty();
  nlohmann::json history = nlohmann::json::array();
  for (std::size_t t = 0; t < curve.objective.size(); ++t) {
    nlohmann::json row = {{"layer", t + 1}, {"objective", curve.objective[t]}};
    if (truth) row["nmse_db"] = curve.nmse_db[t];
    history.push_back(row);
  }
  nlohmann::json j = {{"objective", curve.objective.back()},
                      {"iterations", curve.objective.size()},
                      {"time_s", curve.seconds},
                      {"history", history}};
  if (truth) j["nmse_db"] = curve.nmse_db.back();
  return j;
}

std::string layer_table(const LayerCurve& curve) {
  const bool truth = !curve.nmse_db.empty();
  std::string out = truth ? "  layer  NMSE (dB)  objective\n" : "  layer  objective\n";
  char line[96];
  for (std::size_t t = 0; t < curve.objective.size(); ++t) {
    if (truth)
      std::snprintf(line, sizeof line, "  %5zu  %9.2f  %.6g\n", t + 1, curve.nmse_db[t],
                    curve.objective[t]);
    else
      std::snprintf(line, sizeof line, "  %5zu  %.6g\n", t + 1, curve.objective[t]);
    out += line;
  }
  return out;
}

}  // namespace sparse_recovery
