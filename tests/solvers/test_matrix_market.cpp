// Matrix Market reading and writing (matrix_market.hpp): exact round trips, files as scipy,
// Matlab's mmwrite and Julia's MatrixMarket.jl write them, and every defect named with its line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <string>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/memory.hpp"
#include "deepsolve/learned/random.hpp"
#include "deepsolve/solvers/matrix_market.hpp"

namespace ds = deepsolve::solvers;
using deepsolve_test::expect_error;
using deepsolve_test::TempDir;

namespace {

std::string write_text(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// Values with full 53-bit mantissas over many magnitudes, and a few special ones.
Eigen::MatrixXd awkward_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k)
    m.data()[k] = deepsolve::learned::hashed_normal(seed, static_cast<std::uint64_t>(k)) *
                  std::pow(10.0, static_cast<double>(k % 41) - 20.0);
  m(0, 0) = 0.1;
  m(rows - 1, cols - 1) = -std::numeric_limits<double>::denorm_min();
  if (m.size() > 2) m.data()[1] = std::numeric_limits<double>::max();
  return m;
}

/// `text` in `name`, read densely; expects the error with the file name and its line.
void expect_read_error(const TempDir& dir, const std::string& text, int line,
                       const std::string& words) {
  const std::string path = write_text(dir, "bad.mtx", text);
  const std::string where = path + ":" + std::to_string(line) + ": ";
  expect_error<std::runtime_error>([&] { ds::read_matrix_market_dense(path); }, {where, words});
  expect_error<std::runtime_error>([&] { ds::read_matrix_market_sparse(path); }, {where, words});
}

}  // namespace

TEST(MatrixMarket, DenseRoundTripIsExact) {
  TempDir dir;
  const Eigen::MatrixXd a = awkward_matrix(7, 5, 1);
  const std::string path = dir.file("a.mtx");
  ds::write_matrix_market(path, a);
  const Eigen::MatrixXd back = ds::read_matrix_market_dense(path);
  ASSERT_EQ(back.rows(), 7);
  ASSERT_EQ(back.cols(), 5);
  for (Eigen::Index k = 0; k < a.size(); ++k) EXPECT_EQ(back.data()[k], a.data()[k]) << k;
  // The header names the format, and the values follow in column-major order.
  const std::string text = deepsolve::learned::read_whole_file(path);
  EXPECT_EQ(text.rfind("%%MatrixMarket matrix array real general\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n7 5\n0.10000000000000001\n1.7976931348623157e+308\n"), std::string::npos)
      << text;
  // The sparse reader of an array file keeps the nonzeros.
  Eigen::MatrixXd with_zeros = a;
  with_zeros(2, 3) = 0.0;
  ds::write_matrix_market(path, with_zeros);
  const Eigen::SparseMatrix<double> s = ds::read_matrix_market_sparse(path);
  EXPECT_EQ(s.nonZeros(), a.size() - 1);
  EXPECT_EQ(Eigen::MatrixXd(s), with_zeros);
}

TEST(MatrixMarket, VectorsAndMultipleRightHandSidesAreColumns) {
  TempDir dir;
  const Eigen::VectorXd y = awkward_matrix(6, 1, 2).col(0);
  ds::write_matrix_market(dir.file("y.mtx"), y);  // a vector is a 6 x 1 matrix
  const Eigen::MatrixXd back = ds::read_matrix_market_dense(dir.file("y.mtx"));
  ASSERT_EQ(back.cols(), 1);
  EXPECT_EQ(back.col(0), y);
  const Eigen::MatrixXd empty(0, 3);
  ds::write_matrix_market(dir.file("empty.mtx"), empty);
  EXPECT_EQ(ds::read_matrix_market_dense(dir.file("empty.mtx")).cols(), 3);
}

TEST(MatrixMarket, SparseRoundTripIsExactAndKeepsExplicitZeros) {
  TempDir dir;
  std::vector<Eigen::Triplet<double>> t = {{0, 0, 0.1},   {3, 0, -2.5e-300}, {1, 2, 1.0 / 3.0},
                                           {4, 5, 1e300}, {2, 5, 0.0},       {4, 1, -7.0}};
  Eigen::SparseMatrix<double> a(5, 6);
  a.setFromTriplets(t.begin(), t.end());
  const std::string path = dir.file("a.mtx");
  ds::write_matrix_market(path, a);
  const Eigen::SparseMatrix<double> back = ds::read_matrix_market_sparse(path);
  EXPECT_EQ(back.rows(), 5);
  EXPECT_EQ(back.cols(), 6);
  EXPECT_EQ(back.nonZeros(), 6);  // the explicit zero stays an entry
  for (const auto& e : t) EXPECT_EQ(back.coeff(e.row(), e.col()), e.value());
  EXPECT_TRUE(back.isCompressed());
  const std::string text = deepsolve::learned::read_whole_file(path);
  EXPECT_EQ(text.rfind("%%MatrixMarket matrix coordinate real general\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n5 6 6\n1 1 0.10000000000000001\n"), std::string::npos) << text;
  EXPECT_EQ(ds::read_matrix_market_dense(path), Eigen::MatrixXd(a));
}

