// The commands of sparse_recovery, one function each (solve.cpp, train.cpp, run_model.cpp,
// reproduce.cpp; describe is in main.cpp). Each prints its summary on stdout, writes its files
// and throws std::exception with a one-line message on bad input; `args` is the whole command
// line, recorded in the JSON and model files.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"

namespace sparse_recovery {

void solve_command(const SolveOptions& o, const std::vector<std::string>& args);
void train_command(const TrainOptions& o, const std::vector<std::string>& args);
void run_command(const RunOptions& o, const std::vector<std::string>& args);
void reproduce_command(const ReproduceOptions& o, const std::vector<std::string>& args);

}  // namespace sparse_recovery
