// sparse_recovery: the classical ISTA/FISTA/IHT and deep-unfolded networks for sparse recovery
// (see --help and docs/unfolded.md). The first argument picks the command; each command has its
// own options (options.hpp) and function (commands.hpp).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "options.hpp"

namespace {

namespace ex = deepsolve::examples;
using namespace sparse_recovery;

// Prints `help` and returns true when the options asked for it.
bool printed_help(const std::string& help) {
  if (help.empty()) return false;
  std::fputs(help.c_str(), stdout);
  return true;
}

int run(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] == "-h" || args[1] == "--help") {
    std::fputs(overview_help().c_str(), stdout);
    return exit_ok;
  }
  const std::string command = args[1];
  // The command's own line: "sparse_recovery <command>" is its program name.
  std::vector<std::string> rest{std::string(kProgram) + " " + command};
  rest.insert(rest.end(), args.begin() + 2, args.end());

  if (command == "solve") {
    const SolveOptions o = parse_solve(rest);
    if (printed_help(o.help)) return exit_ok;
    output_files(o).check_writable();  // a bad output path fails before the work
    solve_command(o, args);
  } else if (command == "train") {
    const TrainOptions o = parse_train(rest);
    if (printed_help(o.help)) return exit_ok;
    output_files(o).check_writable();
    train_command(o, args);
  } else if (command == "run") {
    const RunOptions o = parse_run(rest);
    if (printed_help(o.help)) return exit_ok;
    output_files(o).check_writable();
    run_command(o, args);
  } else if (command == "describe") {
    const DescribeOptions o = parse_describe(rest);
    if (printed_help(o.help)) return exit_ok;
    deepsolve::unfolded::register_unfolded_networks();
    std::fputs(deepsolve::learned::describe_model_file(o.model).c_str(), stdout);
  } else if (command == "reproduce") {
    const ReproduceOptions o = parse_reproduce(rest);
    if (printed_help(o.help)) return exit_ok;
    reproduce_command(o, args);
  } else {
    ex::check_choice("the command", "command", command, command_names());
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
