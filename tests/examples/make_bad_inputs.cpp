// Writes the malformed input files the poisson_solve bad-input tests feed it, into the folder
// given as the only argument. Standalone on purpose: the files must be broken in ways deepsolve's
// own writers refuse to produce. Formats: see deepsolve/solvers/io.hpp.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

void put_big_endian(std::string& out, std::uint64_t v, int bytes) {
  for (int b = bytes - 1; b >= 0; --b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

/// A PETSc binary vector whose header announces `n` entries, holding `values`.
std::string petsc_vector(std::int32_t n, const std::vector<double>& values) {
  std::string out;
  put_big_endian(out, 1211214, 4);  // VEC_FILE_CLASSID
  put_big_endian(out, static_cast<std::uint32_t>(n), 4);
  for (double v : values) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put_big_endian(out, bits, 8);
  }
  return out;
}

std::string cells(int dim, int nx, int ny, int nz, std::size_t count, char fill = 0) {
  return "deepsolve-cells 1\n" + std::to_string(dim) + " " + std::to_string(nx) + " " +
         std::to_string(ny) + " " + std::to_string(nz) + "\n" + std::string(count, fill);
}

bool write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) std::fprintf(stderr, "make_bad_inputs: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_bad_inputs FOLDER\n");
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/";
  const int n = 16 * 16 * 16;  // the tests' 3D 16^3 grid
  std::vector<double> ones(n, 1.0);
  std::vector<double> with_nan = ones, with_inf = ones;
  with_nan[1234] = std::numeric_limits<double>::quiet_NaN();  // cell 2,13,4
  with_inf[7] = -std::numeric_limits<double>::infinity();
  bool ok = true;
  ok &= write(dir + "rhs_truncated.petsc", petsc_vector(n, std::vector<double>(100, 1.0)));
  ok &= write(dir + "rhs_header_only.petsc", petsc_vector(n, {}).substr(0, 6));
  ok &= write(dir + "rhs_nan.petsc", petsc_vector(n, with_nan));
  ok &= write(dir + "rhs_inf.petsc", petsc_vector(n, with_inf));
  ok &= write(dir + "rhs_512.petsc", petsc_vector(512, std::vector<double>(512, 1.0)));
  ok &= write(dir + "rhs_text.petsc", "this is not a PETSc vector\n");
  ok &= write(dir + "cells_8x8x8.cells", cells(3, 8, 8, 8, 512));
  ok &= write(dir + "cells_2d.cells", cells(2, 16, 16, 1, 256));
  ok &= write(dir + "cells_truncated.cells", cells(3, 16, 16, 16, 1000));
  std::string bad_type = cells(3, 16, 16, 16, n);
  bad_type[bad_type.size() - n + 42] = 7;
  ok &= write(dir + "cells_bad_type.cells", bad_type);
  ok &= write(dir + "cells_no_header.cells", std::string(n, '\0'));
  ok &= write(dir + "cells_all_solid.cells", cells(3, 16, 16, 16, n, 1));
  return ok ? 0 : 1;
}
