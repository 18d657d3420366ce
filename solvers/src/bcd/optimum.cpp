// Precise optima for f - f* (optimum.hpp).
#include "deepsolve/solvers/bcd/optimum.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "deepsolve/solvers/bcd/block_qp.hpp"

namespace deepsolve::bcd {

namespace optimum_detail {

Block all_coordinates(Index n) {
  Block b(static_cast<std::size_t>(n));
  std::iota(b.begin(), b.end(), Index{0});
  return b;
}

// Backtracking (Armijo, halving) along d from the problem's x; returns the step taken (0: none).
double line_search(Problem& p, const Block& all, const Eigen::VectorXd& d) {
  const double f0 = p.objective(), slope = p.gradient().dot(d);
  if (!(slope < 0)) return 0;
  double alpha = 1;
  for (int k = 0; k < 60; ++k, alpha /= 2) {
    const Eigen::VectorXd step = alpha * d;
    if (p.objective_after(all, step) <= f0 + 1e-4 * alpha * slope) {
      p.update_block(all, step);
      return alpha;
    }
  }
  return 0;
}

// Jacobi-preconditioned CG on Hessian(x) d = -g to a relative residual `forcing`.
Eigen::VectorXd newton_cg_direction(const Problem& p, double forcing, int max_iterations) {
  const Eigen::VectorXd& g = p.gradient();
  const Eigen::VectorXd inverse_diagonal = p.hessian_diagonal().cwiseMax(1e-300).cwiseInverse();
  Eigen::VectorXd d = Eigen::VectorXd::Zero(g.size()), r = -g, z = inverse_diagonal.cwiseProduct(r);
  Eigen::VectorXd q = z, hq(g.size());
  double rz = r.dot(z);
  const double target = forcing * g.norm();
  for (int k = 0; k < max_iterations && r.norm() > target; ++k) {
    p.hessian_apply(q, hq);
    const double curvature = q.dot(hq);
    if (!(curvature > 0)) break;
    const double alpha = rz / curvature;
    d += alpha * q;
    r -= alpha * hq;
    z = inverse_diagonal.cwiseProduct(r);
    const double rz_next = r.dot(z);
    q = z + (rz_next / rz) * q;
    rz = rz_next;
  }
  return d;
}

}  // namespace optimum_detail

Optimum least_squares_optimum(const LeastSquares& problem) {
  const SparseMatrix& a = problem.matrix();
  const Eigen::VectorXd& b = problem.targets();
  const Index m = a.rows(), n = a.cols();
  if (std::min(m, n) > 5000)
    throw std::invalid_argument(
        "least_squares_optimum: min(m, n) = " + std::to_string(std::min(m, n)) + " is above 5000");
  Optimum result;
  if (m <= n) {
    // f* = ||(I - P) b||^2 / 2, P the projector on range(A) = range(A A^T).
    const Eigen::MatrixXd gram = Eigen::MatrixXd(a * a.transpose());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
    const double cutoff = 1e-12 * std::max(eig.eigenvalues().maxCoeff(), 0.0);
    Eigen::VectorXd coefficients = eig.eigenvectors().transpose() * b;
    for (Index i = 0; i < m; ++i)
      if (eig.eigenvalues()[i] > cutoff) coefficients[i] = 0;
    result.value = 0.5 * coefficients.squaredNorm();
  } else {
    const Eigen::MatrixXd gram = Eigen::MatrixXd(a.transpose() * a);
    const Eigen::VectorXd rhs = a.transpose() * b;
    result.x = gram.completeOrthogonalDecomposition().solve(rhs);
    result.value = 0.5 * (a * result.x - b).squaredNorm();
  }
  return result;
}

Optimum smooth_optimum(Problem& p, double relative_gradient_tolerance) {
  using namespace optimum_detail;
  if (p.regularizer() != Regularizer::none)
    throw std::invalid_argument("smooth_optimum: " + p.name() + " is not smooth");
  const Index n = p.size();
  const Block all = all_coordinates(n);
  const double g0 = std::max(p.gradient().norm(), 1e-300);
  const double target = relative_gradient_tolerance * g0;
  Optimum result;
  auto* linear = dynamic_cast<LinearModelProblem*>(&p);
  // For l2 > 0 the minimiser is x* = A^T beta* (l2 x = -A^T phi'(A x)); from x = 0, Newton on
  // beta keeps x = A^T beta: (D K + l2 I) delta = -(phi'(z) + l2 beta), K = A A^T, the x-step is
  // A^T delta. An m x m dense solve per step instead of an n x n one.
  const bool in_span = n > 3000 && linear && linear->l2() > 0 && linear->matrix().rows() <= 3000 &&
                       p.x().squaredNorm() == 0;
  Eigen::MatrixXd kernel;
  Eigen::VectorXd beta;
  if (in_span) {
    kernel = Eigen::MatrixXd(linear->matrix() * linear->matrix().transpose());
    beta = Eigen::VectorXd::Zero(linear->matrix().rows());
  }
  for (int it = 0; it < 200 && p.gradient().norm() > target; ++it) {
    result.iterations = it + 1;
    if (n <= 3000) {
      const Eigen::VectorXd d = p.hessian_block(all).ldlt().solve(-p.gradient());
      if (line_search(p, all, d) == 0) break;
    } else if (in_span) {
      const Eigen::VectorXd v = linear->loss_derivatives() + linear->l2() * beta;
      Eigen::MatrixXd system = linear->loss_second_derivatives().asDiagonal() * kernel;
      system.diagonal().array() += linear->l2();
      const Eigen::VectorXd delta = system.partialPivLu().solve(-v);
      const Eigen::VectorXd d = linear->matrix().transpose() * delta;
      const double alpha = line_search(p, all, d);
      if (alpha == 0) break;
      beta += alpha * delta;
    } else {
      const Eigen::VectorXd d =
          newton_cg_direction(p, std::min(0.1, std::sqrt(p.gradient().norm() / g0)), 2000);
      if (line_search(p, all, d) == 0) break;
    }
  }
  // The incremental state after many full steps: recompute it once for the reported value.
  p.set_x(Eigen::VectorXd(p.x()));
  result.value = p.objective();
  result.x = p.x();
  result.kkt_residual = p.optimality_residual_norm();
  return result;
}

Optimum nonnegative_optimum(LeastSquares& p, double relative_kkt_tolerance) {
  if (p.regularizer() != Regularizer::nonnegative_sum)
    throw std::invalid_argument("nonnegative_optimum: " + p.name() + " has no x >= 0 bound");
  const Index n = p.size();
  const double scale = std::max(p.optimality_residual_norm(), 1e-300);
  Optimum result;
  for (int it = 0; it < 1000; ++it) {
    result.iterations = it + 1;
    // The working set: the support of x plus the worst violators of g_i >= 0 among the zeros.
    std::vector<Index> violators;
    Block working;
    for (Index i = 0; i < n; ++i) {
      if (p.x()[i] > 0)
        working.push_back(i);
      else if (p.gradient()[i] < -relative_kkt_tolerance * scale)
        violators.push_back(i);
    }
    const double residual = p.optimality_residual_norm();
    if (violators.empty() && residual <= relative_kkt_tolerance * scale) break;
    const std::size_t add = std::max<std::size_t>(20, working.size() / 2);
    if (violators.size() > add) {
      std::nth_element(violators.begin(), violators.begin() + static_cast<std::ptrdiff_t>(add),
                       violators.end(),
                       [&](Index a, Index b) { return p.gradient()[a] < p.gradient()[b]; });
      violators.resize(add);
    }
    working.insert(working.end(), violators.begin(), violators.end());
    std::sort(working.begin(), working.end());
    const Index t = static_cast<Index>(working.size());
    Eigen::VectorXd g(t), x(t);
    for (Index q = 0; q < t; ++q)
      g[q] = p.gradient()[working[static_cast<std::size_t>(q)]],
      x[q] = p.x()[working[static_cast<std::size_t>(q)]];
    const Eigen::MatrixXd h = p.hessian_block(working);
    const NonnegativeQpResult qp = solve_nonnegative_qp(h, g - h * x, x);
    Eigen::VectorXd delta = qp.y - x;
    // Exact zeros stay zeros (the QP returns them exactly).
    p.update_block(working, delta);
  }
  result.value = p.objective();
  result.x = p.x();
  result.kkt_residual = p.optimality_residual_norm();
  return result;
}

}  // namespace deepsolve::bcd
