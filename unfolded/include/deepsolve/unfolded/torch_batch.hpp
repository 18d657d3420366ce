// The batch space of iterative.hpp for a batch of problems in torch: x [B, n], y [B, m], A [m, n]
// shared or [B, m, n] per problem (penalty.hpp's conventions), on the tensors' device and in their
// dtype. Each problem has its own step (and so its own threshold). The data are assumed checked
// (solve_iterative checks them); call under torch::NoGradGuard.
#pragma once

#include <torch/torch.h>

#include <limits>
#include <vector>

#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded {

class TorchBatch {
 public:
  using vector = torch::Tensor;

  /// `steps`: [B] (any dtype and device); `x_true` undefined: no reference.
  TorchBatch(torch::Tensor A, torch::Tensor y, Penalty penalty, double lambda,
             const torch::Tensor& steps, torch::Tensor x_true)
      : A_(std::move(A)),
        y_(std::move(y)),
        x_true_(std::move(x_true)),
        penalty_(penalty),
        lambda_(lambda) {
    const torch::Tensor host = steps.to(torch::kCPU, torch::kFloat64).contiguous();
    torch::Tensor thresholds = torch::empty_like(host);
    for (std::int64_t b = 0; b < host.size(0); ++b)
      thresholds[b] = prox_threshold(penalty, lambda, host[b].item<double>());
    const auto on_device = torch::TensorOptions().dtype(y_.scalar_type()).device(y_.device());
    step_ = host.to(on_device).unsqueeze(1);
    threshold_ = thresholds.to(on_device).unsqueeze(1);
  }

  int batch_size() const { return static_cast<int>(y_.size(0)); }
  vector zero() const { return torch::zeros({y_.size(0), A_.size(-1)}, y_.options()); }

  vector proximal_gradient(const vector& v) const {
    const torch::Tensor r = y_ - apply_matrix(A_, v);
    return shrink(penalty_, v + step_ * apply_adjoint(A_, r), threshold_);
  }

  vector extrapolate(const vector& x, const vector& x_prev, double beta) const {
    return x + beta * (x - x_prev);
  }

  void keep_stopped(vector& x_new, const vector& x, const std::vector<char>& active) const {
    // from_blob only reads `active` here: the .to() copies it before it is used.
    const torch::Tensor running = torch::from_blob(const_cast<char*>(active.data()),
                                                   {std::int64_t(active.size()), 1}, torch::kInt8)
                                      .to(x.device(), torch::kBool);
    x_new = torch::where(running, x_new, x);
  }

  ChangeNorms change(const vector& x_new, const vector& x) const {
    const torch::Tensor both = torch::stack({(x_new - x).norm(2, {1}), x_new.norm(2, {1})})
                                   .to(torch::kCPU, torch::kFloat64);
    return {to_vector(both[0]), to_vector(both[1])};
  }

  // The objective is penalty.hpp's, composed here so that the gap reuses its residual.
  ProblemMeasures measure(const vector& x, bool with_gap) const {
    const torch::Tensor r = y_ - apply_matrix(A_, x);
    const torch::Tensor half_residual = 0.5 * r.pow(2).sum(1);
    const torch::Tensor objective = half_residual + lambda_ * penalty_value(penalty_, x);
    if (!with_gap) return {to_vector(objective), {}};
    // nu = s r with s = min(1, lambda / ||A^T r||_inf) (1 when A^T r = 0); see eigen_batch.hpp.
    const torch::Tensor correlation = apply_adjoint(A_, r).abs().amax(1);
    const torch::Tensor s = torch::clamp_max(lambda_ / correlation, 1.0);
    const torch::Tensor dual = s * (r * y_).sum(1) - s * s * half_residual;
    const torch::Tensor both = torch::stack({objective, objective - dual});
    const torch::Tensor host = both.to(torch::kCPU, torch::kFloat64);
    return {to_vector(host[0]), to_vector(host[1])};
  }

  double support(const vector& x) const {
    return (x != 0).sum().item<double>() / double(x.size(0));
  }

  double nmse_db(const vector& x) const {
    return x_true_.defined() ? unfolded::nmse_db(x, x_true_)
                             : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  static std::vector<double> to_vector(const torch::Tensor& t) {
    const torch::Tensor host = t.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
  }

  torch::Tensor A_, y_, x_true_;
  Penalty penalty_;
  double lambda_;
  torch::Tensor step_, threshold_;  // [B, 1] on the device, in the dtype of y
};

}  // namespace deepsolve::unfolded
