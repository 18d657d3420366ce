// Sharpness-aware minimisation (Foret, Kleiner, Mobahi & Neyshabur, ICLR 2021, arXiv 2010.01412,
// Eq. 2) and its adaptive variant ASAM (Kwon, Kim, Park & Choi, ICML 2021, arXiv 2102.11600).
// One step = two forward/backward passes through the closure:
//   g = grad L(w);  e = rho g / ||g||            (SAM; ||.|| over all parameters)
//                   e = rho w^2 g / || |w| g ||   (ASAM, adaptive = true; products per coordinate)
//   w <- w + e;  g' = grad L(w + e);  w <- w - e;  base optimizer steps with g'.
// SAM wraps any torch::optim::Optimizer over the same parameter groups. rho defaults to 0.05
// (SAM); ASAM is usually run with a larger rho (2.0 in the davda54/sam README).
#pragma once

#include <memory>
#include <vector>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

struct SAMOptions : public torch::optim::OptimizerCloneableOptions<SAMOptions> {
  SAMOptions(double rho = 0.05);  // NOLINT(google-explicit-constructor)
  /// Radius of the neighbourhood, >= 0 (per group).
  TORCH_ARG(double, rho) = 0.05;
  /// ASAM: scale the perturbation by |w| (per coordinate).
  TORCH_ARG(bool, adaptive) = false;
  /// Added to the norm in the denominator.
  TORCH_ARG(double, eps) = 1e-12;
  /// The base optimizer's learning rate of this group, mirrored so that LR schedulers that call
  /// set_lr() on SAM's groups reach the base optimizer (copied to it before every base step).
  TORCH_ARG(double, lr) = 0.0;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(SAMOptions);
};

struct SAMParamState : public torch::optim::OptimizerCloneableParamState<SAMParamState> {
  /// The perturbation e while the parameters are at w + e (between first and second step).
  TORCH_ARG(at::Tensor, perturbation);

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class SAM : public PatternOptimizer<SAMOptions, SAMParamState> {
 public:
  /// SAM over the parameter groups of `base` (one SAM group per base group, each with `options`
  /// and the base group's learning rate).
  SAM(std::unique_ptr<torch::optim::Optimizer> base, SAMOptions options = {});

  /// Both passes. The closure must zero the gradients, compute the loss, call backward() and
  /// return the loss; it is called twice. Returns the loss at w (the first call).
  at::Tensor step(LossClosure closure = nullptr) override;
  /// w <- w + e from the current gradients.
  void first_step();
  /// w <- w - e, then the base optimizer's step with the current gradients.
  void second_step();

  torch::optim::Optimizer& base() { return *base_; }
  const torch::optim::Optimizer& base() const { return *base_; }

  /// Saves SAM's own state and the base optimizer's state (nested under "base_optimizer").
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  std::unique_ptr<torch::optim::Optimizer> base_;
};

void validate(const SAMOptions& options);

}  // namespace deepsolve::learned
