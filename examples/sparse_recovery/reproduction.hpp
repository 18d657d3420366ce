// The results of sparse_recovery reproduce (the supervised vs. unsupervised experiment of
// Nagahisa, Hayakawa & Iiguni 2025, arXiv 2509.01331) as data: one curve per method over the
// iterations or layers t, and the paper's four findings evaluated on them (findings.cpp). The
// command (reproduce.cpp) fills it; report.cpp prints and writes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace sparse_recovery {

/// One method on the test set. Curves are indexed by t: entry 0 is x_0 = 0 (every method starts
/// there), entry t the iterate or layer output x_t.
struct MethodResult {
  std::string key;          ///< "ista", "unfolded_ista_supervised", ... (file names, JSON keys)
  std::string label;        ///< "unfolded ISTA (supervised)"
  std::string short_label;  ///< a column header, "uISTA-sup"
  std::string penalty;      ///< "l1" or "l0": the problem whose objective is measured
  bool network = false;
  std::string loss;  ///< "supervised" / "unsupervised" for networks, "" otherwise
  std::vector<double> objective, nmse_db;
  /// On the mismatched test set (networks and IHT); empty when not measured.
  std::vector<double> mismatch_objective, mismatch_nmse_db;
  // Networks only.
  std::string model_type;
  std::string model_file;
  std::int64_t epochs = 0;
  double learning_rate = 0.0;
  bool incremental = false;  ///< layer by layer, then the whole network
  double train_seconds = 0.0;
  double final_train_loss = 0.0;
  double eval_seconds = 0.0;  ///< the whole curve (classical: K iterations)

  /// The last t of the curves (T for networks, K for the classical methods).
  int last() const { return static_cast<int>(objective.size()) - 1; }
};

struct Finding {
  int number = 0;
  std::string claim;  ///< what the paper says, one line
  bool holds = false;
  std::string numbers;  ///< the measured numbers that decide it
};

struct Reproduction {
  ReproduceOptions options;
  std::vector<MethodResult> methods;
  std::vector<Finding> findings;
  double seconds = 0.0;
  int threads = 0;
  std::string command;

  /// The method of that key; throws std::logic_error when there is none.
  const MethodResult& method(const std::string& key) const;
};

/// The classical iteration counts shown besides t = 1..T: T and 50, 100, 200, 500, 1000, 2000,
/// 5000, ... up to `iterations`, and `iterations` itself.
std::vector<int> classical_marks(int layers, int iterations);

/// The four findings, each decided by the rule documented in docs/unfolded.md
/// ("Reproduction"). Needs the methods ista, fista, iht and the four unfolded networks.
std::vector<Finding> evaluate_findings(const Reproduction& r);

/// "finding N: holds (numbers)" / "finding N: does not hold (numbers)".
std::string finding_line(const Finding& f);

}  // namespace sparse_recovery