TEST(MatrixMarket, ReadsScipySymmetricCoordinateWithTheLowerTriangle) {
  TempDir dir;
  // scipy.io.mmwrite of a symmetric matrix (fast_matrix_market backend): an empty comment line,
  // the lower triangle only.
  const std::string path = write_text(dir, "scipy.mtx",
                                      "%%MatrixMarket matrix coordinate real symmetric\n"
                                      "%\n"
                                      "3 3 4\n"
                                      "1 1 2.0\n"
                                      "2 1 -1.5\n"
                                      "3 2 0.25\n"
                                      "3 3 4.0\n");
  Eigen::MatrixXd expected(3, 3);
  expected << 2.0, -1.5, 0.0, -1.5, 0.0, 0.25, 0.0, 0.25, 4.0;
  EXPECT_EQ(ds::read_matrix_market_dense(path), expected);
  const Eigen::SparseMatrix<double> s = ds::read_matrix_market_sparse(path);
  EXPECT_EQ(s.nonZeros(), 6);  // the two off-diagonal entries mirrored
  EXPECT_EQ(Eigen::MatrixXd(s), expected);
}

TEST(MatrixMarket, ReadsScipyArrayInColumnMajorOrder) {
  TempDir dir;
  // scipy.io.mmwrite(np.array([[1, 2, 3], [4, 5, 6.5]])), older scipy's value format.
  const std::string path = write_text(dir, "scipy_array.mtx",
                                      "%%MatrixMarket matrix array real general\n"
                                      "%\n"
                                      "2 3\n"
                                      "1.000000000000000e+00\n"
                                      "4.000000000000000e+00\n"
                                      "2.000000000000000e+00\n"
                                      "5.000000000000000e+00\n"
                                      "3.000000000000000e+00\n"
                                      "6.500000000000000e+00\n");
  Eigen::MatrixXd expected(2, 3);
  expected << 1, 2, 3, 4, 5, 6.5;
  EXPECT_EQ(ds::read_matrix_market_dense(path), expected);
  EXPECT_EQ(Eigen::MatrixXd(ds::read_matrix_market_sparse(path)), expected);
}

TEST(MatrixMarket, ReadsMatlabMmwriteWithCommentsAndPaddedValues) {
  TempDir dir;
  // NIST's mmwrite.m: a comment line per row of its comment argument, values with "% .16g" (a
  // space where the sign would be, so two spaces before positive values).
  const std::string path = write_text(dir, "matlab.mtx",
                                      "%%MatrixMarket matrix coordinate real general\n"
                                      "% Generated 07-Dec-2026\n"
                                      "% measurement matrix of run 4\n"
                                      "3 2 3\n"
                                      "1 1  1.5\n"
                                      "3 1 -2.25\n"
                                      "2 2  0.1000000000000000\n");
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(3, 2);
  expected(0, 0) = 1.5;
  expected(2, 0) = -2.25;
  expected(1, 1) = 0.1;
  EXPECT_EQ(ds::read_matrix_market_dense(path), expected);
  // mmwrite.m of a full matrix: the array format, one value per line.
  const std::string array = write_text(dir, "matlab_array.mtx",
                                       "%%MatrixMarket matrix array real general\n"
                                       "% Generated 07-Dec-2026\n"
                                       "2 2\n"
                                       " 1\n"
                                       "-3.5\n"
                                       " 2\n"
                                       " 1e-05\n");
  Eigen::MatrixXd dense(2, 2);
  dense << 1, 2, -3.5, 1e-5;
  EXPECT_EQ(ds::read_matrix_market_dense(array), dense);
}

