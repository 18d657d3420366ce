#include "deepsolve/solvers/io.hpp"

#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::solvers {

using learned::read_whole_file;

namespace {

constexpr std::int32_t kVecClassId = 1211214;  // VEC_FILE_CLASSID in petscvec.h

std::uint64_t load_big_endian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int b = 0; b < bytes; ++b) v = (v << 8) | p[b];
  return v;
}

void store_big_endian(std::string& out, std::uint64_t v, int bytes) {
  for (int b = bytes - 1; b >= 0; --b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

}  // namespace

std::vector<double> read_petsc_vector(const std::string& path) {
  const std::string data = read_whole_file(path, "for reading");
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < 8)
    throw std::runtime_error(path + ": truncated PETSc vector file (" +
                             std::to_string(data.size()) + " bytes, the header alone is 8)");
  const auto classid = static_cast<std::int32_t>(load_big_endian(p, 4));
  if (classid != kVecClassId)
    throw std::runtime_error(path + ": not a PETSc binary vector (class id " +
                             std::to_string(classid) + ", expected " + std::to_string(kVecClassId) +
                             ")");
  const auto n = static_cast<std::int32_t>(load_big_endian(p + 4, 4));
  if (n < 0) throw std::runtime_error(path + ": negative vector length " + std::to_string(n));
  const std::size_t expected = 8 + 8 * static_cast<std::size_t>(n);
  if (data.size() < expected)
    throw std::runtime_error(path + ": truncated PETSc vector file (" +
                             std::to_string(data.size()) + " bytes, a vector of length " +
                             std::to_string(n) + " needs " + std::to_string(expected) + ")");
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    const std::uint64_t bits = load_big_endian(p + 8 + 8 * static_cast<std::size_t>(i), 8);
    std::memcpy(&values[i], &bits, sizeof(double));
  }
  return values;
}

void write_petsc_vector(const std::string& path, const std::vector<double>& values) {
  if (values.size() > 0x7fffffffu)
    throw std::invalid_argument(path + ": vector too long for the 32-bit PETSc binary format");
  std::string out;
  out.reserve(8 + 8 * values.size());
  store_big_endian(out, static_cast<std::uint32_t>(kVecClassId), 4);
  store_big_endian(out, static_cast<std::uint32_t>(values.size()), 4);
  for (double v : values) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof(double));
    store_big_endian(out, bits, 8);
  }
  learned::write_file_atomically(path, out);
}

void read_cell_types(const std::string& path, Grid& grid) {
  const std::string data = read_whole_file(path, "for reading");
  std::istringstream in(data);
  std::string magic;
  int version = 0;
  in >> magic >> version;
  if (magic != "deepsolve-cells" || version != 1)
    throw std::runtime_error(path +
                             ": not a deepsolve cell-type file (expected header "
                             "'deepsolve-cells 1')");
  int dim = 0;
  std::array<int, 3> n{0, 0, 0};
  in >> dim >> n[0] >> n[1] >> n[2];
  if (!in || in.get() != '\n')
    throw std::runtime_error(path + ": malformed shape line (expected '<dim> <nx> <ny> <nz>')");
  auto shape = [](int d, const std::array<int, 3>& s) {
    return std::to_string(d) + "D " + std::to_string(s[0]) + "x" + std::to_string(s[1]) +
           (d == 3 ? "x" + std::to_string(s[2]) : "");
  };
  const std::array<int, 3> want{grid.size()[0], grid.size()[1],
                                grid.dim() == 3 ? grid.size()[2] : 1};
  if (dim != grid.dim() || n != want)
    throw std::runtime_error(path + ": cell-type field is " + shape(dim, n) + ", the grid is " +
                             shape(grid.dim(), want));
  const std::size_t offset = static_cast<std::size_t>(in.tellg());
  const std::size_t count = static_cast<std::size_t>(grid.num_cells());
  if (data.size() - offset < count)
    throw std::runtime_error(path + ": truncated cell-type file (" +
                             std::to_string(data.size() - offset) + " of " + std::to_string(count) +
                             " cells)");
  std::vector<CellType> cells(count);
  for (std::size_t c = 0; c < count; ++c) {
    const auto v = static_cast<unsigned char>(data[offset + c]);
    if (v > 2)
      throw std::runtime_error(path + ": cell " + std::to_string(c) + " has type " +
                               std::to_string(v) + " (valid: 0 fluid, 1 solid, 2 air)");
    cells[c] = static_cast<CellType>(v);
  }
  grid.set_cells(std::move(cells));
}

void write_cell_types(const std::string& path, const Grid& grid) {
  const auto& n = grid.size();
  std::string out = "deepsolve-cells 1\n" + std::to_string(grid.dim()) + " " +
                    std::to_string(n[0]) + " " + std::to_string(n[1]) + " " + std::to_string(n[2]) +
                    "\n";
  for (CellType t : grid.cells()) out.push_back(static_cast<char>(t));
  learned::write_file_atomically(path, out);
}

}  // namespace deepsolve::solvers
