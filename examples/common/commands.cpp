#include "common/commands.hpp"

#include <cstdio>
#include <exception>

#include "common/cli.hpp"

namespace deepsolve::examples {

int run_commands(const char* program, const char* overview, const std::vector<Command>& commands,
                 int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv, argv + argc);
    if (args.size() < 2 || args[1] == "-h" || args[1] == "--help") {
      std::fputs(overview, stdout);
      return 0;
    }
    std::vector<std::string> rest{std::string(program) + " " + args[1]};
    rest.insert(rest.end(), args.begin() + 2, args.end());
    std::vector<std::string> names;
    for (const auto& command : commands) {
      if (command.name == args[1]) {
        command.run(rest);
        return 0;
      }
      names.push_back(command.name);
    }
    check_choice("the command", "command", args[1], names);
    return 0;
  } catch (const std::exception& e) {
    print_error(program, e.what());
    return 2;
  }
}

}  // namespace deepsolve::examples
