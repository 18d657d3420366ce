// The CUDA stencil kernel (cuda/cuda_stencil_operator.hpp) against the CPU matrix-free operator on
// every constant-coefficient test geometry and on a grid larger than one thread block in every
// direction, plus its errors. Built only with CUDA; the kernel checks need a GPU and are skipped,
// saying so, on a machine without one (the per-cell code they run is also checked on the CPU, bit
// for bit, by Operators.StencilCellMatchesMatrixFreeBitForBit).
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "deepsolve/solvers/cuda/cuda_stencil_operator.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/stencil_operator.hpp"
#include "test_problems.hpp"

using namespace deepsolve::solvers;

namespace {

// A device copy of a host vector, freed on scope exit.
class DeviceVector {
 public:
  explicit DeviceVector(const std::vector<double>& host) : n_(host.size()) {
    if (cudaMalloc(reinterpret_cast<void**>(&data_), n_ * sizeof(double)) != cudaSuccess)
      throw std::runtime_error("cudaMalloc failed");
    cudaMemcpy(data_, host.data(), n_ * sizeof(double), cudaMemcpyHostToDevice);
  }
  ~DeviceVector() { cudaFree(data_); }
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  double* data() { return data_; }
  std::vector<double> to_host() const {
    std::vector<double> out(n_);
    cudaMemcpy(out.data(), data_, n_ * sizeof(double), cudaMemcpyDeviceToHost);
    return out;
  }

 private:
  std::size_t n_;
  double* data_ = nullptr;
};

// max_c |y_c - expected_c| / max_c |expected_c|
double relative_max_error(const std::vector<double>& y, const std::vector<double>& expected) {
  double err = 0.0, scale = 0.0;
  for (std::size_t c = 0; c < y.size(); ++c) {
    err = std::fmax(err, std::fabs(y[c] - expected[c]));
    scale = std::fmax(scale, std::fabs(expected[c]));
  }
  return err / scale;
}

void expect_kernel_matches_cpu(const Grid& grid) {
  std::vector<double> x(static_cast<std::size_t>(grid.num_cells()));
  for (std::size_t c = 0; c < x.size(); ++c) x[c] = hashed_normal(9, c);
  std::vector<double> expected(x.size());
  StencilOperator(grid).apply(x.data(), expected.data());

  const CudaStencilOperator op(grid, 0);
  EXPECT_EQ(op.num_cells(), grid.num_cells());
  DeviceVector xd(x), yd(std::vector<double>(x.size(), std::nan("")));
  op.apply(xd.data(), yd.data());
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  // Fused multiply-adds on the GPU change the last bits only.
  EXPECT_LE(relative_max_error(yd.to_host(), expected), 1e-14);
}

}  // namespace

TEST(CudaStencil, KernelMatchesTheCpuOperator) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  for (const auto& [name, grid] : deepsolve::testing::test_grids()) {
    if (grid.has_coefficients()) continue;
    SCOPED_TRACE(name);
    expect_kernel_matches_cpu(grid);
  }
  Grid big(3, {70, 33, 20}, {0.01, 0.02, 0.03});
  big.set_boundary(Face::x_hi, Boundary::neumann);
  apply_geometry(big, "random", 5);
  SCOPED_TRACE("3d 70x33x20 random");
  expect_kernel_matches_cpu(big);
}

TEST(CudaStencil, RefusesWhatItCannotRun) {
  Grid variable = Grid::unit_box(2, 8);
  variable.set_coefficients(std::vector<double>(64, 2.0));
  EXPECT_THROW(CudaStencilOperator(variable, 0), std::invalid_argument);
  const Grid grid = Grid::unit_box(2, 8);
  try {
    CudaStencilOperator op(grid, cuda_device_count());
    ADD_FAILURE() << "no error for a device that does not exist";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}
