// What the plain check programs (check_<example>.cpp, run by ctest on an example's output files)
// share: a failure count, a non-fatal expectation that names what failed, and reading a file
// whole (a missing file ends the check at once: nothing after it can be checked).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace deepsolve_test {

/// Expectations that failed so far; a check program returns nonzero when it is not 0.
inline int failures = 0;

inline void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    ++failures;
  }
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "FAILED: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace deepsolve_test
