// What train, run and reproduce measure of a network: the mean objective and the NMSE of every
// layer's output x_t (t = 1..T), how they are printed and stored in JSON, and the classical method
// of the same penalty after a given number of iterations for comparison.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/penalty.hpp"
#include "deepsolve/unfolded/synthetic.hpp"

namespace sparse_recovery {

/// Entry t-1 is layer t.
struct LayerCurve {
  std::vector<double> objective;  ///< mean over the problems of 1/2 ||y - A x_t||^2 + lambda R(x_t)
  std::vector<double> nmse_db;    ///< of the whole batch; empty without a truth
  double seconds = 0.0;           ///< the forward pass (and the measures)
};

/// unfolded::evaluate_layers on `batch` (which has the true x), timed.
LayerCurve evaluate_network(deepsolve::unfolded::UnfoldedModule& net,
                            const deepsolve::unfolded::SparseBatch& batch);

/// ISTA (l1) or IHT (l0) after `iterations` iterations on `batch`.
struct ClassicalPoint {
  std::string method;
  int iterations = 0;
  double objective = 0.0;
  double nmse_db = 0.0;
};
ClassicalPoint classical_at(deepsolve::unfolded::Penalty penalty, double lambda,
                            const deepsolve::unfolded::SparseBatch& batch, int iterations);

/// {"objective", "nmse_db" (with a truth), "iterations", "time_s", "history": [{"layer",
/// "objective", "nmse_db"}, ...]}: the objective and NMSE of the last layer, and every layer's.
nlohmann::json layer_curve_json(const LayerCurve& curve);

/// "layer  NMSE (dB)  objective" and one line per layer.
std::string layer_table(const LayerCurve& curve);

}  // namespace sparse_recovery
