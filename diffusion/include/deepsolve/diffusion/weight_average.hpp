// An exponential moving average of a network's parameters (Polyak-Ruppert averaging with a
// constant decay, as DDPM and EDM sample from: theta_ema <- d theta_ema + (1 - d) theta after
// every optimizer step). The averages are buffers of this module, so a checkpoint of a module
// that holds it (training.cpp) keeps them and a resumed run continues them exactly.
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace deepsolve::diffusion {

class WeightAverage : public torch::nn::Module {
 public:
  /// Starts the averages at the current parameters of `source`. decay in [0, 1).
  WeightAverage(const torch::nn::Module& source, double decay);
  /// One update from `source` (the module given to the constructor, or one of the same layout).
  void update(const torch::nn::Module& source);
  /// Copies the averages into the parameters of `target` (same layout).
  void copy_to(torch::nn::Module& target) const;
  double decay() const { return decay_; }

 private:
  double decay_;
  std::vector<std::string> names_;  ///< the source's parameter names, in order
};

}  // namespace deepsolve::diffusion
