// Checks on train_dcdm's outputs for the ctests in this folder. Exit 0 when the check passes, 1
// with a message when it does not, 2 for bad usage.
//
//   check_model same A.pt B.pt RTOL         parameters of two model files: bit for bit (RTOL 0)
//                                           or ||a - b|| / ||a|| <= RTOL over all of them
//   check_model same-log A.csv B.csv        the epoch, step, train_loss and validation_loss
//                                           columns of two metrics logs are identical
//   check_model loss-decreases LOG.csv      the train and validation losses of the last epoch are
//                                           below those of the first, and every epoch's train
//                                           loss is below the first's
//   check_model metadata M.pt LOG.csv key=regex...
//                                           the model (CNN or V-cycle) loads; each metadata value
//                                           matches its regex (whole string); final_loss is the
//                                           log's last train_loss; epochs is the log's row count
//   check_model truncate SRC DST FRACTION   writes the first FRACTION of SRC's bytes to DST
//   check_model flip SRC DST FRACTION       writes SRC to DST with one bit flipped in the byte at
//                                           FRACTION of its length
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>

#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/training/metrics_log.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"

namespace {

namespace dcdm = deepsolve::solvers::dcdm;
namespace dl = deepsolve::learned;

int fail(const std::string& message) {
  std::cerr << "check_model: " << message << "\n";
  return 1;
}

// A model file of either architecture: its named parameters and metadata.
struct Model {
  torch::OrderedDict<std::string, torch::Tensor> parameters;
  dcdm::ModelInfo info;
  std::int64_t num_parameters() const {
    std::int64_t n = 0;
    for (const auto& p : parameters) n += p.value().numel();
    return n;
  }
};

Model load_model(const std::string& path) {
  const auto m = dcdm::load_direction_model(path);
  return {m.module->named_parameters(), m.info};
}

int same(const std::string& a_path, const std::string& b_path, double rtol) {
  const Model a = load_model(a_path), b = load_model(b_path);
  const auto &pa = a.parameters, &pb = b.parameters;
  if (pa.size() != pb.size()) return fail("different parameter counts");
  double diff2 = 0.0, norm2 = 0.0, worst = 0.0;
  std::string worst_name;
  std::int64_t differing = 0;
  for (const auto& item : pa) {
    const torch::Tensor* other = pb.find(item.key());
    if (other == nullptr || other->sizes() != item.value().sizes())
      return fail("parameter " + item.key() + " differs in name or shape");
    const torch::Tensor x = item.value().to(torch::kFloat64), y = other->to(torch::kFloat64);
    differing += x.ne(y).sum().item<std::int64_t>();
    const double d = (x - y).norm().item<double>(), n = x.norm().item<double>();
    diff2 += d * d;
    norm2 += n * n;
    const double rel = n > 0 ? d / n : d;
    if (rel > worst) {
      worst = rel;
      worst_name = item.key();
    }
  }
  const double rel = std::sqrt(diff2 / std::max(norm2, 1e-300));
  std::printf(
      "%s vs %s: %lld parameters differ, ||a - b|| / ||a|| = %.3e (worst tensor %s: %.3e)\n",
      a_path.c_str(), b_path.c_str(), static_cast<long long>(differing), rel,
      worst_name.empty() ? "-" : worst_name.c_str(), worst);
  if (rtol == 0.0 ? differing != 0 : !(rel <= rtol))
    return fail(rtol == 0.0 ? "the parameters are not bit for bit the same"
                            : "relative difference above " + std::to_string(rtol));
  return 0;
}

dl::MetricsLog read_log(const std::string& path) {
  return dl::MetricsLog::from_csv(dl::read_whole_file(path, "metrics log"));
}

int same_log(const std::string& a_path, const std::string& b_path) {
  const auto a = read_log(a_path), b = read_log(b_path);
  if (a.size() != b.size() || a.size() == 0)
    return fail(a_path + " has " + std::to_string(a.size()) + " rows, " + b_path + " " +
                std::to_string(b.size()));
  for (std::size_t r = 0; r < a.size(); ++r)
    for (const char* c : {"epoch", "step", "train_loss", "validation_loss"})
      if (a.at(r, c) != b.at(r, c))
        return fail("row " + std::to_string(r + 1) + " column " + c + ": " +
                    dl::shortest_double(a.at(r, c)) + " vs " + dl::shortest_double(b.at(r, c)));
  std::printf("%s and %s: %zu identical rows\n", a_path.c_str(), b_path.c_str(), a.size());
  return 0;
}

int loss_decreases(const std::string& path) {
  const auto log = read_log(path);
  if (log.size() < 2) return fail(path + ": fewer than 2 epochs");
  const std::size_t last = log.size() - 1;
  for (std::size_t r = 0; r < log.size(); ++r)
    std::printf("epoch %zu: train %.6e validation %.6e\n", r + 1, log.at(r, "train_loss"),
                log.at(r, "validation_loss"));
  for (std::size_t r = 1; r < log.size(); ++r)
    if (!(log.at(r, "train_loss") < log.at(0, "train_loss")))
      return fail("the train loss of epoch " + std::to_string(r + 1) + " is not below epoch 1's");
  if (!(log.at(last, "validation_loss") < log.at(0, "validation_loss")))
    return fail("the validation loss did not decrease");
  return 0;
}

int metadata(const std::string& model, const std::string& log_path, int n, char** checks) {
  const Model m = load_model(model);
  const auto log = read_log(log_path);
  const auto& meta = m.info.metadata;
  for (const auto& [k, v] : meta) std::printf("  %s = %s\n", k.c_str(), v.c_str());
  for (int i = 0; i < n; ++i) {
    const std::string check = checks[i];
    const auto eq = check.find('=');
    if (eq == std::string::npos) return fail("bad check '" + check + "' (key=regex)");
    const std::string key = check.substr(0, eq);
    const auto it = meta.find(key);
    if (it == meta.end()) return fail(model + ": no metadata '" + key + "'");
    if (!std::regex_match(it->second, std::regex(check.substr(eq + 1))))
      return fail(model + ": metadata " + key + " = '" + it->second + "' does not match '" +
                  check.substr(eq + 1) + "'");
  }
  const double final_loss = std::stod(meta.at("final_loss"));
  const double logged = log.at(log.size() - 1, "train_loss");
  if (std::abs(final_loss - logged) > 1e-8 * std::abs(logged))
    return fail("final_loss " + meta.at("final_loss") + " is not the log's last train loss " +
                dl::shortest_double(logged));
  if (meta.at("epochs") != std::to_string(log.size()))
    return fail("epochs " + meta.at("epochs") + " but the log has " + std::to_string(log.size()) +
                " rows");
  if (m.info.grid.dim == 0 || m.info.grid.boundaries.empty())
    return fail("the model file has no training grid");
  std::printf("%s: %lld parameters, grid %dD %dx%dx%d (%s)\n", model.c_str(),
              static_cast<long long>(m.num_parameters()), m.info.grid.dim, m.info.grid.size[0],
              m.info.grid.size[1], m.info.grid.size[2], m.info.grid.boundaries.c_str());
  return 0;
}

int truncate(const std::string& src, const std::string& dst, double fraction) {
  const std::string bytes = dl::read_whole_file(src);
  dl::write_file_atomically(
      dst, bytes.substr(0, static_cast<std::size_t>(fraction * static_cast<double>(bytes.size()))));
  return 0;
}

int flip(const std::string& src, const std::string& dst, double fraction) {
  std::string bytes = dl::read_whole_file(src);
  const auto at = std::min(bytes.size() - 1,
                           static_cast<std::size_t>(fraction * static_cast<double>(bytes.size())));
  bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
  dl::write_file_atomically(dst, bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string what = argc > 1 ? argv[1] : "";
    if (what == "same" && argc == 5) return same(argv[2], argv[3], std::stod(argv[4]));
    if (what == "same-log" && argc == 4) return same_log(argv[2], argv[3]);
    if (what == "loss-decreases" && argc == 3) return loss_decreases(argv[2]);
    if (what == "metadata" && argc >= 4) return metadata(argv[2], argv[3], argc - 4, argv + 4);
    if (what == "truncate" && argc == 5) return truncate(argv[2], argv[3], std::stod(argv[4]));
    if (what == "flip" && argc == 5) return flip(argv[2], argv[3], std::stod(argv[4]));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::cerr << "usage: see the comment at the top of tests/train_dcdm/check_model.cpp\n";
  return 2;
}
