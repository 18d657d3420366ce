// bcd: block coordinate descent (deepsolve::bcd, docs/bcd.md). The first argument picks the
// command; each command parses its own options (commands.hpp).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"

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

int run(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] == "-h" || args[1] == "--help") {
    std::fputs(kOverview, stdout);
    return exit_ok;
  }
  const std::string command = args[1];
  std::vector<std::string> rest{std::string(kProgram) + " " + command};
  rest.insert(rest.end(), args.begin() + 2, args.end());
  if (command == "lasso") {
    lasso_command(rest);
  } else if (command == "reproduce") {
    reproduce_command(rest);
  } else {
    ex::check_choice("the command", "command", command, {"lasso", "reproduce"});
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv, argv + argc));
  } catch (const std::exception& e) {
    ex::print_error(kProgram, e.what());
    return exit_error;
  }
}
