// The command lines of `smoke run` and `smoke compare` (CLI11 through examples/common).
#pragma once

#include <string>
#include <vector>

#include "scene.hpp"

namespace smoke {

/// What both commands share: the scene and the solver settings.
struct SolverSettings {
  std::string model;  ///< dcdm: a model file ("" = the shipped one)
  double rtol = 1e-6;
  int max_iterations = 10000;
  bool warm_start = false;
};

struct RunOptions {
  Scene scene;
  SolverSettings settings;
  std::string solver = "dcdm";
  std::string json;
  std::string frames;  ///< folder of PNG frames
  std::string vtk;     ///< folder of .vts files
  int every = 10;
  bool quiet = false;
  std::string help;  ///< the help text when --help was asked for
};

struct CompareOptions {
  Scene scene;
  SolverSettings settings;
  std::vector<std::string> solvers;
  std::string out;
  bool quiet = true;
  std::string help;
};

/// Parse and check (throws std::invalid_argument naming the option). args[0] is "smoke run" /
/// "smoke compare". Output folders are created, and every output file is checked, here: before
/// any work starts.
RunOptions parse_run(const std::vector<std::string>& args);
CompareOptions parse_compare(const std::vector<std::string>& args);

/// The folder `dir` (created when missing) and a file `name` in it, checked writable for `option`.
std::string output_in(const std::string& dir, const std::string& name, const std::string& option);

}  // namespace smoke
