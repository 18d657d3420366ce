// The commands of diffusion_images, one function each (train.cpp, sample.cpp, jacobian.cpp,
// generalization.cpp). Each parses its own options from `args` (args[0] is "diffusion_images
// <command>"), prints its summary on stdout, writes its files, and throws std::exception with a
// one-line message on bad input.
#pragma once

#include <string>
#include <vector>

#include "common/cli.hpp"

namespace diffusion_images {

constexpr const char* kProgram = "diffusion_images";
constexpr int exit_ok = 0;
constexpr int exit_error = 2;

void train_command(const std::vector<std::string>& args);
void sample_command(const std::vector<std::string>& args);
void jacobian_command(const std::vector<std::string>& args);
void generalization_command(const std::vector<std::string>& args);

/// The command line as a shell would take it back: "diffusion_images <command>" as two words,
/// then the quoted arguments.
inline std::string command_line(const std::vector<std::string>& args) {
  if (args.empty()) return kProgram;
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  return rest.empty() ? args[0] : args[0] + " " + deepsolve::examples::quote_command(rest);
}

}  // namespace diffusion_images
