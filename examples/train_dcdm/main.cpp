// train_dcdm: trains the DCDM network on one grid (see --help and docs/dcdm.md, "Training your
// own: train_dcdm"). Runs under mpiexec for data-parallel training when deepsolve::learned has MPI.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "deepsolve/learned/config.hpp"
#include "deepsolve/learned/training/distributed.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "options.hpp"
#include "training.hpp"

#if DEEPSOLVE_LEARNED_WITH_MPI
#include <mpi.h>
#endif

namespace {

namespace ex = deepsolve::examples;

void print_error(const std::string& message) {
  ex::print_error("train_dcdm", message);
}

int run(int argc, char** argv) {
  namespace dl = deepsolve::learned;
  const dl::DataParallel dp;
  const std::vector<std::string> args(argv, argv + argc);
  try {
    // Every rank parses the same command line, so every rank reaches the same verdict.
    train_dcdm::Options o;
    dl::collectively(dp, [&] { o = train_dcdm::parse_options(args); });
    if (!o.help.empty()) {
      if (dp.is_root()) std::fputs(o.help.c_str(), stdout);
      return train_dcdm::exit_ok;
    }
    // A bad output path fails now, not after the dataset and the first epoch.
    dl::collectively(dp, [&] { train_dcdm::output_files(o).check_writable(); });
    train_dcdm::train(o, args, dp);
    return train_dcdm::exit_ok;
  } catch (const dl::TrainingDiverged& e) {
    if (dp.is_root()) print_error(e.what());
    return train_dcdm::exit_diverged;
  } catch (const dl::CollectiveError& e) {
    if (dp.is_root()) print_error(e.what());
    return train_dcdm::exit_error;
  } catch (const std::exception& e) {
    // Only this rank may have failed; the others may be waiting in a collective call.
    if (dp.size() > 1) {
      std::fprintf(stderr, "train_dcdm: error: [rank %d] %s\n", dp.rank(),
                   ex::one_line(e.what()).c_str());
      std::fflush(stderr);
#if DEEPSOLVE_LEARNED_WITH_MPI
      MPI_Abort(MPI_COMM_WORLD, train_dcdm::exit_error);
#endif
    }
    print_error(e.what());
    return train_dcdm::exit_error;
  }
}

}  // namespace

int main(int argc, char** argv) {
#if DEEPSOLVE_LEARNED_WITH_MPI
  MPI_Init(&argc, &argv);
#endif
  const int code = run(argc, argv);
#if DEEPSOLVE_LEARNED_WITH_MPI
  MPI_Finalize();
#endif
  return code;
}
