// train_dcdm's command line (CLI11) and its checks, each naming the offending option.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace train_dcdm {

/// Process exit codes (also listed in --help).
enum ExitCode : int { exit_ok = 0, exit_error = 2, exit_diverged = 3 };

struct Options {
  // Grid.
  int dim = 2;
  int size = 64;
  std::string geometry = "sphere";
  bool geometry_given = false;
  std::string cells_file;
  std::string bc = "dirichlet";
  // Dataset.
  std::string dataset;  ///< load it when it exists, else generate and save it there
  int lanczos_steps = 500;
  int samples = 1000;
  bool lanczos_steps_given = false;
  bool samples_given = false;
  // Network.
  std::string architecture = "cnn";  ///< a registered DCDM network type (the model registry)
  /// The network type's options given on the command line (--<option> VALUE; "1" for a flag),
  /// without dim, which --dim gives.
  std::map<std::string, std::string> network;
  std::string describe;  ///< print what this model file holds instead of training
  std::string resave;    ///< re-save this legacy model file at --out instead of training
  std::string init;      ///< start from this model file's weights (same network options)
  // Training.
  std::int64_t epochs = 10;
  std::int64_t batch = 10;
  double lr = 1e-4;
  std::string optimizer = "adam";  ///< a deepsolve::learned registry name
  double momentum = 0.9;           ///< optimizers with momentum only (sgd, sgd-clip)
  double validation_fraction = 0.1;
  std::string lr_schedule =
      "constant";             ///< canonical text (deepsolve/learned/training/lr_schedule.hpp)
  std::int64_t patience = 0;  ///< early stopping after this many epochs; 0: off
  double min_delta = 0.0;     ///< the improvement that resets the patience counter
  std::uint64_t seed = 0;
  std::string device = "auto";
  int threads = 0;  ///< 0: LibTorch's default on one rank, cores / ranks on several
  // Output.
  std::string out;
  std::string checkpoint;  ///< default: out + ".ckpt"
  std::int64_t checkpoint_every = 1;
  bool resume = false;
  std::string log;
  bool quiet = false;

  std::string help;  ///< non-empty when --help was asked for: print it and exit 0
};

/// Parses the command line (args[0] is the program name). Throws std::invalid_argument with a
/// one-line message for anything malformed or out of range.
Options parse_options(const std::vector<std::string>& args);

/// Whether the optimizer takes the --momentum setting.
bool optimizer_has_momentum(const std::string& name);

/// The command line as one shell-quoted string (for the model's metadata).
using deepsolve::examples::quote_command;

/// The files a run writes, each with its option: --out, --checkpoint, --log, and --dataset when it
/// is to be generated (it does not exist, or names a folder).
deepsolve::examples::OutputFiles output_files(const Options& o);

}  // namespace train_dcdm
