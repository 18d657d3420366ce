// train_dcdm's work once the command line is parsed: the grid, the dataset, the network, the
// training (deepsolve::learned::fit) and the model file.
#pragma once

#include <string>
#include <vector>

#include "deepsolve/learned/training/distributed.hpp"
#include "options.hpp"

namespace train_dcdm {

/// Trains as `o` says; every rank of `dp` calls it. `args` is the whole command line (for the
/// model's metadata). Throws deepsolve::learned::CollectiveError for problems every rank knows
/// about (bad input, bad files, TrainingDiverged); anything else means some rank failed alone.
void train(const Options& o, const std::vector<std::string>& args,
           const deepsolve::learned::DataParallel& dp);

}  // namespace train_dcdm
