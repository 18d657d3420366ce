// The commands of bcd, one function each (lasso.cpp, reproduce.cpp). Each parses its own options
// from `args` (args[0] is "bcd <command>"), prints its summary on stdout, writes its files, and
// throws std::exception with a one-line message on bad input.
#pragma once

#include <string>
#include <vector>

namespace bcd_example {

constexpr const char* kProgram = "bcd";

void lasso_command(const std::vector<std::string>& args);
void reproduce_command(const std::vector<std::string>& args);

}  // namespace bcd_example
