// The user's problem as Matrix Market files (solvers/matrix_market.hpp): A (m x n, dense or
// sparse), the measurements y (a vector of size m, or an m x B array whose columns are B
// problems) and optionally the true signals (n x B). Every size is checked against the others,
// and every error names the option and the file; the conversions to and from LibTorch's
// row-per-problem layout ([B, m], [B, n]) live here too.
#pragma once

#include <torch/types.h>
#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include <string>

namespace sparse_recovery {

/// A dense matrix read from `path`; errors are "<option> <reader's message>" (the message names
/// the file and the line). Refuses an empty matrix.
Eigen::MatrixXd read_dense_matrix(const std::string& option, const std::string& path);
/// The same, as a sparse matrix.
Eigen::SparseMatrix<double> read_sparse_matrix(const std::string& option, const std::string& path);

/// The columns of `path` as problems: an m x B array (a vector is m x 1). `m` is A's number of
/// rows, `matrix_what` how to name A in the error ("--matrix A.mtx").
Eigen::MatrixXd read_columns(const std::string& option, const std::string& path, Eigen::Index rows,
                             const std::string& rows_what, Eigen::Index columns = -1,
                             const std::string& columns_what = "");

/// m x B (column b = problem b) as a float64 [B, m] tensor, and back.
torch::Tensor columns_to_rows(const Eigen::MatrixXd& columns);
Eigen::MatrixXd rows_to_columns(const torch::Tensor& rows);
/// An m x n matrix as a float64 [m, n] tensor, and back.
torch::Tensor matrix_to_tensor(const Eigen::MatrixXd& A);
Eigen::MatrixXd tensor_to_matrix(const torch::Tensor& A);

/// "20 x 40".
std::string size_text(Eigen::Index rows, Eigen::Index cols);

}  // namespace sparse_recovery
