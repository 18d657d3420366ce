// TrAct, "training activations" for first layers (Petersen, Borgelt & Ermon, "TrAct: Making
// First-layer Pre-Activations Trainable", NeurIPS 2024, arXiv 2410.23970). Only the weight
// gradient of the first layer changes; the forward pass, the input gradient and the bias gradient
// stay those of the plain layer. With the layer's inputs X (b x n, one row per sample, or per
// output pixel for a convolution: the unfolded patches) and G = dL/dZ (b x m):
//   plain:  grad W  = G^T X
//   TrAct:  grad W* = G^T X (X^T X / b + lambda I_n)^{-1}                          (direct, n x n)
//         = G^T (X X^T / b + lambda I_b)^{-1} X                                    (Woodbury, b x
//         b)
// The second form is the paper's Woodbury branch, G^T (I_b - A (A/lambda + I_b)^{-1} / lambda) X /
// lambda with A = X X^T / b, simplified: I - A (A + lambda I)^{-1} = lambda (A + lambda I)^{-1}.
// The automatic choice takes the smaller system (Woodbury when b < n). lambda defaults to 0.1.
// The solves run in float64 (Cholesky) and the result is cast back.
#pragma once

#include <ATen/Tensor.h>
#include <torch/expanding_array.h>

namespace deepsolve::learned {

enum class TrActBranch { automatic, direct, woodbury };

/// grad W* (m x n) from inputs X (b x n) and output gradients G (b x m). lambda > 0.
at::Tensor tract_weight_gradient(const at::Tensor& inputs, const at::Tensor& output_grads,
                                 double lambda, TrActBranch branch = TrActBranch::automatic);

/// A linear layer y = x W^T + b (x of shape (..., n), W (m, n), bias (m) or undefined) whose
/// weight gradient is TrAct's (all leading dimensions of x count as rows).
at::Tensor tract_linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        double lambda = 0.1, TrActBranch branch = TrActBranch::automatic);

/// A 2-D convolution (input (B, C, H, W), weight (O, C, kh, kw), groups 1) whose weight gradient
/// is TrAct's, with the B H_out W_out unfolded patches as rows.
at::Tensor tract_conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        double lambda = 0.1, torch::ExpandingArray<2> stride = 1,
                        torch::ExpandingArray<2> padding = 0, torch::ExpandingArray<2> dilation = 1,
                        TrActBranch branch = TrActBranch::automatic);

}  // namespace deepsolve::learned
