// The entry point of an example program made of commands (`bcd lasso ...`,
// `diffusion_guidance sample ...`): the overview for no command or --help, the dispatch by the
// first argument, and the one error line with exit code 2 for every failure.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace deepsolve::examples {

/// One command: its name and what runs it. `args[0]` is "<program> <name>" (so that CLI11's
/// usage line names both), the rest the command's own arguments.
struct Command {
  std::string name;
  std::function<void(const std::vector<std::string>& args)> run;
};

/// main() of such a program: prints `overview` when there is no command or it is -h/--help,
/// else runs the named command. Returns 0, or 2 after print_error(program, ...) when the command
/// is unknown or throws.
int run_commands(const char* program, const char* overview, const std::vector<Command>& commands,
                 int argc, char** argv);

}  // namespace deepsolve::examples
