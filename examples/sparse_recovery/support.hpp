// Small helpers the commands of sparse_recovery share: numbers as text, wall time, and a trained
// network's metadata.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/synthetic.hpp"
#include "deepsolve/unfolded/training.hpp"

namespace sparse_recovery {

/// `value` through printf's `spec` (one conversion of a double, e.g. "%.2f").
std::string formatted(const char* spec, double value);
/// "SNR 40 dB", or "noiseless" for +inf.
std::string snr_text(double snr_db);
/// Seconds of wall time since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

/// The model file's metadata of a trained network: the settings a resumed training checks
/// (unfolded::training_settings, one entry per "key=value" line), and `command`.
std::map<std::string, std::string> training_metadata(
    const deepsolve::unfolded::UnfoldedModule& net, const deepsolve::unfolded::SyntheticData& data,
    const deepsolve::unfolded::UnfoldedTrainingOptions& options, const std::string& command);

}  // namespace sparse_recovery
