#include "deepsolve/solvers/dcdm/network_direction.hpp"

#include <torch/torch.h>

#include <chrono>
#include <stdexcept>

#include "deepsolve/learned/device.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"

namespace deepsolve::solvers::dcdm {

struct NetworkDirection::State {
  std::vector<std::int64_t> shape;  // (1, 1, [nz,] ny, nx)
  torch::Device device{torch::kCPU};
  torch::Tensor blocked;  // bool, true on solid and air cells; undefined when there are none
};

NetworkDirection::NetworkDirection(std::shared_ptr<DirectionNetwork> network, const Grid& grid,
                                   const NetworkDirectionOptions& options)
    : network_(std::move(network)),
      state_(std::make_unique<State>()),
      num_cells_(grid.num_cells()) {
  if (!network_) throw std::invalid_argument("NetworkDirection: no network");
  network_->check_grid(grid);
  device_ = learned::resolve_device(options.device(), options.rank());
  state_->device = torch::Device(device_);
  network_->to(state_->device);
  const auto& n = grid.size();
  state_->shape = grid.dim() == 3 ? std::vector<std::int64_t>{1, 1, n[2], n[1], n[0]}
                                  : std::vector<std::int64_t>{1, 1, n[1], n[0]};
  set_grid(grid);
}

void NetworkDirection::set_grid(const Grid& grid) {
  const auto& n = grid.size();
  const std::vector<std::int64_t> shape = grid.dim() == 3
                                              ? std::vector<std::int64_t>{1, 1, n[2], n[1], n[0]}
                                              : std::vector<std::int64_t>{1, 1, n[1], n[0]};
  if (shape != state_->shape)
    throw std::invalid_argument("NetworkDirection::set_grid: the grid " + grid.describe() +
                                " has another shape than the one the direction was built for");
  network_->set_grid(grid);
  state_->blocked = torch::Tensor();
  if (grid.count(CellType::fluid) != grid.num_cells()) {
    auto blocked = torch::empty({grid.num_cells()}, torch::kBool);
    auto* b = blocked.data_ptr<bool>();
    const auto& cells = grid.cells();
    for (std::size_t c = 0; c < cells.size(); ++c) b[c] = cells[c] != CellType::fluid;
    state_->blocked = blocked.reshape(state_->shape).to(state_->device);
  }
}

NetworkDirection::NetworkDirection(const std::string& path, const Grid& grid,
                                   const NetworkDirectionOptions& options)
    : NetworkDirection(load_direction_network(path), grid, options) {}

NetworkDirection::~NetworkDirection() = default;

std::string NetworkDirection::describe() const {
  return "network " + network_->describe() + " on " + device_;
}

namespace {

class Stopwatch {
 public:
  Stopwatch(const torch::Device& device, double& seconds, std::int64_t& calls)
      : device_(device),
        seconds_(seconds),
        calls_(calls),
        start_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() {
    if (device_.is_cuda()) torch::cuda::synchronize(device_.index());
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    ++calls_;
  }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  const torch::Device& device_;
  double& seconds_;
  std::int64_t& calls_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void NetworkDirection::apply(const double* r, double* q) {
  Stopwatch clock(state_->device, seconds_, calls_);
  torch::NoGradGuard no_grad;
  // from_blob does not copy and never writes through the pointer; .to makes the float32 copy.
  const torch::Tensor in = torch::from_blob(const_cast<double*>(r), state_->shape, torch::kFloat64)
                               .to(state_->device, torch::kFloat32);
  torch::Tensor out = (*network_)(in);
  if (state_->blocked.defined()) out = out.masked_fill(state_->blocked, 0.0);
  torch::from_blob(q, state_->shape, torch::kFloat64).copy_(out);  // to float64, to the host
}

void NetworkDirection::apply(const at::Tensor& r, at::Tensor& q) {
  if (!r.defined() || !q.defined() || r.numel() != num_cells_ || q.numel() != num_cells_)
    throw std::invalid_argument("NetworkDirection: r and q must hold " +
                                std::to_string(num_cells_) + " entries (got " +
                                std::to_string(r.defined() ? r.numel() : 0) + " and " +
                                std::to_string(q.defined() ? q.numel() : 0) + ")");
  Stopwatch clock(state_->device, seconds_, calls_);
  torch::NoGradGuard no_grad;
  torch::Tensor out = (*network_)(r.reshape(state_->shape).to(state_->device, torch::kFloat32));
  if (state_->blocked.defined()) out = out.masked_fill(state_->blocked, 0.0);
  q.copy_(out.reshape(q.sizes()));
}

}  // namespace deepsolve::solvers::dcdm
