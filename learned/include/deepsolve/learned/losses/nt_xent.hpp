// InfoNCE in its NT-Xent form (normalised temperature-scaled cross-entropy) for two views.
//
// Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of Visual
// Representations" (SimCLR, ICML 2020, arXiv 2002.05709), eq. (1); InfoNCE: van den Oord, Li &
// Vinyals (2018, arXiv 1807.03748).
//
// The 2N embeddings of N samples in two views are normalised (cosine similarity sim) and, for
// every anchor i with its other view j,
//   l(i, j) = -log( exp(sim_ij / τ) / sum_{k != i} exp(sim_ik / τ) ),
// i.e. a cross-entropy over the 2N - 1 other embeddings, the positive among them. The losses of
// all 2N anchors are reduced (kNone gives [2N]: view 1's anchors first).
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct NTXentOptions {
  typedef LossReduction reduction_t;

  /* implicit */ NTXentOptions(double temperature = 0.1) : temperature_(temperature) {}

  /// τ > 0 (0.1 is a common choice; SimCLR tunes it with the batch size).
  TORCH_ARG(double, temperature);
  /// Norms are clamped below by eps before normalising.
  TORCH_ARG(double, eps) = 1e-12;
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using NTXentFuncOptions = NTXentOptions;

/// z1, z2: [N, d], row i of each a view of sample i (N >= 1; with N = 1 the only other embedding
/// is the positive and the loss is 0).
at::Tensor nt_xent_loss(const at::Tensor& z1, const at::Tensor& z2,
                        const NTXentFuncOptions& options = {});

/// z: [2N, d], rows i and i + N the two views of sample i.
at::Tensor nt_xent_loss(const at::Tensor& z, const NTXentFuncOptions& options = {});

}  // namespace functional

/// Module form of functional::nt_xent_loss.
struct NTXentLossImpl : torch::nn::Cloneable<NTXentLossImpl> {
  explicit NTXentLossImpl(NTXentOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& z1, const at::Tensor& z2);
  NTXentOptions options;
};
TORCH_MODULE(NTXentLoss);

}  // namespace deepsolve::learned
