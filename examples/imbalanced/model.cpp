#include "model.hpp"

#include <torch/torch.h>

namespace imbalanced {

MlpImpl::MlpImpl(std::int64_t inputs, std::int64_t hidden, std::int64_t outputs_)
    : outputs(outputs_) {
  if (hidden > 0) {
    layers->push_back(torch::nn::Linear(inputs, hidden));
    layers->push_back(torch::nn::ReLU());
    layers->push_back(torch::nn::Linear(hidden, hidden));
    layers->push_back(torch::nn::ReLU());
    layers->push_back(torch::nn::Linear(hidden, outputs));
  } else {
    layers->push_back(torch::nn::Linear(inputs, outputs));
  }
  register_module("layers", layers);
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  const at::Tensor out = layers->forward(x);
  return outputs == 1 ? out.squeeze(1) : out;
}

Mlp make_model(std::int64_t inputs, std::int64_t hidden, std::int64_t outputs, std::uint64_t seed) {
  // LibTorch's initialisers draw from the default CPU generator.
  torch::manual_seed(seed);
  return Mlp(inputs, hidden, outputs);
}

}  // namespace imbalanced
