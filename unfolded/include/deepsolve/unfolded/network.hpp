// The runtime interface of deepsolve's unfolded networks (model family "unfolded-sparse"): T
// layers, each one iteration of a sparse-recovery method whose parameters are learned.
//
// Two kinds of type implement it:
//   matrix-input networks take A with every batch and learn only scalars per layer, so one
//     network serves any A of its size (unfolded ISTA and IHT with learned step sizes,
//     Nagahisa, Hayakawa & Iiguni 2025);
//   fixed-matrix networks are tied to one A, which they hold as a buffer and from which they
//     derive their initial weights (LISTA, Gregor & LeCun 2010; LISTA-CPSS, Chen et al. 2018;
//     ALISTA, Liu et al. 2019).
// Every type registers itself in the model registry (model_types.hpp) and is saved, loaded and
// described through learned/io/model_registry.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded {

/// The model-registry family of the types below.
inline const std::string kUnfoldedFamily = "unfolded-sparse";

class UnfoldedModule : public torch::nn::Module {
 public:
  /// T, the number of layers (iterations).
  virtual std::int64_t layers() const = 0;
  /// m and n: y is [B, m], x is [B, n].
  virtual std::int64_t measurements() const = 0;
  virtual std::int64_t signal_size() const = 0;
  /// The problem the network was built for: its penalty and weight lambda (the unsupervised loss
  /// and the tied thresholds use them).
  virtual Penalty penalty() const = 0;
  virtual double lambda() const = 0;

  /// True when the network is tied to one A (matrix() is defined); false when A is an input.
  virtual bool fixed_matrix() const = 0;
  /// The A of a fixed-matrix network ([m, n], float32 like the parameters); undefined otherwise.
  virtual torch::Tensor matrix() const = 0;

  /// Sets the initial parameters from A ([m, n], any floating dtype, CPU): the classical method's
  /// values (step 1/L with L = lambda_max(A^T A), thresholds from lambda, LISTA's W_e = A^T/L and
  /// S = I - A^T A/L, ALISTA's analytic W). Fixed-matrix networks also keep A. Called once on a
  /// fresh network, before training; throws std::invalid_argument for a matrix of another shape.
  virtual void initialise(const torch::Tensor& A) = 0;

  /// The estimates x_1 .. x_k (x_0 = 0) for measurements y [B, m], k = layers() or `up_to` when
  /// it is in [1, layers()]. A is [m, n] or [B, m, n] for matrix-input networks; fixed-matrix
  /// networks use their own and accept an undefined A. Throws std::invalid_argument on shapes.
  virtual std::vector<torch::Tensor> forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                                    std::int64_t up_to = -1) = 0;

  /// x_T.
  torch::Tensor forward(const torch::Tensor& y, const torch::Tensor& A = {}) {
    return forward_layers(y, A).back();
  }
};

}  // namespace deepsolve::unfolded
