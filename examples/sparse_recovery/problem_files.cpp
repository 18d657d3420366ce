#include "problem_files.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "deepsolve/solvers/matrix_market.hpp"

namespace sparse_recovery {

namespace {

// The reader's errors name the file and the line; the option says which input it was.
template <class Read>
auto with_option(const std::string& option, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const std::exception& e) {
    throw std::runtime_error(option + " " + e.what());
  }
}

void check_not_empty(const std::string& option, const std::string& path, Eigen::Index rows,
                     Eigen::Index cols) {
  if (rows == 0 || cols == 0)
    throw std::invalid_argument(option + " " + path + ": the matrix is empty (" +
                                size_text(rows, cols) + ")");
}

}  // namespace

std::string size_text(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + " x " + std::to_string(cols);
}

Eigen::MatrixXd read_dense_matrix(const std::string& option, const std::string& path) {
  Eigen::MatrixXd A =
      with_option(option, [&] { return deepsolve::solvers::read_matrix_market_dense(path); });
  check_not_empty(option, path, A.rows(), A.cols());
  return A;
}

Eigen::SparseMatrix<double> read_sparse_matrix(const std::string& option, const std::string& path) {
  Eigen::SparseMatrix<double> A =
      with_option(option, [&] { return deepsolve::solvers::read_matrix_market_sparse(path); });
  check_not_empty(option, path, A.rows(), A.cols());
  return A;
}

Eigen::MatrixXd read_columns(const std::string& option, const std::string& path, Eigen::Index rows,
                             const std::string& rows_what, Eigen::Index columns,
                             const std::string& columns_what) {
  Eigen::MatrixXd M = read_dense_matrix(option, path);
  if (M.rows() != rows)
    throw std::invalid_argument(option + " " + path + " is " + size_text(M.rows(), M.cols()) +
                                ": it needs " + std::to_string(rows) + " rows (" + rows_what + ")");
  if (columns >= 0 && M.cols() != columns)
    throw std::invalid_argument(option + " " + path + " is " + size_text(M.rows(), M.cols()) +
                                ": it needs " + std::to_string(columns) + " columns (" +
                                columns_what + ")");
  return M;
}

torch::Tensor columns_to_rows(const Eigen::MatrixXd& columns) {
  // Column-major m x B is row-major B x m.
  return torch::from_blob(const_cast<double*>(columns.data()), {columns.cols(), columns.rows()},
                          torch::kFloat64)
      .clone();
}

Eigen::MatrixXd rows_to_columns(const torch::Tensor& rows) {
  const torch::Tensor r = rows.to(torch::kCPU, torch::kFloat64).contiguous();
  Eigen::MatrixXd out(r.size(1), r.size(0));
  std::copy(r.data_ptr<double>(), r.data_ptr<double>() + r.numel(), out.data());
  return out;
}

torch::Tensor matrix_to_tensor(const Eigen::MatrixXd& A) {
  return columns_to_rows(A).t().contiguous();
}

Eigen::MatrixXd tensor_to_matrix(const torch::Tensor& A) {
  return rows_to_columns(A.t());
}

}  // namespace sparse_recovery