TEST(MatrixMarket, ReadsJuliaIntegerAndPatternFiles) {
  TempDir dir;
  // MatrixMarket.jl's mmwrite: no comment line; integer matrices as "integer", Bool ones as
  // "pattern" (row and column only).
  const std::string integer = write_text(dir, "julia_int.mtx",
                                         "%%MatrixMarket matrix coordinate integer general\n"
                                         "2 3 3\n"
                                         "1 1 3\n"
                                         "2 3 -12\n"
                                         "1 2 9007199254740993\n");
  const Eigen::MatrixXd i = ds::read_matrix_market_dense(integer);
  EXPECT_EQ(i(0, 0), 3.0);
  EXPECT_EQ(i(1, 2), -12.0);
  EXPECT_EQ(i(0, 1), 9007199254740992.0);  // 2^53 + 1 rounds to the nearest double
  const std::string pattern = write_text(dir, "julia_pattern.mtx",
                                         "%%MatrixMarket matrix coordinate pattern symmetric\n"
                                         "3 3 3\n"
                                         "1 1\n"
                                         "3 1\n"
                                         "3 2\n");
  Eigen::MatrixXd expected(3, 3);
  expected << 1, 0, 1, 0, 0, 1, 1, 1, 0;
  EXPECT_EQ(ds::read_matrix_market_dense(pattern), expected);
  EXPECT_EQ(ds::read_matrix_market_sparse(pattern).nonZeros(), 5);
}

TEST(MatrixMarket, ReadsBannerVariantsLineEndsAndBlankLines) {
  TempDir dir;
  // Upper-case banner words, CRLF line ends, tabs, blank lines and a late comment line.
  const std::string path = write_text(dir, "variants.mtx",
                                      "%%MatrixMarket MATRIX Coordinate Real General\r\n"
                                      "\r\n"
                                      "2 2 2\r\n"
                                      "1\t1\t+5\r\n"
                                      "\r\n"
                                      "% the last entry\r\n"
                                      "2 2 -1E2\r\n"
                                      "\r\n");
  Eigen::MatrixXd expected(2, 2);
  expected << 5, 0, 0, -100;
  EXPECT_EQ(ds::read_matrix_market_dense(path), expected);
  // Repeated positions are summed.
  const std::string repeated = write_text(dir, "repeated.mtx",
                                          "%%MatrixMarket matrix coordinate real general\n"
                                          "1 2 3\n1 2 1.5\n1 1 1\n1 2 2.5\n");
  EXPECT_EQ(ds::read_matrix_market_dense(repeated)(0, 1), 4.0);
  EXPECT_EQ(ds::read_matrix_market_sparse(repeated).coeff(0, 1), 4.0);
}

TEST(MatrixMarket, ReadsSkewSymmetricAndSymmetricArrays) {
  TempDir dir;
  const std::string skew = write_text(dir, "skew.mtx",
                                      "%%MatrixMarket matrix coordinate real skew-symmetric\n"
                                      "3 3 2\n"
                                      "2 1 4\n"
                                      "3 2 -1\n");
  Eigen::MatrixXd expected(3, 3);
  expected << 0, -4, 0, 4, 0, 1, 0, -1, 0;
  EXPECT_EQ(ds::read_matrix_market_dense(skew), expected);
  EXPECT_EQ(Eigen::MatrixXd(ds::read_matrix_market_sparse(skew)), expected);
  // A symmetric array lists the lower triangle column by column; a skew-symmetric one the strict
  // lower triangle.
  const std::string sym = write_text(dir, "sym_array.mtx",
                                     "%%MatrixMarket matrix array real symmetric\n"
                                     "3 3\n1\n2\n3\n4\n5\n6\n");
  Eigen::MatrixXd s(3, 3);
  s << 1, 2, 3, 2, 4, 5, 3, 5, 6;
  EXPECT_EQ(ds::read_matrix_market_dense(sym), s);
  const std::string skew_array = write_text(dir, "skew_array.mtx",
                                            "%%MatrixMarket matrix array real skew-symmetric\n"
                                            "3 3\n4\n0\n-1\n");
  EXPECT_EQ(ds::read_matrix_market_dense(skew_array), expected);
}

TEST(MatrixMarket, ReadsVectorObjectsAsOneColumn) {
  TempDir dir;
  const std::string coordinate = write_text(dir, "vc.mtx",
                                            "%%MatrixMarket vector coordinate real general\n"
                                            "4 2\n2 1.5\n4 -3\n");
  Eigen::VectorXd expected(4);
  expected << 0, 1.5, 0, -3;
  EXPECT_EQ(ds::read_matrix_market_dense(coordinate), Eigen::MatrixXd(expected));
  const std::string array =
      write_text(dir, "va.mtx", "%%MatrixMarket vector array real general\n4\n0\n1.5\n0\n-3\n");
  EXPECT_EQ(ds::read_matrix_market_dense(array), Eigen::MatrixXd(expected));
}

