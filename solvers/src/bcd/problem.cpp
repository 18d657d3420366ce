// The shared parts of deepsolve::bcd::Problem: the proximal step, the KKT residual, the power
// iteration for lambda_max of the Hessian bound, block checks.
#include "deepsolve/solvers/bcd/problem.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace deepsolve::bcd {

double regularizer_value(Regularizer r, double weight, const Eigen::VectorXd& x) {
  switch (r) {
    case Regularizer::none:
      return 0;
    case Regularizer::nonnegative_sum:
      return weight * x.sum();
    case Regularizer::l1:
      return weight * x.lpNorm<1>();
  }
  return 0;
}

void check_block(const Block& b, Index n, const char* what) {
  if (b.empty()) throw std::invalid_argument(std::string(what) + " is empty");
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  for (Index i : b) {
    if (i < 0 || i >= n)
      throw std::invalid_argument(std::string(what) + ": index " + std::to_string(i) +
                                  " is outside [0, " + std::to_string(n) + ")");
    if (seen[static_cast<std::size_t>(i)])
      throw std::invalid_argument(std::string(what) + ": index " + std::to_string(i) +
                                  " appears twice");
    seen[static_cast<std::size_t>(i)] = 1;
  }
}

void Problem::set_regularizer(Regularizer r, double weight) {
  if (!std::isfinite(weight) || weight < 0)
    throw std::invalid_argument("the regularisation weight must be finite and >= 0, got " +
                                std::to_string(weight));
  regularizer_ = r;
  regularizer_weight_ = r == Regularizer::none ? 0.0 : weight;
}

double Problem::prox(double v, double t) const {
  switch (regularizer_) {
    case Regularizer::none:
      return v;
    case Regularizer::nonnegative_sum:
      return std::max(v, 0.0);  // the linear term is in the gradient already
    case Regularizer::l1: {
      const double s = regularizer_weight_ * t;
      return v > s ? v - s : (v < -s ? v + s : 0.0);
    }
  }
  return v;
}

double Problem::optimality_residual(Index i) const {
  const double g = gradient_[i], xi = x_[i];
  switch (regularizer_) {
    case Regularizer::none:
      return g;
    case Regularizer::nonnegative_sum:
      return xi > 0 ? g : std::min(g, 0.0);
    case Regularizer::l1: {
      const double w = regularizer_weight_;
      if (xi > 0) return g + w;
      if (xi < 0) return g - w;
      return g > w ? g - w : (g < -w ? g + w : 0.0);
    }
  }
  return g;
}

double Problem::optimality_residual_norm() const {
  double m = 0;
  for (Index i = 0; i < size(); ++i) m = std::max(m, std::abs(optimality_residual(i)));
  return m;
}

double Problem::hessian_bound_max_eigenvalue() const {
  if (max_eigenvalue_ >= 0) return max_eigenvalue_;
  // Power iteration from a fixed vector; 100 steps and a 1% margin give an upper estimate good
  // enough for the step 1/lambda_max of the IHT selection (which only needs mu <= 1/lambda_max).
  Eigen::VectorXd v = Eigen::VectorXd::Ones(size()), w(size());
  for (Index i = 0; i < size(); ++i) v[i] += 0.01 * std::sin(double(i + 1));
  v.normalize();
  double lambda = 0;
  for (int k = 0; k < 100; ++k) {
    hessian_bound_apply(v, w);
    lambda = v.dot(w);
    const double norm = w.norm();
    if (norm == 0) break;
    v = w / norm;
  }
  max_eigenvalue_ = 1.01 * lambda;
  return max_eigenvalue_;
}

}  // namespace deepsolve::bcd
