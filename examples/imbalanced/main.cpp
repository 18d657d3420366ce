// imbalanced: classification losses on seeded imbalanced problems, and optimizer loss curves
// (see --help and docs/learned.md, "examples/imbalanced").
#include <torch/torch.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "experiments.hpp"
#include "options.hpp"
#include "problems.hpp"
#include "report.hpp"

namespace {

namespace ex = deepsolve::examples;

int run(const std::vector<std::string>& args) {
  using namespace imbalanced;
  const Options o = parse_options(args);
  if (!o.help.empty()) {
    std::fputs(o.help.c_str(), stdout);
    return exit_ok;
  }
  // A bad output path fails now, not after the training.
  output_files(o).check_writable();
  torch::set_num_threads(o.threads);

  ProblemSpec spec;
  spec.seed = o.seed;
  spec.dim = o.dim;
  spec.train = o.train;
  spec.test = o.test;
  spec.separation = o.separation;
  // Both problems are made first, so that a size too small for the priors fails before training.
  const Problem binary = make_binary_problem(spec, o.positive_rate);
  const Problem multiclass = make_multiclass_problem(spec, o.classes, o.imbalance);

  std::vector<LossStudy> losses;
  if (o.run_losses()) {
    for (const Problem* p : {&binary, &multiclass}) {
      LossStudy study{p, compare_losses(*p, o)};
      std::printf("%s\n", loss_table(study, o).c_str());
      std::fflush(stdout);
      losses.push_back(std::move(study));
    }
  }
  OptimizerStudy optimizers{&multiclass, {}};
  if (o.run_optimizers()) {
    optimizers.runs = compare_optimizers(multiclass, o);
    std::printf("%s", optimizer_table(optimizers, o).c_str());
  }

  namespace dl = deepsolve::learned;
  if (!o.csv.empty()) {
    dl::write_file_atomically(o.csv, curves_csv(optimizers));
    std::printf("wrote %s\n", o.csv.c_str());
  }
  if (!o.png.empty()) {
    dl::write_file_atomically(o.png, curves_png(optimizers, o));
    std::printf("wrote %s (%dx%d)\n", o.png.c_str(), o.png_width, o.png_height);
  }
  if (!o.json.empty()) {
    dl::write_file_atomically(o.json, to_json(losses, o.run_optimizers() ? &optimizers : nullptr, o,
                                              ex::quote_command(args)));
    std::printf("wrote %s\n", o.json.c_str());
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv, argv + argc));
  } catch (const std::exception& e) {
    ex::print_error("imbalanced", e.what());
    return imbalanced::exit_error;
  }
}
