// Grid construction and validation, geometry generators, null-space detection, file formats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/io.hpp"
#include "deepsolve/solvers/rhs.hpp"

using namespace deepsolve::solvers;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "deepsolve_" + name + "_" + std::to_string(::getpid());
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Grid, RejectsBadSizesAndSpacing) {
  EXPECT_NE(error_of([] {
              Grid(4, {8, 8, 8}, {1, 1, 1});
            }).find("dimension must be 2 or 3, got 4"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Grid(3, {8, 0, 8}, {1, 1, 1});
            }).find("size in y must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Grid(2, {8, 8, 1}, {-0.5, 1, 1});
            }).find("spacing in x must be positive"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Grid(3, {8, 8, 8}, {1, 1, NAN});
            }).find("spacing in z"),
            std::string::npos);
  EXPECT_NO_THROW(Grid(2, {8, 8, 0}, {1, 1, -1}));  // z is ignored in 2D
}

TEST(Grid, RejectsFieldsOfTheWrongLength) {
  Grid g = Grid::unit_box(2, 4);
  EXPECT_NE(
      error_of([&] { g.set_cells(std::vector<CellType>(15)); }).find("15 entries, the grid has 16"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              g.set_coefficients(std::vector<double>(16, 0.0));
            }).find("coefficient of cell 0 must be positive"),
            std::string::npos);
}

TEST(Grid, IndexingMatchesNaturalOrdering) {
  Grid g(3, {4, 5, 6}, {1, 1, 1});
  EXPECT_EQ(g.index(1, 0, 0), 1);
  EXPECT_EQ(g.index(0, 1, 0), 4);
  EXPECT_EQ(g.index(0, 0, 1), 20);
  EXPECT_EQ(g.num_cells(), 120);
  const auto c = g.center(0, 1, 2);
  EXPECT_DOUBLE_EQ(c[0], 0.5);
  EXPECT_DOUBLE_EQ(c[1], 1.5);
  EXPECT_DOUBLE_EQ(c[2], 2.5);
}

TEST(Grid, FindsFloatingComponents) {
  Grid g = Grid::unit_box(2, 8);
  EXPECT_TRUE(g.floating_components().empty());  // Dirichlet everywhere
  g.set_all_boundaries(Boundary::neumann);
  auto floating = g.floating_components();
  ASSERT_EQ(floating.size(), 1u);
  EXPECT_EQ(floating[0].size(), 64u);
  // A wall of solid cells splits the box in two; a Dirichlet face anchors only the left part.
  for (int j = 0; j < 8; ++j) g.set_cell(3, j, 0, CellType::solid);
  g.set_boundary(Face::x_lo, Boundary::dirichlet);
  floating = g.floating_components();
  ASSERT_EQ(floating.size(), 1u);
  EXPECT_EQ(floating[0].size(), 4u * 8u);
  EXPECT_EQ(floating[0].front(), g.index(4, 0));
  // An air cell anchors the right part too.
  g.set_cell(7, 7, 0, CellType::air);
  EXPECT_TRUE(g.floating_components().empty());
}

TEST(Geometry, GeneratorsPaintTheExpectedCells) {
  Grid g = Grid::unit_box(3, 20);
  apply_geometry(g, "sphere");
  // Sphere of radius 0.2 in a unit box: 4/3 pi 0.2^3 = 3.35% of 8000 cells, give or take the
  // voxelisation.
  EXPECT_NEAR(double(g.count(CellType::solid)) / g.num_cells(), 4.0 / 3.0 * M_PI * 0.008, 0.006);
  EXPECT_EQ(g.cell(10, 10, 10), CellType::solid);
  EXPECT_EQ(g.cell(0, 0, 0), CellType::fluid);

  Grid a = Grid::unit_box(2, 32), b = Grid::unit_box(2, 32), c = Grid::unit_box(2, 32);
  apply_geometry(a, "random", 5);
  apply_geometry(b, "random", 5);
  apply_geometry(c, "random", 6);
  EXPECT_EQ(a.cells(), b.cells());
  EXPECT_NE(a.cells(), c.cells());
  EXPECT_GT(a.count(CellType::solid), 0);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(a.cell(0, j), CellType::fluid);  // margin kept

  EXPECT_NE(error_of([&] {
              apply_geometry(g, "teapot");
            }).find("unknown geometry 'teapot' (valid: empty, sphere, boxes, random)"),
            std::string::npos);
}

