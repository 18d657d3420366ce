// ALISTA, analytic LISTA (Liu, Chen, Wang & Yin, "ALISTA: Analytic weights are as good as
// learned weights in LISTA", ICLR 2019; reference code VITA-Group/ALISTA): model type "alista".
// Layer t = 1 .. T is
//
//   x_t = eta^ss_{theta_t, p_t}(x_{t-1} - gamma_t W^T (A x_{t-1} - y)),   x_0 = 0,
//
// where W (m x n) is computed from A alone and fixed, so only the 2T scalars gamma_t (step
// sizes) and theta_t (thresholds) are learned; eta^ss is the support-selecting shrinkage of
// support_selection.hpp. initialise(A) computes W (analytic_weight below) and sets gamma_t = 1
// and theta_t = lambda / L (L = lambda_max(A^T A)), the reference code's initial values: with
// diag(W^T A) = 1, gamma = 1 is a unit step on every coordinate. The network keeps A and W as
// buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/network_options.hpp"
#include "deepsolve/unfolded/support_selection.hpp"

namespace deepsolve::unfolded {

/// ALISTA's analytic weight matrix for A [m, n] (float64 [m, n], on the CPU): the minimiser of
/// ALISTA's Frobenius-coherence problem, min ||W^T A||_F^2 subject to diag(W^T A) = 1 (with the
/// diagonal fixed, this is the off-diagonal coherence), in closed form
///   w_i = G^+ a_i / (a_i^T G^+ a_i),   G = A A^T,
/// for each column a_i (derived in alista_weights.cpp). The reference code approaches the same
/// minimiser by projected gradient descent (their Appendix E.1, matlabs/CalculateW.m), so it
/// differs from this W only by its stopping tolerance. Throws std::invalid_argument for a
/// matrix that is not 2-D floating, has non-finite entries or a zero column (which no w can
/// satisfy w^T a_i = 1 for).
torch::Tensor analytic_weight(const torch::Tensor& A);

class Alista : public UnfoldedModule {
 public:
  /// Throws std::invalid_argument for invalid options. W and A are 0 until initialise (or a
  /// load) sets them.
  Alista(UnfoldedOptions options, SupportSelection selection = {});

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
  /// The analytic W [m, n] (float32 like the parameters).
  torch::Tensor weight() const { return W_; }
  /// e.g. "ALISTA, 16 layers, 250×500, λ = 0.1, support selection 1.2%/layer up to 13%".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  UnfoldedOptions options_;
  SupportSelection selection_;
  torch::Tensor gamma_;  ///< parameter "gamma" [T]
  torch::Tensor theta_;  ///< parameter "theta" [T]
  torch::Tensor A_;      ///< buffer "A" [m, n]
  torch::Tensor W_;      ///< buffer "W" [m, n]
};

}  // namespace deepsolve::unfolded
