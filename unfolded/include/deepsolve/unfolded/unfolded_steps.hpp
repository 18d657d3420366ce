// Deep-unfolded ISTA and IHT with learned step sizes (Nagahisa, Hayakawa & Iiguni 2025,
// arXiv 2509.01331, "supervised vs. unsupervised deep unfolding"), model types "unfolded-ista"
// (penalty l1) and "unfolded-iht" (penalty l0). Layer t = 1 .. T is one proximal-gradient step
//
//   x_t = prox_{alpha_t lambda R}(x_{t-1} + alpha_t A^T (y - A x_{t-1})),   x_0 = 0,
//
// whose prox is penalty.hpp's shrink at threshold prox_threshold(R, lambda, alpha_t): soft at
// alpha_t lambda (ISTA), hard at sqrt(2 alpha_t lambda) (IHT for the l0-penalised problem).
// Only the T step sizes are learned, so one network serves every A of its size: A is an input
// ([m, n] shared, or [B, m, n] per problem), as in the paper, which redraws A every minibatch.
// With the option learn-thresholds the T thresholds theta_t are learned as well, separately
// from the steps (initialised at their tied values); the network then no longer solves the
// lambda problem exactly.
//
// Parametrisation. The steps must stay positive; the paper's code clamps alpha_t at 0, where a
// step that reaches it gets no gradient again. Here
//   alpha_t = softplus(rho_t) / (L ln 2),   rho_t initialised at 0,
// so alpha_t starts at exactly 1/L (ISTA's and IHT's step, L = lambda_max(A^T A) of the A given
// to initialise), stays > 0 with a gradient everywhere, and rho_t is dimensionless: an optimizer's
// learning rate moves alpha_t by about the same fraction of 1/L whatever the scale of A. Learned
// thresholds are parametrised the same way, theta_t = softplus(tau_t) theta_0 / ln 2 with theta_0
// the tied threshold at step 1/L and tau_t initialised at 0.
//
// Gradients. The hard threshold's derivative in its threshold is zero almost everywhere, so with
// tied thresholds unfolded IHT learns its steps through the gradient step alone, as autograd
// does in the paper's code. Learned l0 thresholds would then never move; for them the layer's
// indicator |v| > theta_t is differentiated as a sigmoid of width theta_t / 10 (a
// straight-through surrogate; the forward values stay exactly the hard threshold's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/network_options.hpp"

namespace deepsolve::unfolded {

class UnfoldedSteps : public UnfoldedModule {
 public:
  /// A network for `penalty` (l1: unfolded ISTA, l0: unfolded IHT); throws std::invalid_argument
  /// for invalid options. Its steps are 0 until initialise (or a load) sets them.
  UnfoldedSteps(Penalty penalty, UnfoldedOptions options, bool learn_thresholds = false);

  std::int64_t layers() const override { return options_.layers; }
  std::int64_t measurements() const override { return options_.measurements; }
  std::int64_t signal_size() const override { return options_.signal_size; }
  Penalty penalty() const override { return penalty_; }
  double lambda() const override { return options_.lambda; }
  bool fixed_matrix() const override { return false; }
  /// Undefined: A is an input.
  torch::Tensor matrix() const override { return {}; }

  /// Steps 1/L and tied thresholds, L = lambda_max(A^T A) (lipschitz.hpp) of A [m, n].
  void initialise(const torch::Tensor& A) override;
  std::vector<torch::Tensor> forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                            std::int64_t up_to = -1) override;

  const UnfoldedOptions& options() const { return options_; }
  bool learns_thresholds() const { return learn_thresholds_; }
  /// alpha_1 .. alpha_T, a [T] tensor (differentiable in the parameters).
  torch::Tensor step_sizes() const;
  /// theta_1 .. theta_T, the thresholds the layers use: tied to the steps, or learned.
  torch::Tensor thresholds() const;
  /// e.g. "unfolded ISTA with learned step sizes, 16 layers, 250×500, λ = 0.1".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  Penalty penalty_;
  UnfoldedOptions options_;
  bool learn_thresholds_;
  torch::Tensor step_parameters_;       ///< parameter "step_parameters" [T]: rho_t
  torch::Tensor step_scale_;            ///< buffer "step_scale" []: 1 / (L ln 2)
  torch::Tensor threshold_parameters_;  ///< parameter "threshold_parameters" [T]: tau_t
  torch::Tensor threshold_scale_;       ///< buffer "threshold_scale" []: theta_0 / ln 2
};

}  // namespace deepsolve::unfolded
