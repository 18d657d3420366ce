// What imbalanced prints and writes: the tables, the JSON record, the CSV of the curves and their
// plot.
#pragma once

#include <string>
#include <vector>

#include "experiments.hpp"
#include "options.hpp"
#include "problems.hpp"

namespace imbalanced {

struct LossStudy {
  const Problem* problem = nullptr;
  std::vector<LossRun> runs;
};

struct OptimizerStudy {
  const Problem* problem = nullptr;
  std::vector<OptimizerRun> runs;
};

/// One line describing the problem (sizes, class counts).
std::string describe(const Problem& p);

/// Part 1's table for one problem.
std::string loss_table(const LossStudy& study, const Options& o);

/// Part 2's per-epoch table (train / test loss) and a summary per optimizer.
std::string optimizer_table(const OptimizerStudy& study, const Options& o);

/// Every number of the run, as JSON text.
std::string to_json(const std::vector<LossStudy>& losses, const OptimizerStudy* optimizers,
                    const Options& o, const std::string& command);

/// The curves of part 2 as CSV: optimizer,epoch,train_loss,test_loss (epoch 0: before training).
std::string curves_csv(const OptimizerStudy& study);

/// The curves of part 2 as a PNG image of --png-width x --png-height pixels.
std::string curves_png(const OptimizerStudy& study, const Options& o);

}  // namespace imbalanced
