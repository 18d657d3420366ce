#include "deepsolve/solvers/cuda/cuda_stencil_operator.hpp"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "deepsolve/solvers/stencil.hpp"
#include "deepsolve/solvers/stencil_cell.hpp"

namespace deepsolve::solvers {

namespace {

void check_cuda(cudaError_t status, const char* call) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("CUDA: ") + call +
                             " failed: " + cudaGetErrorString(status));
}

// Makes `device` current for the lifetime of the guard and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check_cuda(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check_cuda(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() { cudaSetDevice(previous_); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// 32 threads along x (one warp reads 32 consecutive x values), 8 rows along y; z from the grid.
constexpr int kBlockX = 32;
constexpr int kBlockY = 8;

__global__ void stencil_kernel(StencilCodeView v, const double* __restrict__ x,
                               double* __restrict__ y) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int j = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int k = static_cast<int>(blockIdx.z);
  if (i >= v.nx || j >= v.ny) return;
  y[(static_cast<std::int64_t>(k) * v.ny + j) * v.nx + i] = stencil_cell(v, x, i, j, k);
}

}  // namespace

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return count;
}

CudaStencilOperator::CudaStencilOperator(const Grid& grid, int device)
    : device_(device), num_cells_(grid.num_cells()), dim_(grid.dim()) {
  if (grid.has_coefficients())
    throw std::invalid_argument(
        "CudaStencilOperator: the grid has variable coefficients; the CUDA stencil takes constant "
        "coefficients only");
  const int count = cuda_device_count();
  if (device < 0 || device >= count)
    throw std::invalid_argument("CudaStencilOperator: CUDA device " + std::to_string(device) +
                                " does not exist (" + std::to_string(count) + " device(s))");
  if (grid.size()[2] > 65535 || (grid.size()[1] + kBlockY - 1) / kBlockY > 65535)
    throw std::invalid_argument(
        "CudaStencilOperator: the grid is too large along y or z for a "
        "CUDA grid of thread blocks (ny <= 524280, nz <= 65535)");
  for (int d = 0; d < 3; ++d) {
    size_[d] = grid.size()[d];
    weight_[d] = d < dim_ ? 1.0 / (grid.spacing()[d] * grid.spacing()[d]) : 0.0;
  }
  eliminated_diag_ = eliminated_diagonal(grid);
  std::vector<std::uint16_t> codes(static_cast<std::size_t>(num_cells_));
  for (int k = 0; k < size_[2]; ++k)
    for (int j = 0; j < size_[1]; ++j)
      for (int i = 0; i < size_[0]; ++i)
        codes[static_cast<std::size_t>(grid.index(i, j, k))] = stencil_code(grid, i, j, k);
  DeviceGuard guard(device_);
  const std::size_t bytes = codes.size() * sizeof(std::uint16_t);
  check_cuda(cudaMalloc(reinterpret_cast<void**>(&codes_), bytes), "cudaMalloc");
  const cudaError_t copied = cudaMemcpy(codes_, codes.data(), bytes, cudaMemcpyHostToDevice);
  if (copied != cudaSuccess) {
    cudaFree(codes_);
    check_cuda(copied, "cudaMemcpy");
  }
}

CudaStencilOperator::~CudaStencilOperator() {
  if (!codes_) return;
  int previous = 0;
  cudaGetDevice(&previous);
  cudaSetDevice(device_);
  cudaFree(codes_);
  cudaSetDevice(previous);
}

void CudaStencilOperator::apply(const double* x, double* y) const {
  StencilCodeView v;
  v.codes = codes_;
  v.nx = size_[0];
  v.ny = size_[1];
  v.nz = size_[2];
  v.dim = dim_;
  for (int d = 0; d < 3; ++d) v.w[d] = weight_[d];
  v.eliminated_diag = eliminated_diag_;
  DeviceGuard guard(device_);
  const dim3 block(kBlockX, kBlockY, 1);
  const dim3 blocks((v.nx + kBlockX - 1) / kBlockX, (v.ny + kBlockY - 1) / kBlockY, v.nz);
  stencil_kernel<<<blocks, block>>>(v, x, y);
  check_cuda(cudaGetLastError(), "stencil kernel launch");
}

}  // namespace deepsolve::solvers
