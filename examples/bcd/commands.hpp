// The commands of bcd, one function each (lasso.cpp, reproduce.cpp). Each parses its own options
// from `args` (args[0] is "bcd <command>"), prints its summary on stdout, writes its files, and
// throws std::exception with a one-line message on bad input.
#pragma once

#include <string>
#include <vector>

#include "common/cli.hpp"

namespace bcd_example {

constexpr const char* kProgram = "bcd";
constexpr int exit_ok = 0;
constexpr int exit_error = 2;

void lasso_command(const std::vector<std::string>& args);
void reproduce_command(const std::vector<std::string>& args);

/// The command line as a shell would take it back, for the JSON records: "bcd <command>" as two
/// words, then the quoted arguments.
inline std::string command_line(const std::vector<std::string>& args) {
  if (args.empty()) return kProgram;
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  return rest.empty() ? args[0] : args[0] + " " + deepsolve::examples::quote_command(rest);
}

}  // namespace bcd_example
