// LISTA, learned ISTA (Gregor & LeCun, ICML 2010), with untied per-layer weights as in the
// baseline of Chen, Liu, Wang & Yin (NeurIPS 2018): model type "lista". Layer t = 1 .. T is
//
//   x_t = eta_{theta_t}(W_t y + S_t x_{t-1}),   x_0 = 0,   eta: soft threshold,
//
// with W_t (n x m), S_t (n x n) and theta_t all learned; x_0 = 0, so layer 1 has no S_1, and
// the network learns T (n m + 1) + (T - 1) n^2 values. initialise(A)
// sets ISTA's values, W_t = A^T / L, S_t = I - A^T A / L, theta_t = lambda / L with L =
// lambda_max(A^T A), so the untrained network is T iterations of ISTA. The thresholds are
// learned as they are (no sign constraint), as in the reference implementations.
//
// The network is tied to one A, which it keeps as a buffer (a model file is self-contained and
// the unsupervised loss reads it); forward does not use A.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/network_options.hpp"

namespace deepsolve::unfolded {

class Lista : public UnfoldedModule {
 public:
  /// Throws std::invalid_argument for invalid options or more than kMaxUnfoldedParameters
  /// learned values. All weights are 0 until initialise (or a load) sets them.
  explicit Lista(UnfoldedOptions options);

  std::int64_t layers() const override { return options_.layers; }
  std::int64_t measurements() const override { return options_.measurements; }
  std::int64_t signal_size() const override { return options_.signal_size; }
  Penalty penalty() const override { return Penalty::l1; }
  double lambda() const override { return options_.lambda; }
  bool fixed_matrix() const override { return true; }
  torch::Tensor matrix() const override { return A_; }

  void initialise(const torch::Tensor& A) override;
  /// A: undefined or [m, n] (ignored; the network's own A is its matrix).
  std::vector<torch::Tensor> forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                            std::int64_t up_to = -1) override;

  const UnfoldedOptions& options() const { return options_; }
  /// e.g. "LISTA (untied weights), 16 layers, 250×500, λ = 0.1".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  UnfoldedOptions options_;
  torch::Tensor W_;      ///< parameter "W" [T, n, m]
  torch::Tensor S_;      ///< parameter "S" [T - 1, n, n]: S_2 .. S_T
  torch::Tensor theta_;  ///< parameter "theta" [T]
  torch::Tensor A_;      ///< buffer "A" [m, n]
};

}  // namespace deepsolve::unfolded
