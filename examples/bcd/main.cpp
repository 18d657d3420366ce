// bcd: block coordinate descent (deepsolve::bcd, docs/bcd.md). The first argument picks the
// command; each command parses its own options (commands.hpp).
#include "commands.hpp"
#include "common/commands.hpp"

namespace {

namespace ex = deepsolve::examples;
using namespace bcd_example;

const char* const kOverview =
    "bcd: block coordinate descent with greedy rules (docs/bcd.md)\n"
    "\n"
    "Usage: bcd <command> [options]   (bcd <command> --help for its options)\n"
    "\n"
    "Commands:\n"
    "  lasso      Lasso or elastic net, (1/2n)||y - Xw||^2 + alpha ||w||_1, on a Matrix Market\n"
    "             or LIBSVM file, one alpha or a path of alphas; JSON results\n"
    "  reproduce  the experiments of Nutini, Laradji & Schmidt (JMLR 2022) on seeded analogs of\n"
    "             their datasets: f - f* per iteration and per second for each rule, CSV and PNG\n"
    "\n"
    "Exit status: 0 done, 2 bad input or a failure (one line on stderr says which).\n";

}  // namespace

int main(int argc, char** argv) {
  return ex::run_commands(kProgram, kOverview,
                          {{"lasso", lasso_command}, {"reproduce", reproduce_command}}, argc, argv);
}
