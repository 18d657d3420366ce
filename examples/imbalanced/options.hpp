// imbalanced's command line (CLI11) and its checks, each naming the offending option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace imbalanced {

/// Process exit codes (also listed in --help).
enum ExitCode : int { exit_ok = 0, exit_error = 2 };

struct Options {
  std::uint64_t seed = 1;
  std::string part = "all";  ///< all | losses | optimizers
  int threads = 1;

  // The two problems.
  int dim = 8;
  std::int64_t train = 4000;
  std::int64_t test = 4000;
  double positive_rate = 0.05;  ///< binary: fraction of positives, in (0, 1)
  int classes = 4;
  double imbalance = 0.1;  ///< multi-class: prior of the rarest class / prior of the commonest
  double separation = 3.0;

  // The model.
  int hidden = 32;  ///< width of the two hidden layers; 0: a linear model

  // Part 1: the losses.
  std::vector<std::string> losses = {"cross-entropy", "anyloss-f1", "gce", "mw"};
  std::string optimizer = "adam";
  double lr = 1e-2;
  std::int64_t epochs = 30;
  std::int64_t batch = 128;

  // Part 2: the optimizers (cross-entropy on the multi-class problem).
  std::vector<std::string> optimizers = {"sgd", "sgd-clip", "adam"};
  std::int64_t curve_epochs = 30;
  double sgd_lr = 0.1;    ///< sgd, sgd-clip and the other non-Adam optimizers
  double adam_lr = 1e-3;  ///< adam, adamw, adam-clip
  double momentum = 0.9;  ///< every optimizer with momentum (sgd: dampening too)
  double clip = 0.1;      ///< fraction of clipped coordinates (sgd-clip, adam-clip)

  // Output.
  std::string json;
  std::string csv;
  std::string png;
  int png_width = 800;
  int png_height = 500;

  std::string help;  ///< non-empty when --help was asked for: print it and exit 0

  bool run_losses() const { return part == "all" || part == "losses"; }
  bool run_optimizers() const { return part == "all" || part == "optimizers"; }
};

/// Parses the command line (args[0] is the program name). Throws std::invalid_argument with a
/// one-line message for anything malformed or out of range.
Options parse_options(const std::vector<std::string>& args);

/// The output files (--json, --csv, --png), each with its option.
deepsolve::examples::OutputFiles output_files(const Options& o);

}  // namespace imbalanced
