// A small model and regression task for the deepsolve::learned tests: two convs and a buffer, on
// seeded random 6x6 images whose target is a fixed blur of the input.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>

#include "deepsolve/learned/training/trainer.hpp"

namespace learned_test {

struct TinyImpl : torch::nn::Module {
  explicit TinyImpl(int channels = 4) {
    conv = register_module("conv",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(1, channels, 3).padding(1)));
    out = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 1, 1)));
    scale = register_buffer("scale", torch::full({1}, 0.5));
  }
  torch::Tensor forward(const torch::Tensor& x) { return out(torch::tanh(conv(x))) * scale; }
  torch::nn::Conv2d conv{nullptr}, out{nullptr};
  torch::Tensor scale;
};
TORCH_MODULE(Tiny);

/// A model with weights drawn from `seed`.
inline Tiny make_tiny(std::uint64_t seed, int channels = 4) {
  torch::manual_seed(seed);
  return Tiny(channels);
}

struct Regression {
  torch::Tensor x, y;  // (n, 1, 6, 6)
  std::int64_t train = 0, validation = 0;

  Regression(std::int64_t train_size, std::int64_t validation_size, std::uint64_t seed = 7)
      : train(train_size), validation(validation_size) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    x = torch::randn({train + validation, 1, 6, 6}, gen);
    y = torch::avg_pool2d(x, 3, 1, 1) * 2.0 - x;
  }

  /// The task for `model`: squared error summed over the pixels of each sample.
  deepsolve::learned::TrainTask task(Tiny& model) const {
    deepsolve::learned::TrainTask t;
    t.train_size = train;
    t.validation_size = validation;
    t.loss_sum = [this, &model](const torch::Tensor& idx) {
      const auto xi = x.index_select(0, idx), yi = y.index_select(0, idx);
      return (model->forward(xi) - yi).pow(2).sum();
    };
    t.validation_loss_sum = [this, &model](std::int64_t begin, std::int64_t end) {
      const auto xi = x.narrow(0, train + begin, end - begin);
      const auto yi = y.narrow(0, train + begin, end - begin);
      return (model->forward(xi) - yi).pow(2).sum().item<double>();
    };
    return t;
  }
};

}  // namespace learned_test