TEST(Rhs, RandomFieldDoesNotDependOnTheBoxSplit) {
  Grid g = Grid::unit_box(3, 6);
  apply_geometry(g, "sphere");
  const auto full = random_rhs(g, g.full_box(), 42);
  const Box part{{2, 1, 3}, {3, 4, 2}};
  EXPECT_EQ(random_rhs(g, part, 42), restrict_to_box(g, full, part));
  EXPECT_NE(random_rhs(g, g.full_box(), 43), full);
  for (std::int64_t c = 0; c < g.num_cells(); ++c)
    if (g.cells()[c] != CellType::fluid) {
      EXPECT_EQ(full[c], 0.0);
    }
}

TEST(Rhs, PointSourceChecksItsPosition) {
  Grid g = Grid::unit_box(2, 4);
  const auto b = point_source_rhs(g, g.full_box(), {0.3, 0.6, 0});
  EXPECT_DOUBLE_EQ(b[g.index(1, 2)], 16.0);  // 1 / cell area
  EXPECT_NE(error_of([&] {
              point_source_rhs(g, g.full_box(), {1.5, 0.5, 0});
            }).find("outside the domain"),
            std::string::npos);
  g.set_cell(1, 2, 0, CellType::solid);
  EXPECT_NE(error_of([&] {
              point_source_rhs(g, g.full_box(), {0.3, 0.6, 0});
            }).find("solid cell"),
            std::string::npos);
}

TEST(Io, PetscVectorRoundTripAndTruncation) {
  const std::string path = temp_path("vec");
  const std::vector<double> v{1.5, -2.0, 3.25e-300, 0.0};
  write_petsc_vector(path, v);
  EXPECT_EQ(read_petsc_vector(path), v);
  {  // drop the last 3 bytes
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size() - 3));
  }
  const std::string err = error_of([&] { read_petsc_vector(path); });
  EXPECT_NE(
      err.find(path + ": truncated PETSc vector file (37 bytes, a vector of length 4 needs 40)"),
      std::string::npos)
      << err;
  std::remove(path.c_str());
  EXPECT_NE(error_of([&] { read_petsc_vector(path); }).find(path + ": cannot open"),
            std::string::npos);
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello, world";
  }
  EXPECT_NE(error_of([&] { read_petsc_vector(path); }).find("not a PETSc binary vector"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(Io, CellTypesRoundTripAndShapeCheck) {
  const std::string path = temp_path("cells");
  Grid g(3, {5, 4, 3}, {1, 1, 1});
  apply_geometry(g, "random", 1);
  g.set_cell(0, 0, 0, CellType::air);
  write_cell_types(path, g);
  Grid h(3, {5, 4, 3}, {1, 1, 1});
  read_cell_types(path, h);
  EXPECT_EQ(h.cells(), g.cells());

  Grid wrong(3, {4, 4, 3}, {1, 1, 1});
  EXPECT_NE(error_of([&] {
              read_cell_types(path, wrong);
            }).find(": cell-type field is 3D 5x4x3, the grid is 3D 4x4x3"),
            std::string::npos);
  Grid flat(2, {5, 4, 1}, {1, 1, 1});
  EXPECT_NE(error_of([&] { read_cell_types(path, flat); }).find("the grid is 2D 5x4"),
            std::string::npos);
  {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size() - 10));
  }
  EXPECT_NE(
      error_of([&] { read_cell_types(path, h); }).find("truncated cell-type file (50 of 60 cells)"),
      std::string::npos);
  std::remove(path.c_str());
}

TEST(Io, AtomicWriteLeavesNoPartialFile) {
  const std::string path =
      ::testing::TempDir() + "no_such_dir_" + std::to_string(::getpid()) + "/x.bin";
  EXPECT_NE(error_of([&] { write_petsc_vector(path, {1.0}); }).find("cannot write"),
            std::string::npos);
  std::ifstream in(path);
  EXPECT_FALSE(in.good());
}
