// Matrix Market files (Boisvert, Pozo & Remington, "The Matrix Market Exchange Formats: Initial
// Design", NIST IR 5935, 1996): how users bring a matrix A and measurements y (a vector, or an
// m x B array whose columns are B problems) and take a solution back.
//
// Read: the banner "%%MatrixMarket matrix <format> <field> <symmetry>" with
//   format   coordinate (1-based "i j value" triplets) or array (values in column-major order);
//   field    real (also "double"), integer or pattern (coordinate only: every listed entry is 1);
//            complex is refused: the solvers are real;
//   symmetry general, symmetric (the lower triangle with the diagonal is stored, the upper one is
//            filled in), skew-symmetric (the strict lower triangle; a_ji = -a_ij) or hermitian
//            (real, so the same as symmetric);
// and "%%MatrixMarket vector coordinate|array ..." (size line "n nnz" or "n", entries "i value"
// or "value"), read as an n x 1 matrix. Banner words are case-insensitive; comment lines ("%...")
// and blank lines may appear anywhere after the banner; CRLF line ends are accepted. Entries of
// a coordinate file that repeat a position are summed (the COO convention of scipy and Eigen's
// setFromTriplets). Symmetric and skew-symmetric entries must be in the lower triangle, as the
// format says.
//
// Every defect of a file is a std::runtime_error "<path>:<line>: <what is wrong>" with the line
// number: bad or missing banner, bad size line, too few or too many entries, an index out of
// range, a field that is not a number (or not an integer in an integer file), a non-finite value,
// too few fields, text after the entry. A file that cannot be opened or is not a regular file
// (a folder, a FIFO: reading one could wait forever) is a std::runtime_error "<path>: ..." without
// a line.
//
// Why not Eigen's unsupported/Eigen/src/SparseExtra/MarketIO.h: in Eigen 3.4 loadMarket ignores
// the banner (a symmetric file loses its upper triangle, a pattern file reads an uninitialised
// value), skips bad entries with a note on stderr and returns true, reports no line numbers, and
// reads no array-format matrix (loadMarketVector reads one column); its writers stream into the
// destination (a failed write leaves half a file). The format is small, so it is parsed here.
//
// Written: array format for dense matrices and coordinate format for sparse ones, "general"
// symmetry, values with "%.17g" (they read back exactly), through learned::write_file_atomically
// (a failed write leaves the old file whole). Non-finite values are refused before anything is
// written, since no reader would take them.
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <string>

namespace deepsolve::solvers {

/// Reads a Matrix Market file (array or coordinate, matrix or vector) into a dense matrix.
/// A coordinate file whose dense form would not fit in memory is refused with
/// learned::MemoryEstimateError (std::invalid_argument) naming the file and the size.
Eigen::MatrixXd read_matrix_market_dense(const std::string& path);

/// Reads a Matrix Market file (array or coordinate) into a compressed sparse matrix: the entries
/// a coordinate file lists (explicit zeros included), the nonzeros of an array file. At most
/// 2^31 - 1 rows, columns and entries (Eigen's int indices).
Eigen::SparseMatrix<double> read_matrix_market_sparse(const std::string& path);

/// Writes `matrix` in array format ("%%MatrixMarket matrix array real general"). Throws
/// std::invalid_argument naming the file and the entry for a non-finite value, and
/// std::runtime_error "<path>: cannot write (<reason>)" when the file cannot be written.
void write_matrix_market(const std::string& path, const Eigen::MatrixXd& matrix);

/// Writes the stored entries of `matrix` in coordinate format
/// ("%%MatrixMarket matrix coordinate real general", column by column); errors as above.
void write_matrix_market(const std::string& path, const Eigen::SparseMatrix<double>& matrix);

}  // namespace deepsolve::solvers
