// The Poisson operator (stencil.hpp) assembled as an Eigen sparse matrix: the serial reference
// form.
#pragma once

#include <Eigen/SparseCore>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

using SparseMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>;

/// Assembles the whole-grid operator; row/column c is cell c in natural ordering.
SparseMatrix assemble_eigen_matrix(const Grid& grid);

}  // namespace deepsolve::solvers
