#include "deepsolve/diffusion/coarse_to_fine.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace deepsolve::diffusion {
namespace coarse_to_fine_detail {

std::string value_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void require(bool ok, const char* option, double value, const char* rule) {
  if (!ok)
    throw std::invalid_argument(std::string("coarse_to_fine: ") + option + " must be " + rule +
                                ", got " + value_text(value));
}

}  // namespace coarse_to_fine_detail

void check_coarse_to_fine_options(const CoarseToFineOptions& o) {
  using coarse_to_fine_detail::require;
  require(o.h0 > 0.0 && o.h0 <= 1.0, "h0", o.h0, "in (0, 1]");
  require(o.beta > 0.0 && o.beta <= 1.0, "beta", o.beta, "in (0, 1]");
  require(o.sigma0 > 0.0 && std::isfinite(o.sigma0), "sigma0", o.sigma0, "finite and > 0");
  require(o.sigma_L > 0.0 && o.sigma_L < o.sigma0, "sigma_L", o.sigma_L, "in (0, sigma0)");
  require(std::isfinite(o.mean), "mean", o.mean, "finite");
  if (o.max_iterations < 1)
    throw std::invalid_argument("coarse_to_fine: max_iterations must be >= 1, got " +
                                std::to_string(o.max_iterations));
}

CoarseToFineOutput coarse_to_fine(const ConditionalDenoiser& denoiser, const at::Tensor& noise,
                                  const CoarseToFineOptions& options, const at::Tensor& labels) {
  check_coarse_to_fine_options(options);
  if (!noise.defined() || !at::isFloatingType(noise.scalar_type()) || noise.dim() < 1 ||
      noise.size(0) < 1 || noise.numel() == 0)
    throw std::invalid_argument(
        "coarse_to_fine: noise must be a defined floating [B, ...] tensor with B >= 1 and "
        "samples that are not empty");
  const std::int64_t batch = noise.size(0);
  if (labels.defined() && (labels.dim() != 1 || labels.size(0) != batch))
    throw std::invalid_argument("coarse_to_fine: labels must be [" + std::to_string(batch) +
                                "], got " + std::to_string(labels.dim()) + "-dim with " +
                                std::to_string(labels.numel()) + " values");
  const double dims = static_cast<double>(noise.numel() / batch);
  const auto index_options = at::TensorOptions().dtype(at::kLong).device(noise.device());

  CoarseToFineOutput out;
  out.samples = at::empty_like(noise);
  out.iterations = at::zeros({batch}, at::kLong);
  out.converged = at::zeros({batch}, at::kBool);
  out.sigma_trace.assign(static_cast<std::size_t>(batch), {});
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);

  at::Tensor y = noise * options.sigma0 + options.mean;  // the active samples
  at::Tensor active = at::arange(batch, index_options);  // their rows in the batch
  at::Tensor active_labels = labels.defined() ? labels : at::Tensor();
  double sigma_hint = options.sigma0;
  for (std::int64_t t = 1; y.size(0) > 0; ++t) {
    const at::Tensor denoised = denoiser.denoise(y, sigma_hint, active_labels);
    if (!denoised.defined() || denoised.sizes() != y.sizes())
      throw std::invalid_argument("coarse_to_fine: the denoiser returned another shape than y's");
    const at::Tensor residual = y - denoised;
    const at::Tensor sigma = residual.flatten(1).norm(2, {1}) / std::sqrt(dims);  // [active]
    const at::Tensor sigma_cpu = sigma.to(at::kCPU, at::kDouble).contiguous();
    const at::Tensor rows_cpu = active.to(at::kCPU).contiguous();
    const double* s = sigma_cpu.data_ptr<double>();
    const std::int64_t* row = rows_cpu.data_ptr<std::int64_t>();
    for (std::int64_t k = 0; k < sigma_cpu.size(0); ++k)
      out.sigma_trace[static_cast<std::size_t>(row[k])].push_back(s[k]);

    const at::Tensor reached = sigma <= options.sigma_L;
    const at::Tensor done = t > options.max_iterations ? at::ones_like(reached) : reached;
    if (done.any().item<bool>()) {
      const at::Tensor rows = active.masked_select(done);
      out.samples.index_copy_(0, rows, denoised.index_select(0, done.nonzero().flatten()));
      out.iterations.index_fill_(0, rows.to(at::kCPU), t - 1);
      out.converged.index_copy_(0, rows.to(at::kCPU), reached.masked_select(done).to(at::kCPU));
    }
    const at::Tensor keep = done.logical_not().nonzero().flatten();
    if (keep.numel() == 0) break;
    const double h =
        options.h0 * static_cast<double>(t) / (1.0 + options.h0 * static_cast<double>(t - 1));
    const double noise_factor =
        std::sqrt((1.0 - options.beta * h) * (1.0 - options.beta * h) - (1.0 - h) * (1.0 - h));
    at::Tensor y_keep = y.index_select(0, keep);
    const at::Tensor sigma_keep = sigma.index_select(0, keep);
    std::vector<std::int64_t> view(static_cast<std::size_t>(y.dim()), 1);
    view[0] = -1;
    const at::Tensor z =
        at::randn(y_keep.sizes(), generator, y_keep.options().device(at::kCPU)).to(y_keep.device());
    y = y_keep - residual.index_select(0, keep) * h + z * (sigma_keep * noise_factor).reshape(view);
    active = active.index_select(0, keep);
    if (active_labels.defined()) active_labels = labels.index_select(0, active.to(labels.device()));
    sigma_hint = sigma_keep.max().item<double>();
  }
  out.nfe_per_sample = out.iterations + 1;
  out.nfe = out.nfe_per_sample.sum().item<std::int64_t>();
  return out;
}

}  // namespace deepsolve::diffusion
