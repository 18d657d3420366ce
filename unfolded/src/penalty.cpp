#include "deepsolve/unfolded/penalty.hpp"

#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace deepsolve::unfolded {

namespace {

std::string shape_text(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

void check_matrix_and_batch(const torch::Tensor& A, const torch::Tensor& v, std::int64_t A_axis,
                            const char* what) {
  if (!A.defined() || !v.defined())
    throw std::invalid_argument(std::string(what) + ": undefined tensor");
  const bool shared = A.dim() == 2;
  if ((!shared && A.dim() != 3) || v.dim() != 2)
    throw std::invalid_argument(std::string(what) +
                                ": A must be [m, n] or [B, m, n] and the batch "
                                "[B, k]; got A " +
                                shape_text(A) + " and " + shape_text(v));
  const std::int64_t inner = A.size(A.dim() - 2 + A_axis);
  if (v.size(1) != inner || (!shared && A.size(0) != v.size(0)))
    throw std::invalid_argument(std::string(what) + ": A " + shape_text(A) +
                                " does not match the batch " + shape_text(v));
}

}  // namespace

std::string penalty_name(Penalty penalty) {
  return penalty == Penalty::l1 ? "l1" : "l0";
}

Penalty parse_penalty(const std::string& name, const std::string& what) {
  if (name == "l1") return Penalty::l1;
  if (name == "l0") return Penalty::l0;
  throw std::invalid_argument(what + ": '" + name + "' is not a penalty (l1 or l0)");
}

double prox_threshold(Penalty penalty, double lambda, double step) {
  return penalty == Penalty::l1 ? step * lambda : std::sqrt(2.0 * step * lambda);
}

// The soft threshold as v - clamp(v, -t, t): the same values and (sub)gradients as
// sign(v) * max(|v| - t, 0), in one temporary instead of four (about 10x faster on 10^4 x 500).
torch::Tensor shrink(Penalty penalty, const torch::Tensor& v, const torch::Tensor& t) {
  if (penalty == Penalty::l1) return v - torch::clamp(v, -t, t);
  // Hard threshold: the mask carries no gradient, v does.
  return v * (v.abs() > t).to(v.scalar_type());
}

torch::Tensor shrink(Penalty penalty, const torch::Tensor& v, double t) {
  if (penalty == Penalty::l1) return v - torch::clamp(v, -t, t);
  return v * (v.abs() > t).to(v.scalar_type());
}

Eigen::VectorXd shrink(Penalty penalty, const Eigen::VectorXd& v, double t) {
  if (penalty == Penalty::l1)
    return v.unaryExpr([t](double a) { return a > t ? a - t : (a < -t ? a + t : 0.0); });
  return v.unaryExpr([t](double a) { return std::abs(a) > t ? a : 0.0; });
}

torch::Tensor penalty_value(Penalty penalty, const torch::Tensor& x) {
  if (penalty == Penalty::l1) return x.abs().sum(-1);
  return (x != 0).to(x.scalar_type()).sum(-1);
}

double penalty_value(Penalty penalty, const Eigen::VectorXd& x) {
  if (penalty == Penalty::l1) return x.lpNorm<1>();
  return double((x.array() != 0.0).count());
}

torch::Tensor apply_matrix(const torch::Tensor& A, const torch::Tensor& x) {
  check_matrix_and_batch(A, x, 1, "A x");
  if (A.dim() == 2) return torch::matmul(x, A.t());
  return torch::bmm(A, x.unsqueeze(-1)).squeeze(-1);
}

torch::Tensor apply_adjoint(const torch::Tensor& A, const torch::Tensor& r) {
  check_matrix_and_batch(A, r, 0, "A^T r");
  if (A.dim() == 2) return torch::matmul(r, A);
  return torch::bmm(A.transpose(1, 2), r.unsqueeze(-1)).squeeze(-1);
}

torch::Tensor objective(Penalty penalty, double lambda, const torch::Tensor& A,
                        const torch::Tensor& y, const torch::Tensor& x) {
  const torch::Tensor r = y - apply_matrix(A, x);
  return 0.5 * r.pow(2).sum(-1) + lambda * penalty_value(penalty, x);
}

double nmse_db(const torch::Tensor& x, const torch::Tensor& x_true) {
  if (!x.defined() || !x_true.defined() || x.sizes() != x_true.sizes())
    throw std::invalid_argument(
        "NMSE: the estimate " + (x.defined() ? shape_text(x) : "(none)") + " and the truth " +
        (x_true.defined() ? shape_text(x_true) : "(none)") + " differ in shape");
  torch::NoGradGuard no_grad;
  const double reference = x_true.to(torch::kFloat64).pow(2).sum().item<double>();
  if (!(reference > 0.0)) throw std::invalid_argument("NMSE: the true signals are all zero");
  const double error =
      (x.to(torch::kFloat64) - x_true.to(torch::kFloat64)).pow(2).sum().item<double>();
  return 10.0 * std::log10(error / reference);
}

double nmse_db(const Eigen::VectorXd& x, const Eigen::VectorXd& x_true) {
  if (x.size() != x_true.size())
    throw std::invalid_argument("NMSE: the estimate has " + std::to_string(x.size()) +
                                " entries and the truth " + std::to_string(x_true.size()));
  const double reference = x_true.squaredNorm();
  if (!(reference > 0.0)) throw std::invalid_argument("NMSE: the true signal is all zero");
  return 10.0 * std::log10((x - x_true).squaredNorm() / reference);
}

}  // namespace deepsolve::unfolded
