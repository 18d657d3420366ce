// Primal active-set solver of a small dense QP with x >= 0 (block_qp.hpp).
#include "deepsolve/solvers/bcd/block_qp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace deepsolve::bcd {

namespace block_qp_detail {

// z_F solving H_FF z_F = -c_F (minimum norm when H_FF is singular).
Eigen::VectorXd free_minimiser(const Eigen::MatrixXd& h, const Eigen::VectorXd& c,
                               const std::vector<Eigen::Index>& free) {
  const Eigen::Index k = static_cast<Eigen::Index>(free.size());
  Eigen::MatrixXd hf(k, k);
  Eigen::VectorXd cf(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    cf[i] = c[free[static_cast<std::size_t>(i)]];
    for (Eigen::Index j = 0; j < k; ++j)
      hf(i, j) = h(free[static_cast<std::size_t>(i)], free[static_cast<std::size_t>(j)]);
  }
  Eigen::LDLT<Eigen::MatrixXd> ldlt(hf);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::VectorXd d = ldlt.vectorD();
    if (d.minCoeff() > 1e-13 * std::max(d.maxCoeff(), 1e-300)) return ldlt.solve(-cf);
  }
  return hf.completeOrthogonalDecomposition().solve(-cf);
}

}  // namespace block_qp_detail

NonnegativeQpResult solve_nonnegative_qp(const Eigen::MatrixXd& h, const Eigen::VectorXd& c,
                                         const Eigen::VectorXd& start) {
  const Eigen::Index n = c.size();
  if (h.rows() != n || h.cols() != n || start.size() != n)
    throw std::invalid_argument("block QP: H is " + std::to_string(h.rows()) + " x " +
                                std::to_string(h.cols()) + ", c has " + std::to_string(n) +
                                " entries and the start " + std::to_string(start.size()));
  if (!h.allFinite() || !c.allFinite() || !start.allFinite())
    throw std::invalid_argument("block QP: a non-finite entry in H, c or the start");
  NonnegativeQpResult result;
  Eigen::VectorXd y = start.cwiseMax(0.0);
  std::vector<char> active(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) active[static_cast<std::size_t>(i)] = y[i] == 0;
  const double scale =
      std::max({c.lpNorm<Eigen::Infinity>(),
                h.lpNorm<Eigen::Infinity>() * std::max(y.lpNorm<Eigen::Infinity>(), 1.0), 1e-300});
  const double tolerance = 1e-13 * scale;
  const int max_iterations = static_cast<int>(10 * n + 100);
  for (int it = 0; it < max_iterations; ++it) {
    result.iterations = it + 1;
    std::vector<Eigen::Index> free;
    for (Eigen::Index i = 0; i < n; ++i)
      if (!active[static_cast<std::size_t>(i)]) free.push_back(i);
    Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
    if (!free.empty()) {
      const Eigen::VectorXd zf = block_qp_detail::free_minimiser(h, c, free);
      for (std::size_t k = 0; k < free.size(); ++k) z[free[k]] = zf[static_cast<Eigen::Index>(k)];
    }
    // Step from y towards z, stopping at the first bound that blocks.
    double alpha = 1;
    Eigen::Index blocking = -1;
    for (Eigen::Index i : free)
      if (z[i] < 0) {
        const double a = y[i] / (y[i] - z[i]);
        if (a < alpha) alpha = a, blocking = i;
      }
    y += alpha * (z - y);
    if (blocking >= 0) {
      for (Eigen::Index i : free)
        if (y[i] <= 0) y[i] = 0, active[static_cast<std::size_t>(i)] = 1;
      active[static_cast<std::size_t>(blocking)] = 1;
      y[blocking] = 0;
      continue;
    }
    // At the minimiser on the free set: release the bound with the most negative multiplier.
    const Eigen::VectorXd gradient = h * y + c;
    Eigen::Index release = -1;
    double most_negative = -tolerance;
    for (Eigen::Index i = 0; i < n; ++i)
      if (active[static_cast<std::size_t>(i)] && gradient[i] < most_negative)
        most_negative = gradient[i], release = i;
    if (release < 0) {
      result.converged = true;
      break;
    }
    active[static_cast<std::size_t>(release)] = 0;
  }
  result.y = y;
  return result;
}

}  // namespace deepsolve::bcd
