// The Jacobian J = dD/dy of a denoiser at one noisy input y, and the measures Kadkhodaie, Guth,
// Simoncelli & Mallat ("Generalization in diffusion models arises from geometry-adaptive
// harmonic representations", ICLR 2024) read from it:
//   * for a bias-free (positively homogeneous) network D(y) = J(y) y, so D acts locally as the
//     linear map J: with J symmetric, J = sum_k lambda_k e_k e_k^T and D(y) = sum_k lambda_k
//     <e_k, y> e_k, a shrinkage in an adaptive basis (the eigenvectors e_k);
//   * the effective dimension tr J = sum_k lambda_k, which falls as sigma grows;
//   * the leading eigenvectors, which on images oscillate along contours and in flat regions
//     (their "geometry-adaptive harmonic bases").
// J is never formed: everything is built from Jacobian-vector products J v (forward-mode
// automatic differentiation, or the double-backward trick where forward mode is refused) and
// vector-Jacobian products J^T u (reverse mode). The spectrum is that of the symmetric part
// (J + J^T) / 2, by the library's Lanczos (solvers/krylov/lanczos.hpp) over the torch vector
// space; how far J is from symmetric is reported next to it.
//
// The denoiser is evaluated as it is: a network with batch normalisation must be in eval mode
// (network().eval()), or the copies of y in a batch of probes would see each other's statistics.
#pragma once

#include <ATen/Tensor.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/diffusion/denoiser.hpp"

namespace deepsolve::diffusion {

/// How Jacobian-vector products are computed.
enum class JvpMethod {
  automatic,       ///< forward mode; double backward if the network has an op without one
  forward,         ///< forward-mode AD (dual tensors); fails on an op without a forward formula
  double_backward  ///< J v = d/du <J^T u, v> by differentiating a VJP (reverse mode twice)
};

/// "automatic", "forward", "double-backward".
const char* jvp_method_name(JvpMethod method);

struct JacobianOptions {
  TORCH_ARG(JvpMethod, jvp_method) = JvpMethod::automatic;
  /// Most copies of y evaluated together in a batched product (bounds the memory).
  TORCH_ARG(std::int64_t, max_batch) = 64;
};

/// The map y -> D(y; sigma, label) of one sample and the products with its Jacobian at y.
/// Every tensor it returns is float64 on y's device; vectors have y's shape (one sample, no batch
/// dimension) or, for a batch of K vectors, [K, y's shape...].
class DenoiserJacobian {
 public:
  /// `y` is one sample (e.g. [1, 16, 16] for a grey image; no batch dimension), sigma > 0, label
  /// a class of a conditional denoiser or -1 for the null label (unconditional). The denoiser
  /// must outlive this object. Throws std::invalid_argument for an empty or non-finite y, a bad
  /// sigma or max_batch < 1.
  DenoiserJacobian(const ConditionalDenoiser& denoiser, const at::Tensor& y, double sigma,
                   std::int64_t label = -1, JacobianOptions options = {});

  const at::Tensor& point() const { return y_; }  ///< y (float64)
  const at::Tensor& value() const { return d_; }  ///< D(y) (float64)
  double sigma() const { return sigma_; }
  std::int64_t dimension() const { return y_.numel(); }
  const std::vector<std::int64_t>& sample_shape() const { return shape_; }

  /// D at other inputs x ([K, y's shape...]), same sigma and label.
  at::Tensor evaluate(const at::Tensor& x) const;
  /// J v, for v of y's shape or a batch [K, y's shape...].
  at::Tensor jvp(const at::Tensor& v) const;
  /// J^T u, for u of y's shape or a batch [K, y's shape...].
  at::Tensor vjp(const at::Tensor& u) const;
  /// The method the JVPs used so far: forward or double_backward (automatic before the first).
  JvpMethod jvp_method_used() const { return used_; }

