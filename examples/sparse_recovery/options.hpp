// sparse_recovery's command lines (CLI11), one per command, and their checks, each naming the
// offending option. The commands are picked by the first argument (main.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace sparse_recovery {

/// Process exit codes (also listed in --help).
enum ExitCode : int { exit_ok = 0, exit_error = 2 };

/// The program's name in messages.
inline const char* const kProgram = "sparse_recovery";

/// The commands, in the order --help lists them.
std::vector<std::string> command_names();
/// The program's overview (sparse_recovery --help, or no arguments).
std::string overview_help();

/// solve: ISTA, FISTA or IHT on the user's Matrix Market problem.
struct SolveOptions {
  std::string matrix;        ///< A, m x n
  std::string measurements;  ///< y, m x B (a vector: B = 1)
  std::string truth;         ///< the true x, n x B (optional: NMSE)
  std::string solution;      ///< write x here (n x B)
  std::string json;
  std::string method = "ista";
  double lambda = 0.0;
  int iterations = 1000;
  double tolerance = 0.0;      ///< relative change; 0: off
  double gap_tolerance = 0.0;  ///< relative duality gap (ista, fista); 0: off
  bool sparse = false;         ///< A as a sparse matrix, one problem at a time in Eigen
  int threads = 0;             ///< 0: LibTorch's default
  bool quiet = false;
  std::string help;
};

/// train: one unfolded network on seeded synthetic data.
struct TrainOptions {
  std::string model_type = "unfolded-ista";
  /// The type's options given on the command line (--<name> VALUE; "1" for a flag).
  std::map<std::string, std::string> network;
  std::string loss = "supervised";
  bool incremental = false;
  std::int64_t epochs_per_layer = 1;
  std::int64_t epochs = 20;
  std::int64_t batch = 64;
  std::int64_t train_size = 1000;  ///< samples per epoch
  bool fixed_samples = false;      ///< the same samples every epoch (default: fresh ones)
  std::int64_t validation_size = 200;
  std::int64_t test_size = 1000;  ///< evaluated after training; 0: none
  double lr = 1e-2;
  std::string lr_schedule = "constant";  ///< canonical text (learned/training/lr_schedule.hpp)
  std::int64_t patience = 0;
  // The data.
  double sparsity = 0.1;
  double snr_db = 40.0;
  std::uint64_t seed = 0;
  bool redraw_matrix = false;
  std::string matrix;  ///< the user's fixed A (Matrix Market); m and n come from it
  // Output.
  std::string out;
  std::string checkpoint;
  std::int64_t checkpoint_every = 1;
  bool resume = false;
  std::string log;
  std::string json;
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
  std::string help;
};

/// run: a trained network on the user's measurements or on synthetic data.
struct RunOptions {
  std::string model;
  std::string measurements;  ///< y, m x B
  std::string matrix;        ///< A (needed by networks that take A as an input)
  std::string truth;
  std::int64_t synthetic = 0;  ///< samples of the test stream; 0: use --measurements
  std::uint64_t seed = 0;
  bool seed_given = false;
  /// Override the model's training data (NaN: the model's, from its metadata).
  double sparsity = std::numeric_limits<double>::quiet_NaN();
  double snr_db = std::numeric_limits<double>::quiet_NaN();
  std::string json;
  std::string solution;
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
  std::string help;
};

/// describe: what a model file holds.
struct DescribeOptions {
  std::string model;
  std::string help;
};

/// reproduce: the supervised vs. unsupervised experiment (docs/unfolded.md, "Reproduction").
struct ReproduceOptions {
  bool quick = false;
  std::string out = "reproduction";
  int threads = 0;
  std::string device = "cpu";
  std::uint64_t seed = 1;
  // The problem.
  std::int64_t measurements = 250;
  std::int64_t signal_size = 500;
  std::int64_t layers = 16;
  double sparsity = 0.1;
  double snr_db = 40.0;
  double lambda = 0.1;      ///< l1 problem (ISTA, FISTA, unfolded ISTA, LISTA-CPSS, ALISTA)
  double lambda_l0 = 0.05;  ///< l0 problem (IHT, unfolded IHT)
  // Training of the four unfolded ISTA/IHT networks: supervised unfolded ISTA as a whole
  // network, the other three layer by layer (the recipe that trained each best on the standard
  // setup; docs/unfolded.md, "Reproduction").
  std::int64_t epochs = 300;          ///< supervised unfolded ISTA
  double lr = 0.2;                    ///< supervised unfolded ISTA
  std::int64_t epochs_per_layer = 6;  ///< the layer-by-layer three: stage t trains x_t
  std::int64_t final_epochs = 36;     ///< ... then the whole network
  double layerwise_lr = 0.02;         ///< ... at this learning rate
  std::int64_t train_size = 2000;
  std::int64_t batch = 64;
  /// Every network's learning rate per epoch (learned/training/lr_schedule.hpp).
  std::string lr_schedule = "cosine";
  // Training of LISTA-CPSS and ALISTA: layer by layer, then the whole network.
  std::int64_t reference_epochs_per_layer = 3;
  std::int64_t reference_final_epochs = 20;
  double reference_lr = 5e-4;
  double alista_lr = 1e-2;
  // The evaluation.
  std::int64_t test_size = 1000;
  int classical_iterations = 1000;
  double mismatch_snr_db = 20.0;
  double mismatch_sparsity = 0.15;
  std::string help;
};

SolveOptions parse_solve(const std::vector<std::string>& args);
TrainOptions parse_train(const std::vector<std::string>& args);
RunOptions parse_run(const std::vector<std::string>& args);
DescribeOptions parse_describe(const std::vector<std::string>& args);
ReproduceOptions parse_reproduce(const std::vector<std::string>& args);
/// The sizes and lengths --quick sets (those the user did not give).
ReproduceOptions quick_reproduce_options();

/// The files each command writes, each with its option (checked before any work).
deepsolve::examples::OutputFiles output_files(const SolveOptions& o);
deepsolve::examples::OutputFiles output_files(const TrainOptions& o);
deepsolve::examples::OutputFiles output_files(const RunOptions& o);

}  // namespace sparse_recovery
