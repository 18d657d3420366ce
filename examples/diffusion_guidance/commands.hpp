// The commands of diffusion_guidance, one function each (train.cpp, sample.cpp,
// fit_linear_ag.cpp, compare.cpp). Each parses its own options from `args` (args[0] is
// "diffusion_guidance <command>"), prints its summary on stdout, writes its files, and throws
// std::exception with a one-line message on bad input.
#pragma once

#include <string>
#include <vector>

namespace diffusion_guidance {

constexpr const char* kProgram = "diffusion_guidance";

void train_command(const std::vector<std::string>& args);
void sample_command(const std::vector<std::string>& args);
void fit_linear_ag_command(const std::vector<std::string>& args);
void compare_command(const std::vector<std::string>& args);

}  // namespace diffusion_guidance
