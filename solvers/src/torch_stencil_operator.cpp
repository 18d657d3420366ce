#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/cuda/cuda_stencil_operator.hpp"
#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers {

namespace {

std::string shape_string(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream s;
  s << torch::IntArrayRef(shape);
  return s.str();
}

std::string dtype_string(torch::ScalarType t) {
  return c10::toString(t);
}

}  // namespace

TorchStencilOperator::TorchStencilOperator(const Grid& grid, torch::Device device,
                                           torch::ScalarType dtype)
    : dim_(grid.dim()), num_cells_(grid.num_cells()), dtype_(dtype) {
  if (dtype != torch::kFloat64 && dtype != torch::kFloat32)
    throw std::invalid_argument("TorchStencilOperator: dtype must be float64 or float32, got " +
                                dtype_string(dtype));
  const auto& n = grid.size();
  shape_ = dim_ == 3 ? std::vector<std::int64_t>{n[2], n[1], n[0]}
                     : std::vector<std::int64_t>{n[1], n[0]};
  // Rows are built in float64 (stencil_row) and rounded once to the requested dtype.
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor diag = torch::empty({num_cells_}, opts);
  std::vector<torch::Tensor> off;
  for (int f = 0; f < 6; ++f) off.push_back(torch::zeros({num_cells_}, opts));
  auto* d = diag.data_ptr<double>();
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const auto c = grid.index(i, j, k);
        const StencilRow row = stencil_row(grid, i, j, k);
        d[c] = row.diag;
        for (int f = 0; f < 6; ++f) off[f].data_ptr<double>()[c] = row.off[f];
      }
  diag_ = diag.reshape(shape_).to(device, dtype);
  for (int f = 0; f < 6; ++f) off_[f] = off[f].reshape(shape_).to(device, dtype);
#if DEEPSOLVE_HAVE_CUDA
  if (device.is_cuda() && dtype == torch::kFloat64 && !grid.has_coefficients())
    cuda_kernel_ = std::make_shared<const CudaStencilOperator>(grid, diag_.device().index());
#endif
}

std::vector<std::int64_t> TorchStencilOperator::batch_shape(std::int64_t batch) const {
  std::vector<std::int64_t> s{batch, 1};
  s.insert(s.end(), shape_.begin(), shape_.end());
  return s;
}

torch::Tensor TorchStencilOperator::apply_grid_shaped(const torch::Tensor& x) const {
  // y = diag * x - sum_f off_f * (x shifted to the neighbour through face f). The input is padded
  // with one layer of zeros so every shift is a plain slice; off_f is zero wherever face f is not
  // coupled (domain faces included), so the padding never contributes. Out of place throughout,
  // so autograd records every step.
  const std::int64_t rank = x.dim();
  std::vector<std::int64_t> pad(static_cast<std::size_t>(2 * dim_), 1);
  const torch::Tensor xp = torch::constant_pad_nd(x, pad, 0.0);
  torch::Tensor y = diag_ * x;
  // Face f of axis a (tensor dimension rank-1-a): the neighbour at index-1 (lo) or index+1 (hi).
  for (int f = 0; f < 2 * dim_; ++f) {
    const int axis = f / 2;
    const bool lo = f % 2 == 0;
    torch::Tensor neighbour = xp;
    for (int a = 0; a < dim_; ++a) {
      const std::int64_t td = rank - 1 - a;
      const std::int64_t start = a != axis ? 1 : (lo ? 0 : 2);
      neighbour = neighbour.narrow(td, start, x.size(td));
    }
    y = y - off_[f] * neighbour;
  }
  return y;
}

void TorchStencilOperator::operator()(const torch::Tensor& x_flat, torch::Tensor& y_flat) const {
  if (x_flat.numel() != num_cells_ || y_flat.numel() != num_cells_)
    throw std::invalid_argument("TorchStencilOperator: vectors must have " +
                                std::to_string(num_cells_) + " entries, got x " +
                                shape_string(x_flat) + " and y " + shape_string(y_flat));
  torch::NoGradGuard no_grad;
#if DEEPSOLVE_HAVE_CUDA
  if (cuda_kernel_ && x_flat.device() == device() && y_flat.device() == device() &&
      x_flat.scalar_type() == torch::kFloat64 && y_flat.scalar_type() == torch::kFloat64 &&
      x_flat.is_contiguous() && y_flat.is_contiguous() && !y_flat.is_same(x_flat)) {
    cuda_kernel_->apply(x_flat.data_ptr<double>(), y_flat.data_ptr<double>());
    return;
  }
#endif
  y_flat.copy_(apply_grid_shaped(x_flat.reshape(shape_)).reshape(y_flat.sizes()));
}

torch::Tensor TorchStencilOperator::apply(const torch::Tensor& x) const {
  const auto want = batch_shape(x.dim() > 0 ? x.size(0) : 0);
  const bool flat = x.dim() == 2 && x.size(1) == num_cells_;
  const bool grid_shaped = x.sizes() == torch::IntArrayRef(want);
  if (!flat && !grid_shaped)
    throw std::invalid_argument("TorchStencilOperator::apply: x has shape " + shape_string(x) +
                                ", expected (batch, 1, " + shape_string(shape_) + ") or (batch, " +
                                std::to_string(num_cells_) + ")");
  if (x.scalar_type() != dtype_)
    throw std::invalid_argument("TorchStencilOperator::apply: x is " +
                                dtype_string(x.scalar_type()) + ", the operator is " +
                                dtype_string(dtype_));
  if (x.device() != device())
    throw std::invalid_argument("TorchStencilOperator::apply: x is on " + x.device().str() +
                                ", the operator on " + device().str());
  if (grid_shaped) return apply_grid_shaped(x);
  return apply_grid_shaped(x.reshape(want)).reshape(x.sizes());
}

}  // namespace deepsolve::solvers
