// The Krylov vector space over torch::Tensor: any dtype LibTorch supports for the arithmetic (the
// solvers use float64), on any device, so a whole solve can stay on a GPU. Each dot product
// returns a host double, which synchronises a CUDA stream once per reduction.
#pragma once

#include <torch/torch.h>

namespace deepsolve::solvers {

struct TorchSpace {
  using vector = torch::Tensor;
  vector create_like(const vector& v) const { return torch::zeros_like(v); }
  double dot(const vector& a, const vector& b) const {
    return torch::dot(a.reshape(-1), b.reshape(-1)).item<double>();
  }
  void axpy(double alpha, const vector& x, vector& y) const { y.add_(x, alpha); }
  void aypx(double alpha, const vector& x, vector& y) const { y.mul_(alpha).add_(x); }
  void copy(const vector& src, vector& dst) const { dst.copy_(src); }
  void scale(double alpha, vector& x) const { x.mul_(alpha); }
  void set_zero(vector& x) const { x.zero_(); }
};

}  // namespace deepsolve::solvers
