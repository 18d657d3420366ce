#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace sparse_recovery {

std::string formatted(const char* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

std::string snr_text(double snr_db) {
  return std::isinf(snr_db) && snr_db > 0 ? std::string("noiseless")
                                          : "SNR " + formatted("%g", snr_db) + " dB";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::map<std::string, std::string> training_metadata(
    const deepsolve::unfolded::UnfoldedModule& net, const deepsolve::unfolded::SyntheticData& data,
    const deepsolve::unfolded::UnfoldedTrainingOptions& options, const std::string& command) {
  std::map<std::string, std::string> metadata;
  std::istringstream settings(deepsolve::unfolded::training_settings(net, data, options));
  std::string line;
  while (std::getline(settings, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) metadata[line.substr(0, eq)] = line.substr(eq + 1);
  }
  metadata["command"] = command;
  return metadata;
}

}  // namespace sparse_recovery
