#include "deepsolve/diffusion/weight_average.hpp"

#include <torch/torch.h>

#include <stdexcept>

namespace deepsolve::diffusion {
namespace {

// Buffer names cannot contain '.', parameter names do ("layers.0.weight").
std::string average_buffer_name(const std::string& parameter) {
  std::string name = "avg_" + parameter;
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

}  // namespace

WeightAverage::WeightAverage(const torch::nn::Module& source, double decay) : decay_(decay) {
  if (!(decay >= 0.0 && decay < 1.0))
    throw std::invalid_argument("weight average: decay must be in [0, 1), got " +
                                std::to_string(decay));
  torch::NoGradGuard no_grad;
  for (const auto& p : source.named_parameters()) {
    names_.push_back(p.key());
    register_buffer(average_buffer_name(p.key()), p.value().detach().clone());
  }
}

void WeightAverage::update(const torch::nn::Module& source) {
  torch::NoGradGuard no_grad;
  const auto params = source.named_parameters();
  if (params.size() != names_.size())
    throw std::invalid_argument("weight average: the module has " + std::to_string(params.size()) +
                                " parameters, the average " + std::to_string(names_.size()));
  for (const auto& name : names_) {
    auto* average = named_buffers(false).find(average_buffer_name(name));
    const auto* p = params.find(name);
    if (p == nullptr || average == nullptr)
      throw std::invalid_argument("weight average: no parameter '" + name + "'");
    average->mul_(decay_).add_(*p, 1.0 - decay_);
  }
}

void WeightAverage::copy_to(torch::nn::Module& target) const {
  torch::NoGradGuard no_grad;
  auto params = target.named_parameters();
  const auto buffers = named_buffers(false);
  for (const auto& name : names_) {
    auto* p = params.find(name);
    const auto* average = buffers.find(average_buffer_name(name));
    if (p == nullptr || average == nullptr)
      throw std::invalid_argument("weight average: the target has no parameter '" + name + "'");
    p->copy_(*average);
  }
}

}  // namespace deepsolve::diffusion