TEST(MatrixMarket, BannerErrorsNameLineOne) {
  TempDir dir;
  expect_read_error(dir, "", 1, "empty file");
  expect_read_error(dir, "3 3 1\n1 1 1\n", 1, "not a Matrix Market file");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real\n1 1 1\n1 1 1\n", 1,
                    "the banner has 3 of its 4 words");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real general x\n", 1,
                    "text after the banner's 4 words: 'x'");
  expect_read_error(dir, "%%MatrixMarket tensor coordinate real general\n", 1,
                    "unknown object 'tensor'");
  expect_read_error(dir, "%%MatrixMarket matrix dense real general\n", 1, "unknown format 'dense'");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", 1,
                    "complex matrices are not supported");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate quaternion general\n", 1,
                    "unknown field 'quaternion'");
  expect_read_error(dir, "%%MatrixMarket matrix array pattern general\n", 1,
                    "pattern field is for coordinate files only");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real upper\n", 1,
                    "unknown symmetry 'upper'");
}

TEST(MatrixMarket, SizeLineErrorsNameTheirLine) {
  TempDir dir;
  const std::string banner = "%%MatrixMarket matrix coordinate real general\n";
  expect_read_error(dir, banner + "% only a comment\n", 2, "the file ends before the size line");
  expect_read_error(dir, banner + "%\n3 3\n", 3, "the size line must be 'rows columns entries'");
  expect_read_error(dir, banner + "3 x 1\n1 1 1\n", 2, "the column count 'x' is not an integer");
  expect_read_error(dir, banner + "-3 3 1\n1 1 1\n", 2, "the row count '-3' is negative");
  expect_read_error(dir, banner + "3 3000000000 1\n", 2, "exceeds 2147483647");
  expect_read_error(dir, banner + "2 2 5\n", 2, "the file ends after 0 of the 5 entries");
  expect_read_error(dir, "%%MatrixMarket matrix array real general\n2 3 6\n", 2,
                    "the size line must be 'rows columns'");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n", 2,
                    "must be square");
}

TEST(MatrixMarket, EntryErrorsNameTheirLine) {
  TempDir dir;
  const std::string head = "%%MatrixMarket matrix coordinate real general\n% c\n3 4 2\n";
  expect_read_error(dir, head + "1 1 1.0\n", 4, "the file ends after 1 of the 2 entries");
  expect_read_error(dir, head + "1 1 1.0\n2 2 2\n3 3 3\n", 6,
                    "more entries than the 2 the size line (line 3) declares");
  expect_read_error(dir, head + "1 1 1.0\n4 1 2\n", 5, "the row index 4 is outside 1..3");
  expect_read_error(dir, head + "0 1 1.0\n1 1 2\n", 4, "the row index 0 is outside 1..3");
  expect_read_error(dir, head + "1 1 1.0\n1 5 2\n", 5, "the column index 5 is outside 1..4");
  expect_read_error(dir, head + "1 1 abc\n1 2 2\n", 4, "the value 'abc' is not a number");
  expect_read_error(dir, head + "1 1 1.5x\n1 2 2\n", 4, "the value '1.5x' is not a number");
  expect_read_error(dir, head + "1 1 1\n1 2 inf\n", 5, "the value 'inf' is not finite");
  expect_read_error(dir, head + "1 1 nan\n1 2 1\n", 4, "the value 'nan' is not finite");
  expect_read_error(dir, head + "1 1 1e999\n1 2 1\n", 4, "the value '1e999' is not finite");
  expect_read_error(dir, head + "1 1\n1 2 1\n", 4,
                    "an entry must be 'row column value', found 2 fields");
  expect_read_error(dir, head + "1 1 2.0 extra\n1 2 1\n", 4,
                    "text after the entry 'row column value': 'extra'");
  expect_read_error(dir, head + "1.5 1 2.0\n1 2 1\n", 4, "the row index '1.5' is not an integer");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1.5\n", 3,
                    "the value (integer field) '1.5' is not an integer");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 1\n", 3,
                    "text after the entry 'row column': '1'");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 5\n", 3,
                    "entry (1, 2) is above the diagonal");
  expect_read_error(dir, "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 2 5\n", 3,
                    "is not below the diagonal");
  const std::string array = "%%MatrixMarket matrix array real general\n2 2\n1\n2\n";
  expect_read_error(dir, array + "3\n", 5, "the file ends after 3 of the 4 entries");
  expect_read_error(dir, array + "3\n4\n5\n", 7, "more entries than the 4");
  expect_read_error(dir, array + "3 4\n", 5, "one value per line; text after the value: '4'");
  expect_read_error(dir, array + "3\n-inf\n", 6, "the value '-inf' is not finite");
}

