#include "common/petsc_arguments.hpp"

#include <cstdlib>

namespace deepsolve::examples {

namespace {

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return *end == '\0';
}

bool is_petsc_option(const std::string& s) {
  return s.size() >= 2 && s[0] == '-' && s[1] != '-' && s != "-h" && !is_number(s);
}

}  // namespace

PetscArguments split_petsc_arguments(int argc, char** argv) {
  PetscArguments a;
  a.all.assign(argv, argv + argc);
  a.petsc.push_back(argv[0]);
  a.cli.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!is_petsc_option(arg)) {
      a.cli.push_back(arg);
      continue;
    }
    a.petsc.push_back(arg);
    if (i + 1 < argc) {
      const std::string next = argv[i + 1];
      if (next.empty() || next[0] != '-' || is_number(next)) a.petsc.push_back(argv[++i]);
    }
  }
  return a;
}

}  // namespace deepsolve::examples
