// LISTA-CPSS, learned ISTA with coupled weights and support selection (Chen, Liu, Wang & Yin,
// "Theoretical linear convergence of unfolded ISTA and its practical weights and thresholds",
// NeurIPS 2018; reference code xchen-tamu/linear-lista-cpss): model type "lista-cpss". The
// weight coupling S_t = I - W_t^T A (their Theorem 1's necessary condition) leaves one matrix
// per layer,
//
//   x_t = eta^ss_{theta_t, p_t}(x_{t-1} + W_t^T (y - A x_{t-1})),   x_0 = 0,
//
// with W_t (m x n) and theta_t learned (T (m n + 1) values) and eta^ss the support-selecting
// shrinkage of support_selection.hpp (p_t = min(t p, p_max) percent). initialise(A) sets
// W_t = A / L and theta_t = lambda / L, L = lambda_max(A^T A), so with support selection off
// (p = 0) the untrained network is T iterations of ISTA. The network keeps A as a buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/network_options.hpp"
#include "deepsolve/unfolded/support_selection.hpp"

namespace deepsolve::unfolded {

class ListaCpss : public UnfoldedModule {
 public:
  /// Throws std::invalid_argument for invalid options or more than kMaxUnfoldedParameters
  /// learned values. All weights are 0 until initialise (or a load) sets them.
  ListaCpss(UnfoldedOptions options, SupportSelection selection = {});

  std::int64_t layers() const override { return options_.layers; }
  std::int64_t measurements() const override { return options_.measurements; }
  std::int64_t signal_size() const override { return options_.signal_size; }
  Penalty penalty() const override { return Penalty::l1; }
  double lambda() const override { return options_.lambda; }
  bool fixed_matrix() const override { return true; }
  torch::Tensor matrix() const override { return A_; }

  void initialise(const torch::Tensor& A) override;
  /// A: undefined or [m, n] (ignored; the network's own A is used).
  std::vector<torch::Tensor> forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                            std::int64_t up_to = -1) override;

  const UnfoldedOptions& options() const { return options_; }
  const SupportSelection& selection() const { return selection_; }
  /// e.g. "LISTA-CPSS, 16 layers, 250×500, λ = 0.1, support selection 1.2%/layer up to 13%".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  UnfoldedOptions options_;
  SupportSelection selection_;
  torch::Tensor W_;      ///< parameter "W" [T, m, n]
  torch::Tensor theta_;  ///< parameter "theta" [T]
  torch::Tensor A_;      ///< buffer "A" [m, n]
};

}  // namespace deepsolve::unfolded
