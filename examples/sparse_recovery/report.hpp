// How sparse_recovery reproduce shows its results: the tables printed on stdout, and the files
// written into --out (per_layer.csv, the PNG plots, reproduction.md, summary.json).
#pragma once

#include <string>
#include <vector>

#include "reproduction.hpp"

namespace sparse_recovery {

/// NMSE (dB) and mean objective per t: rows t = 1..T, then the classical methods at the
/// iteration counts of classical_marks; one column per method.
std::string results_table(const Reproduction& r);
/// The mismatch test: NMSE at layer (iteration) T of each method measured on both test sets.
std::string mismatch_table(const Reproduction& r);

/// Every curve: columns test (matched, mismatched), method, penalty, t, nmse_db, objective.
std::string per_layer_csv(const Reproduction& r);
/// The markdown report (docs/unfolded.md quotes it): setup, tables, findings, timings.
std::string reproduction_markdown(const Reproduction& r);
/// The JSON summary: options, per method its curves (t = 0..T, or 0..K) and training, findings.
std::string summary_json(const Reproduction& r);

/// The plots (PNG bytes): NMSE vs t for every method; the l1 and the l0 objective vs t; and
/// log10 of the l1 objective's relative gap to FISTA's last iterate.
std::string nmse_plot(const Reproduction& r);
std::string objective_plot(const Reproduction& r, const std::string& penalty);
std::string objective_gap_plot(const Reproduction& r);

}  // namespace sparse_recovery
