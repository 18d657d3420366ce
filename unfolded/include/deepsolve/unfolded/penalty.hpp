// The two sparse-recovery problems of deepsolve::unfolded, and their proximal maps:
//
//   l1 (Lasso):  min_x 1/2 ||y - A x||^2 + lambda ||x||_1   prox_{a lambda ||.||_1}: soft threshold
//                                                           at a*lambda (ISTA's shrinkage)
//   l0:          min_x 1/2 ||y - A x||^2 + lambda ||x||_0   prox_{a lambda ||.||_0}: hard threshold
//                                                           at sqrt(2*a*lambda) (keep |v_i| above
//                                                           it)
//
// The l0 prox is the penalised one (Blumensath & Davies 2008, "Iterative thresholding for sparse
// approximations", eq. (3) with the threshold of their Theorem 1), not the top-k projection.
// Batches are rows: x is [B, n], y is [B, m], and A is [m, n] (shared) or [B, m, n] (per problem).
#pragma once

#include <string>

#include <torch/types.h>
#include <Eigen/Dense>

namespace deepsolve::unfolded {

enum class Penalty { l1, l0 };

/// "l1" or "l0".
std::string penalty_name(Penalty penalty);
/// Parses "l1" / "l0"; throws std::invalid_argument naming `what` (e.g. "--penalty") otherwise.
Penalty parse_penalty(const std::string& name, const std::string& what = "penalty");

/// The threshold of prox_{step*lambda*R}: step*lambda (l1), sqrt(2*step*lambda) (l0).
double prox_threshold(Penalty penalty, double lambda, double step);

/// The prox at threshold `t` (from prox_threshold), elementwise: soft (l1) or hard (l0).
/// For torch, `t` may be a tensor broadcastable against `v` (per-sample or per-layer thresholds)
/// and the result is differentiable in v and t (the hard threshold through v only).
torch::Tensor shrink(Penalty penalty, const torch::Tensor& v, const torch::Tensor& t);
torch::Tensor shrink(Penalty penalty, const torch::Tensor& v, double t);
Eigen::VectorXd shrink(Penalty penalty, const Eigen::VectorXd& v, double t);

/// The penalty R(x) per row of x [B, n]: ||x||_1 or ||x||_0 (a [B] tensor). Differentiable for l1.
torch::Tensor penalty_value(Penalty penalty, const torch::Tensor& x);
double penalty_value(Penalty penalty, const Eigen::VectorXd& x);

/// A x for x [B, n] and A [m, n] or [B, m, n]: a [B, m] tensor. Checks the shapes (throws
/// std::invalid_argument naming both).
torch::Tensor apply_matrix(const torch::Tensor& A, const torch::Tensor& x);
/// A^T r for r [B, m]: a [B, n] tensor.
torch::Tensor apply_adjoint(const torch::Tensor& A, const torch::Tensor& r);

/// The objective 1/2 ||y - A x||^2 + lambda R(x) per row: a [B] tensor, differentiable in x (and
/// in A, y). This is the unsupervised training loss.
torch::Tensor objective(Penalty penalty, double lambda, const torch::Tensor& A,
                        const torch::Tensor& y, const torch::Tensor& x);

/// NMSE of a batch in dB, as LISTA-CPSS and the unfolding literature report it:
/// 10 log10(sum_b ||x_b - x_true_b||^2 / sum_b ||x_true_b||^2). Throws std::invalid_argument when
/// the shapes differ or x_true is all zero.
double nmse_db(const torch::Tensor& x, const torch::Tensor& x_true);
double nmse_db(const Eigen::VectorXd& x, const Eigen::VectorXd& x_true);

}  // namespace deepsolve::unfolded
