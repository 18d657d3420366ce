#include "network_support.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "deepsolve/learned/io/torch_messages.hpp"
#include "deepsolve/learned/training/metrics_log.hpp"

namespace deepsolve::unfolded::detail {

using learned::shape_string;

torch::Tensor checked_measurements(const std::string& type, const torch::Tensor& y, std::int64_t m,
                                   const torch::Tensor& like) {
  if (!y.defined() || y.dim() != 2 || y.size(1) != m || !y.is_floating_point())
    throw std::invalid_argument(
        type + ": the measurements y must be a floating [B, " + std::to_string(m) +
        "] tensor (B problems of m = " + std::to_string(m) + " measurements); got " +
        (y.defined() ? shape_string(y.sizes()) + " " + std::string(c10::toString(y.scalar_type()))
                     : std::string("none")));
  return y.to(like.device(), like.scalar_type());
}

std::int64_t layers_to_run(const std::string& type, std::int64_t up_to, std::int64_t layers) {
  if (up_to < 0) return layers;
  if (up_to < 1 || up_to > layers)
    throw std::invalid_argument(type + ": up_to = " + std::to_string(up_to) + " is outside 1.." +
                                std::to_string(layers) + " (the network has " +
                                std::to_string(layers) + " layers)");
  return up_to;
}

torch::Tensor checked_matrix_input(const std::string& type, const torch::Tensor& A, std::int64_t m,
                                   std::int64_t n, std::int64_t batch, const torch::Tensor& like) {
  const bool shared = A.defined() && A.dim() == 2 && A.size(0) == m && A.size(1) == n;
  const bool per_problem =
      A.defined() && A.dim() == 3 && A.size(0) == batch && A.size(1) == m && A.size(2) == n;
  if ((!shared && !per_problem) || !A.is_floating_point())
    throw std::invalid_argument(type + ": the matrix A must be a floating [" + std::to_string(m) +
                                ", " + std::to_string(n) + "] or [" + std::to_string(batch) + ", " +
                                std::to_string(m) + ", " + std::to_string(n) +
                                "] tensor (one A, or one per problem of y); got " +
                                (A.defined() ? shape_string(A.sizes()) : std::string("none")));
  return A.to(like.device(), like.scalar_type());
}

void check_ignored_matrix(const std::string& type, const torch::Tensor& A, std::int64_t m,
                          std::int64_t n) {
  if (!A.defined() || (A.dim() == 2 && A.size(0) == m && A.size(1) == n)) return;
  throw std::invalid_argument(
      type + " is tied to its own " + std::to_string(m) + "x" + std::to_string(n) +
      " matrix; forward takes no A or an [m, n] one, got " + shape_string(A.sizes()));
}

torch::Tensor initial_matrix(const std::string& type, const torch::Tensor& A, std::int64_t m,
                             std::int64_t n) {
  if (!A.defined() || A.dim() != 2 || A.size(0) != m || A.size(1) != n || !A.is_floating_point())
    throw std::invalid_argument(type + ": initialise needs a floating matrix A of shape [" +
                                std::to_string(m) + ", " + std::to_string(n) +
                                "] (the options measurements and signal-size); got " +
                                (A.defined() ? shape_string(A.sizes()) : std::string("none")));
  torch::NoGradGuard no_grad;
  torch::Tensor a = A.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  if (!torch::isfinite(a).all().item<bool>())
    throw std::invalid_argument(type + ": the matrix A given to initialise has non-finite entries");
  if (!(a.abs().max().item<double>() > 0.0))
    throw std::invalid_argument(type + ": the matrix A given to initialise is all zero");
  return a;
}

void check_parameter_count(const std::string& type, double count, const UnfoldedOptions& options) {
  if (count <= kMaxUnfoldedParameters) return;
  throw std::invalid_argument(type + " with layers = " + std::to_string(options.layers) +
                              ", measurements = " + std::to_string(options.measurements) +
                              " and signal-size = " + std::to_string(options.signal_size) +
                              " would learn " + learned::shortest_double(count) +
                              " values (at most " +
                              learned::shortest_double(kMaxUnfoldedParameters) + ")");
}

torch::Tensor tied_threshold(Penalty penalty, double lambda, const torch::Tensor& step) {
  if (penalty == Penalty::l1) return lambda * step;
  return torch::sqrt((2.0 * lambda) * step);
}

std::shared_ptr<torch::nn::Module> copy_state_into(std::shared_ptr<torch::nn::Module> copy,
                                                   const torch::nn::Module& from,
                                                   const c10::optional<torch::Device>& device) {
  torch::NoGradGuard no_grad;
  auto copy_tensor = [&](const torch::Tensor& source, torch::Tensor target) {
    target.set_data(device && source.device() != *device ? source.to(*device) : source.clone());
  };
  auto target_parameters = copy->named_parameters();
  for (const auto& p : from.named_parameters()) copy_tensor(p.value(), target_parameters[p.key()]);
  auto target_buffers = copy->named_buffers();
  for (const auto& b : from.named_buffers()) copy_tensor(b.value(), target_buffers[b.key()]);
  return copy;
}

}  // namespace deepsolve::unfolded::detail
