#include "deepsolve/learned/optim/trajectory_kl.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "../losses/checks.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

at::Tensor trajectory_kl(const at::Tensor& logits, const at::Tensor& reference_logits,
                         double temperature) {
  require_positive("trajectory_kl", "temperature", temperature);
  if (!logits.defined() || logits.dim() != 2)
    throw std::invalid_argument("trajectory_kl: logits must be (batch, classes), got " +
                                detail::shape(logits));
  if (!reference_logits.defined() || !reference_logits.sizes().equals(logits.sizes()))
    throw std::invalid_argument("trajectory_kl: reference logits " +
                                detail::shape(reference_logits) + " do not match the logits " +
                                detail::shape(logits));
  if (logits.size(0) == 0) return logits.sum() * 0.0;
  const at::Tensor ref = reference_logits.detach().to(logits.device(), logits.scalar_type());
  const at::Tensor log_p_ref = torch::log_softmax(ref / temperature, 1);
  const at::Tensor log_p = torch::log_softmax(logits / temperature, 1);
  const at::Tensor kl = (log_p_ref.exp() * (log_p_ref - log_p)).sum(1);
  return kl.mean() * (temperature * temperature);
}

}  // namespace deepsolve::learned