TEST(MatrixMarket, FileErrorsNameTheFile) {
  TempDir dir;
  const std::string missing = dir.file("missing.mtx");
  expect_error<std::runtime_error>([&] { ds::read_matrix_market_dense(missing); },
                                   {missing, "cannot open Matrix Market file"});
  expect_error<std::runtime_error>([&] { ds::read_matrix_market_sparse(dir.path().string()); },
                                   {dir.path().string(), "not a regular file (a folder)"});
  // A FIFO with no writer: refused at once rather than waited on.
  const std::string fifo = dir.file("pipe.mtx");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error<std::runtime_error>([&] { ds::read_matrix_market_dense(fifo); },
                                   {fifo, "not a regular file"});
}

TEST(MatrixMarket, WritersRefuseNonFiniteValuesAndKeepTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("x.mtx");
  Eigen::MatrixXd x = Eigen::MatrixXd::Ones(3, 2);
  ds::write_matrix_market(path, x);
  const std::string before = deepsolve::learned::read_whole_file(path);
  x(2, 1) = std::numeric_limits<double>::quiet_NaN();
  expect_error<std::invalid_argument>([&] { ds::write_matrix_market(path, x); },
                                      {path, "entry (3, 2)", "not finite"});
  Eigen::SparseMatrix<double> s(2, 2);
  s.insert(1, 0) = std::numeric_limits<double>::infinity();
  expect_error<std::invalid_argument>([&] { ds::write_matrix_market(path, s); },
                                      {path, "entry (2, 1)", "not finite"});
  EXPECT_EQ(deepsolve::learned::read_whole_file(path), before);
  EXPECT_EQ(dir.files(), std::set<std::string>{"x.mtx"});  // no temporary file left
  // A folder is not replaced.
  expect_error<std::runtime_error>(
      [&] { ds::write_matrix_market(dir.path().string(), Eigen::MatrixXd::Ones(1, 1)); },
      {dir.path().string(), "cannot write"});
}

TEST(MatrixMarket, SizesThatCannotFitAreRefusedBeforeAllocating) {
  TempDir dir;
  // DEEPSOLVE_MEMORY_AVAILABLE stands in for a machine with 1 GiB free.
  const char* old = std::getenv("DEEPSOLVE_MEMORY_AVAILABLE");
  const std::string saved = old ? old : "";
  ASSERT_EQ(::setenv("DEEPSOLVE_MEMORY_AVAILABLE", "1G", 1), 0);
  // 20000 x 20000 is 3.2 GB dense but a few kB sparse.
  const std::string wide = write_text(dir, "wide.mtx",
                                      "%%MatrixMarket matrix coordinate real general\n"
                                      "20000 20000 1\n20000 1 2.5\n");
  expect_error<deepsolve::learned::MemoryEstimateError>(
      [&] { ds::read_matrix_market_dense(wide); },
      {wide, "20000 x 20000", "read it with read_matrix_market_sparse"});
  EXPECT_EQ(ds::read_matrix_market_sparse(wide).coeff(19999, 0), 2.5);
  // Two billion columns need 8 GB of column starts even when sparse.
  const std::string huge = write_text(dir, "huge.mtx",
                                      "%%MatrixMarket matrix coordinate real general\n"
                                      "1 2000000000 1\n1 1 2.5\n");
  expect_error<deepsolve::learned::MemoryEstimateError>(
      [&] { ds::read_matrix_market_sparse(huge); }, {huge, "1 x 2000000000"});
  const std::string square = write_text(dir, "square.mtx",
                                        "%%MatrixMarket matrix coordinate real general\n"
                                        "2000000000 2000000000 1\n1 1 2.5\n");
  expect_error<deepsolve::learned::MemoryEstimateError>(
      [&] { ds::read_matrix_market_dense(square); }, {square, "2000000000 x 2000000000"});
  // A size line declaring billions of entries in a small file fails on the count, not on memory.
  expect_read_error(dir,
                    "%%MatrixMarket matrix coordinate real general\n"
                    "2 2 2000000000\n1 1 1\n",
                    3, "the file ends after 1 of the 2000000000 entries");
  if (old)
    ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", saved.c_str(), 1);
  else
    ::unsetenv("DEEPSOLVE_MEMORY_AVAILABLE");
}
