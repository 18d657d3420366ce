#include "deepsolve/diffusion/jacobian.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

#include "deepsolve/solvers/krylov/lanczos.hpp"
#include "deepsolve/solvers/krylov/torch_space.hpp"

namespace deepsolve::diffusion {
namespace jacobian_detail {

// Entered forward-mode AD level, exited on every path out.
class DualLevel {
 public:
  DualLevel() : level_(torch::autograd::forward_ad::enter_dual_level()) {}
  ~DualLevel() { torch::autograd::forward_ad::exit_dual_level(level_); }
  DualLevel(const DualLevel&) = delete;
  DualLevel& operator=(const DualLevel&) = delete;
  std::int64_t level() const { return static_cast<std::int64_t>(level_); }

 private:
  std::uint64_t level_;
};

// [K, n] for a batch of K vectors of one sample's shape.
at::Tensor flat_rows(const at::Tensor& v) {
  return v.reshape({v.size(0), -1});
}

std::vector<std::int64_t> with_batch(std::int64_t k, const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> s{k};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

at::Generator seeded(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

}  // namespace jacobian_detail

const char* jvp_method_name(JvpMethod method) {
  switch (method) {
    case JvpMethod::automatic:
      return "automatic";
    case JvpMethod::forward:
      return "forward";
    case JvpMethod::double_backward:
      return "double-backward";
  }
  return "?";
}

DenoiserJacobian::DenoiserJacobian(const ConditionalDenoiser& denoiser, const at::Tensor& y,
                                   double sigma, std::int64_t label, JacobianOptions options)
    : denoiser_(denoiser), sigma_(sigma), label_(label), options_(options) {
  if (!y.defined() || y.numel() == 0 || y.dim() == 0)
    throw std::invalid_argument(
        "DenoiserJacobian: y must be one non-empty sample (no batch "
        "dimension), got " +
        (y.defined() ? shape_text(y.sizes().vec()) : std::string("none")));
  if (!(sigma > 0.0) || !std::isfinite(sigma))
    throw std::invalid_argument("DenoiserJacobian: sigma must be positive and finite, got " +
                                std::to_string(sigma));
  if (label < -1)
    throw std::invalid_argument("DenoiserJacobian: label must be a class or -1 (null), got " +
                                std::to_string(label));
  if (options.max_batch() < 1)
    throw std::invalid_argument("DenoiserJacobian: max_batch must be >= 1, got " +
                                std::to_string(options.max_batch()));
  y_ = y.detach().to(at::kDouble).contiguous();
  if (!at::isfinite(y_).all().item<bool>())
    throw std::invalid_argument("DenoiserJacobian: y has non-finite values");
  shape_ = y_.sizes().vec();
  {
    at::NoGradGuard no_grad;
    d_ = evaluate(y_.unsqueeze(0)).squeeze(0).detach();
  }
  if (!d_.sizes().equals(y_.sizes()))
    throw std::invalid_argument("DenoiserJacobian: the denoiser returned shape " +
                                shape_text(d_.sizes().vec()) + " for an input of shape " +
                                shape_text(y_.sizes().vec()));
}

at::Tensor DenoiserJacobian::labels_for(std::int64_t k) const {
  if (label_ < 0) return {};
  return at::full({k}, label_, y_.options().dtype(at::kLong));
}

at::Tensor DenoiserJacobian::evaluate(const at::Tensor& x) const {
  return denoiser_.denoise(x.to(at::kDouble), sigma_, labels_for(x.size(0))).to(at::kDouble);
}

DenoiserJacobian::Layout DenoiserJacobian::check_vectors(const at::Tensor& v,
                                                         const char* what) const {
  if (v.defined() && v.sizes().vec() == shape_) return Layout::one;
  if (v.defined() && v.dim() == static_cast<std::int64_t>(shape_.size()) + 1 && v.size(0) >= 1 &&
      v.sizes().slice(1).vec() == shape_)
    return Layout::batch;
  throw std::invalid_argument(std::string("DenoiserJacobian::") + what +
                              ": the vectors must have shape " + shape_text(shape_) + " or [K, " +
                              shape_text(shape_).substr(1) + ", got " +
                              (v.defined() ? shape_text(v.sizes().vec()) : std::string("none")));
}

at::Tensor DenoiserJacobian::jvp(const at::Tensor& v) const {
  const Layout layout = check_vectors(v, "jvp");
  const at::Tensor batch = (layout == Layout::one ? v.unsqueeze(0) : v).to(y_.options());
  std::vector<at::Tensor> parts;
  for (std::int64_t i = 0; i < batch.size(0); i += options_.max_batch())
    parts.push_back(
        jvp_chunk(batch.slice(0, i, std::min(batch.size(0), i + options_.max_batch()))));
  const at::Tensor out = at::cat(parts, 0);
  return layout == Layout::one ? out.squeeze(0) : out;
}

at::Tensor DenoiserJacobian::vjp(const at::Tensor& u) const {
  const Layout layout = check_vectors(u, "vjp");
  const at::Tensor batch = (layout == Layout::one ? u.unsqueeze(0) : u).to(y_.options());
  std::vector<at::Tensor> parts;
  for (std::int64_t i = 0; i < batch.size(0); i += options_.max_batch())
    parts.push_back(
        vjp_chunk(batch.slice(0, i, std::min(batch.size(0), i + options_.max_batch()))));
  const at::Tensor out = at::cat(parts, 0);
  return layout == Layout::one ? out.squeeze(0) : out;
}

at::Tensor DenoiserJacobian::jvp_chunk(const at::Tensor& v) const {
  const JvpMethod wanted = options_.jvp_method();
  if (wanted == JvpMethod::double_backward ||
      (wanted == JvpMethod::automatic && used_ == JvpMethod::double_backward))
    return jvp_double_backward(v);
  if (wanted == JvpMethod::forward) return jvp_forward(v);
  // automatic: forward mode, unless the network has an op without a forward-mode formula (then
  // double backward from now on).
  try {
    return jvp_forward(v);
  } catch (const c10::Error&) {
    used_ = JvpMethod::double_backward;
    return jvp_double_backward(v);
  }
}

at::Tensor DenoiserJacobian::jvp_forward(const at::Tensor& v) const {
  at::Tensor tangent;
  {
    // Reverse-mode graphs are not needed for a forward-mode product.
    at::NoGradGuard no_grad;
    jacobian_detail::DualLevel level;
    const at::Tensor x =
        at::_make_dual(y_.unsqueeze(0).expand_as(v).contiguous(), v.contiguous(), level.level());
    const at::Tensor out = evaluate(x);
    tangent = std::get<1>(at::_unpack_dual(out, level.level()));
    if (tangent.defined()) tangent = tangent.clone();
  }
  used_ = JvpMethod::forward;
  if (!tangent.defined()) return at::zeros_like(v);  // D does not depend on y
  return tangent.to(at::kDouble);
}

at::Tensor DenoiserJacobian::jvp_double_backward(const at::Tensor& v) const {
  // With g(u) = J^T u (linear in u), J v = d<g(u), v>/du.
  at::AutoGradMode grad(true);
  const at::Tensor x = y_.unsqueeze(0).expand_as(v).clone().requires_grad_(true);
  const at::Tensor out = evaluate(x);
  const at::Tensor u = at::zeros_like(out).requires_grad_(true);
  const auto g = torch::autograd::grad({out}, {x}, {u}, /*retain_graph=*/true,
                                       /*create_graph=*/true, /*allow_unused=*/true);
  used_ = JvpMethod::double_backward;
  if (!g[0].defined() || !g[0].requires_grad()) return at::zeros_like(v);
  const auto jv = torch::autograd::grad({g[0]}, {u}, {v}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true);
  return jv[0].defined() ? jv[0].detach() : at::zeros_like(v);
}

at::Tensor DenoiserJacobian::vjp_chunk(const at::Tensor& u) const {
  at::AutoGradMode grad(true);
  const at::Tensor x = y_.unsqueeze(0).expand_as(u).clone().requires_grad_(true);
  const at::Tensor out = evaluate(x);
  if (!out.requires_grad()) return at::zeros_like(u);
  const auto g = torch::autograd::grad({out}, {x}, {u}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
  return g[0].defined() ? g[0].detach() : at::zeros_like(u);
}

TraceEstimate effective_dimension(const DenoiserJacobian& jacobian, const TraceOptions& options) {
  if (options.exact_max_dimension() < 0)
    throw std::invalid_argument("effective_dimension: exact_max_dimension must be >= 0, got " +
                                std::to_string(options.exact_max_dimension()));
  const std::int64_t n = jacobian.dimension();
  const auto opts = jacobian.point().options();
  TraceEstimate t;
  if (n <= options.exact_max_dimension()) {
    // tr J = sum_i (J^T e_i)_i, the basis in batches.
    constexpr std::int64_t kChunk = 256;
    double trace = 0.0;
    for (std::int64_t i = 0; i < n; i += kChunk) {
      const std::int64_t k = std::min(n, i + kChunk) - i;
      const at::Tensor basis = at::zeros({k, n}, opts);
      basis.slice(1, i, i + k).diagonal().fill_(1.0);
      const at::Tensor rows = jacobian_detail::flat_rows(
          jacobian.vjp(basis.reshape(jacobian_detail::with_batch(k, jacobian.sample_shape()))));
      trace += rows.slice(1, i, i + k).diagonal().sum().item<double>();
    }
    t.value = trace;
    t.method = "exact";
    t.products = n;
    return t;
  }
  if (options.probes() < 2)
    throw std::invalid_argument("effective_dimension: probes must be >= 2, got " +
                                std::to_string(options.probes()));
  // Hutchinson: E[z^T J z] = tr J for Rademacher z (the variance is 2 sum_{i != j} of the
  // symmetric part's squared off-diagonal entries, lower than with Gaussian probes).
  const at::Tensor z = (at::randint(0, 2, {options.probes(), n},
                                    jacobian_detail::seeded(options.seed()), opts.dtype(at::kLong))
                                .to(at::kDouble) *
                            2.0 -
                        1.0)
                           .to(opts);
  const at::Tensor jtz = jacobian_detail::flat_rows(jacobian.vjp(
      z.reshape(jacobian_detail::with_batch(options.probes(), jacobian.sample_shape()))));
  const at::Tensor values = (z * jtz).sum(1);
  t.value = values.mean().item<double>();
  t.standard_error = values.std().item<double>() / std::sqrt(double(options.probes()));
  t.method = "hutchinson";
  t.products = options.probes();
  return t;
}

JacobianSpectrum jacobian_eigen(const DenoiserJacobian& jacobian,
                                const JacobianEigenOptions& options) {
  const std::int64_t n = jacobian.dimension();
  const std::int64_t steps = std::min(options.lanczos_steps(), n);
  if (options.count() < 1)
    throw std::invalid_argument("jacobian_eigen: count must be >= 1, got " +
                                std::to_string(options.count()));
  if (steps < options.count())
    throw std::invalid_argument("jacobian_eigen: lanczos_steps (" +
                                std::to_string(options.lanczos_steps()) +
                                ", at most the dimension " + std::to_string(n) +
                                ") must be >= count (" + std::to_string(options.count()) + ")");
  if (options.asymmetry_probes() < 1)
    throw std::invalid_argument("jacobian_eigen: asymmetry_probes must be >= 1, got " +
                                std::to_string(options.asymmetry_probes()));
  const auto opts = jacobian.point().options();
  const auto& shape = jacobian.sample_shape();

  // Asymmetry on Gaussian probes: E||A z||^2 = ||A||_F^2.
  const at::Tensor probes =
      at::randn(jacobian_detail::with_batch(options.asymmetry_probes(), shape),
                jacobian_detail::seeded(options.seed() ^ 0x5a17ULL), opts.dtype(at::kDouble))
          .to(opts);
  const at::Tensor jz = jacobian.jvp(probes), jtz = jacobian.vjp(probes);
  const double jz_norm2 = jz.pow(2).sum().item<double>();
  JacobianSpectrum s;
  s.asymmetry = jz_norm2 > 0.0 ? std::sqrt((jz - jtz).pow(2).sum().item<double>() / jz_norm2) : 0.0;

  // Lanczos on S = (J + J^T) / 2.
  const at::Tensor start =
      at::randn(shape, jacobian_detail::seeded(options.seed()), opts.dtype(at::kDouble)).to(opts);
  const auto symmetric_part = [&jacobian](const at::Tensor& v, at::Tensor& w) {
    w.copy_((jacobian.jvp(v) + jacobian.vjp(v)) * 0.5);
  };
  const auto lanczos = solvers::lanczos(
      solvers::TorchSpace{}, symmetric_part, start,
      solvers::LanczosOptions().steps(static_cast<int>(steps)).compute_vectors(true));
  s.lanczos_steps = lanczos.steps;
  const std::int64_t found = std::min<std::int64_t>(options.count(), lanczos.steps);
  std::vector<at::Tensor> vectors;
  for (std::int64_t i = 0; i < found; ++i) {
    const std::size_t j = static_cast<std::size_t>(lanczos.steps - 1 - i);  // descending
    s.eigenvalues.push_back(lanczos.ritz_values[j]);
    s.residual_bounds.push_back(lanczos.residual_bounds[j]);
    vectors.push_back(lanczos.ritz_vectors[j]);
  }
  s.eigenvectors = at::stack(vectors, 0);
  return s;
}

JacobianSpectrum jacobian_eigen(const ConditionalDenoiser& denoiser, const at::Tensor& y,
                                double sigma, std::int64_t count, std::int64_t lanczos_steps) {
  const DenoiserJacobian jacobian(denoiser, y, sigma);
  return jacobian_eigen(jacobian, JacobianEigenOptions().count(count).lanczos_steps(lanczos_steps));
}

double homogeneity_error(const DenoiserJacobian& jacobian) {
  const at::Tensor jy = jacobian.jvp(jacobian.point());
  const double d = jacobian.value().norm().item<double>();
  const double diff = (jy - jacobian.value()).norm().item<double>();
  return d > 0.0 ? diff / d : diff;
}

}  // namespace deepsolve::diffusion