 private:
  enum class Layout { one, batch };
  Layout check_vectors(const at::Tensor& v, const char* what) const;
  at::Tensor jvp_chunk(const at::Tensor& v) const;
  at::Tensor jvp_forward(const at::Tensor& v) const;
  at::Tensor jvp_double_backward(const at::Tensor& v) const;
  at::Tensor vjp_chunk(const at::Tensor& u) const;
  at::Tensor labels_for(std::int64_t k) const;

  const ConditionalDenoiser& denoiser_;
  at::Tensor y_, d_;
  double sigma_;
  std::int64_t label_;
  JacobianOptions options_;
  std::vector<std::int64_t> shape_;
  mutable JvpMethod used_ = JvpMethod::automatic;
};

/// tr J estimated or computed.
struct TraceEstimate {
  double value = 0.0;
  double standard_error = 0.0;  ///< of a Hutchinson estimate; 0 when exact
  std::string method;           ///< "exact" (basis VJPs) or "hutchinson" (Rademacher probes)
  std::int64_t products = 0;    ///< VJPs spent
};

struct TraceOptions {
  /// Exact (one VJP per basis vector) up to this dimension, Hutchinson above it.
  TORCH_ARG(std::int64_t, exact_max_dimension) = 4096;
  /// Rademacher probes of the Hutchinson estimate (z^T J z averaged).
  TORCH_ARG(std::int64_t, probes) = 128;
  TORCH_ARG(std::uint64_t, seed) = 0;
};

/// The effective dimension tr J. Throws std::invalid_argument for exact_max_dimension < 0 or
/// probes < 2.
TraceEstimate effective_dimension(const DenoiserJacobian& jacobian,
                                  const TraceOptions& options = {});

struct JacobianEigenOptions {
  /// Eigenpairs wanted (the largest eigenvalues of (J + J^T) / 2).
  TORCH_ARG(std::int64_t, count) = 8;
  /// Lanczos steps (capped at the dimension); each costs one JVP and one VJP.
  TORCH_ARG(std::int64_t, lanczos_steps) = 40;
  /// Gaussian probes of the asymmetry estimate.
  TORCH_ARG(std::int64_t, asymmetry_probes) = 8;
  TORCH_ARG(std::uint64_t, seed) = 0;
};

struct JacobianSpectrum {
  /// The largest `count`, descending (fewer only when the Krylov space became invariant first).
  std::vector<double> eigenvalues;
  at::Tensor eigenvectors;              ///< [count, y's shape...], unit norm, in eigenvalues' order
  std::vector<double> residual_bounds;  ///< Lanczos' ||S e - lambda e|| for each pair
  std::int64_t lanczos_steps = 0;       ///< taken (fewer when the Krylov space became invariant)
  /// ||J - J^T||_F / ||J||_F estimated from Gaussian probes z: sqrt(sum ||(J - J^T) z||^2 /
  /// sum ||J z||^2) (0 for a symmetric J).
  double asymmetry = 0.0;
};

/// The leading eigenpairs of the symmetric part of J by Lanczos (seeded Gaussian start) and J's
/// asymmetry. Throws std::invalid_argument for count < 1, lanczos_steps < count (after the cap
/// at the dimension) or asymmetry_probes < 1.
JacobianSpectrum jacobian_eigen(const DenoiserJacobian& jacobian,
                                const JacobianEigenOptions& options = {});

/// The same at (denoiser, y, sigma), unconditional.
JacobianSpectrum jacobian_eigen(const ConditionalDenoiser& denoiser, const at::Tensor& y,
                                double sigma, std::int64_t count, std::int64_t lanczos_steps);

/// ||J y - D(y)|| / ||D(y)||: 0 (to rounding) for a bias-free network, whose D is positively
/// homogeneous (D(a y) = a D(y), a > 0, so D(y) = J(y) y by Euler's theorem).
double homogeneity_error(const DenoiserJacobian& jacobian);

}  // namespace deepsolve::diffusion
