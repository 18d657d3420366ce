#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"

#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::solvers {

using torch::indexing::None;
using torch::indexing::Slice;

TorchStencilOperator::TorchStencilOperator(const Grid& grid, torch::Device device)
    : dim_(grid.dim()) {
  const auto& n = grid.size();
  shape_ = dim_ == 3 ? std::vector<std::int64_t>{n[2], n[1], n[0]}
                     : std::vector<std::int64_t>{n[1], n[0]};
  const auto count = grid.num_cells();
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor diag = torch::empty({count}, opts);
  std::vector<torch::Tensor> off;
  for (int f = 0; f < 6; ++f) off.push_back(torch::zeros({count}, opts));
  auto* d = diag.data_ptr<double>();
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const auto c = grid.index(i, j, k);
        const StencilRow row = stencil_row(grid, i, j, k);
        d[c] = row.diag;
        for (int f = 0; f < 6; ++f) off[f].data_ptr<double>()[c] = row.off[f];
      }
  diag_ = diag.reshape(shape_).to(device);
  for (int f = 0; f < 6; ++f) off_[f] = off[f].reshape(shape_).to(device);
}

void TorchStencilOperator::operator()(const torch::Tensor& x_flat, torch::Tensor& y_flat) const {
  const torch::Tensor x = x_flat.reshape(shape_);
  torch::Tensor y = diag_ * x;
  // Face f of axis a (tensor dimension dim_-1-a): the neighbour at index-1 (lo) or index+1 (hi).
  for (int f = 0; f < 2 * dim_; ++f) {
    const int axis = dim_ - 1 - f / 2;
    const bool lo = f % 2 == 0;
    auto dst = y.narrow(axis, lo ? 1 : 0, x.size(axis) - 1);
    auto src = x.narrow(axis, lo ? 0 : 1, x.size(axis) - 1);
    auto w = off_[f].narrow(axis, lo ? 1 : 0, x.size(axis) - 1);
    dst.sub_(w * src);
  }
  y_flat.copy_(y.reshape(-1));
}

}  // namespace deepsolve::solvers
