// The classifier: a small MLP (two hidden ReLU layers) or, with no hidden units, a linear model.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace imbalanced {

struct MlpImpl : torch::nn::Module {
  /// inputs -> hidden -> hidden -> outputs (hidden == 0: inputs -> outputs). With one output the
  /// forward pass returns [N] (binary logits), else [N, outputs].
  MlpImpl(std::int64_t inputs, std::int64_t hidden, std::int64_t outputs);
  at::Tensor forward(const at::Tensor& x);

  torch::nn::Sequential layers;
  std::int64_t outputs;
};
TORCH_MODULE(Mlp);

/// A fresh model whose initial weights are a function of `seed` only.
Mlp make_model(std::int64_t inputs, std::int64_t hidden, std::int64_t outputs, std::uint64_t seed);

}  // namespace imbalanced
