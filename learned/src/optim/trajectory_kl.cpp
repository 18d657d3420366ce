#include "deepsolve/learned/optim/trajectory_kl.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

namespace {
std::string shape(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}
}  // namespace

at::Tensor trajectory_kl(const at::Tensor& logits, const at::Tensor& reference_logits,
                         double temperature) {
  require_positive("trajectory_kl", "temperature", temperature);
  if (!logits.defined() || logits.dim() != 2)
    throw std::invalid_argument("trajectory_kl: logits must be (batch, classes), got " +
                                (logits.defined() ? shape(logits) : std::string("undefined")));
  if (!reference_logits.defined() || !reference_logits.sizes().equals(logits.sizes()))
    throw std::invalid_argument(
        "trajectory_kl: reference logits " +
        (reference_logits.defined() ? shape(reference_logits) : std::string("undefined")) +
        " do not match the logits " + shape(logits));
  if (logits.size(0) == 0) return logits.sum() * 0.0;
  const at::Tensor ref = reference_logits.detach().to(logits.device(), logits.scalar_type());
  const at::Tensor log_p_ref = torch::log_softmax(ref / temperature, 1);
  const at::Tensor log_p = torch::log_softmax(logits / temperature, 1);
  const at::Tensor kl = (log_p_ref.exp() * (log_p_ref - log_p)).sum(1);
  return kl.mean() * (temperature * temperature);
}

}  // namespace deepsolve::learned
