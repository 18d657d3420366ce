// The commands of diffusion_images, one function each (train.cpp, sample.cpp, jacobian.cpp,
// generalization.cpp). Each parses its own options from `args` (args[0] is "diffusion_images
// <command>"), prints its summary on stdout, writes its files, and throws std::exception with a
// one-line message on bad input.
#pragma once

#include <string>
#include <vector>

namespace diffusion_images {

constexpr const char* kProgram = "diffusion_images";

void train_command(const std::vector<std::string>& args);
void sample_command(const std::vector<std::string>& args);
void jacobian_command(const std::vector<std::string>& args);
void generalization_command(const std::vector<std::string>& args);

}  // namespace diffusion_images
