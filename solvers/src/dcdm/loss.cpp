#include "deepsolve/solvers/dcdm/loss.hpp"

#include <sstream>
#include <stdexcept>

namespace deepsolve::solvers::dcdm {

torch::Tensor dcdm_loss_per_sample(const torch::Tensor& b, const torch::Tensor& q,
                                   const TorchStencilOperator& A) {
  if (b.sizes() != q.sizes()) {
    std::ostringstream s;
    s << "dcdm_loss: b has shape " << b.sizes() << " but q has shape " << q.sizes();
    throw std::invalid_argument(s.str());
  }
  if (b.scalar_type() != q.scalar_type())
    throw std::invalid_argument(std::string("dcdm_loss: b is ") + c10::toString(b.scalar_type()) +
                                " but q is " + c10::toString(q.scalar_type()));
  const torch::Tensor Aq = A.apply(q);  // checks shape, dtype and device
  const std::int64_t batch = q.size(0);
  const torch::Tensor qf = q.reshape({batch, -1});
  const torch::Tensor bf = b.reshape({batch, -1});
  const torch::Tensor Aqf = Aq.reshape({batch, -1});
  const torch::Tensor qb = (qf * bf).sum(1);
  const torch::Tensor qAq = (qf * Aqf).sum(1);
  // Guard: a direction without positive curvature gets step 0 (loss ||b||^2). The division uses a
  // denominator of 1 there, so neither the value nor its gradient passes through 0/0.
  const torch::Tensor ok = torch::isfinite(qAq).logical_and(qAq > 0);
  const torch::Tensor safe_qAq = torch::where(ok, qAq, torch::ones_like(qAq));
  const torch::Tensor step = torch::where(ok, qb / safe_qAq, torch::zeros_like(qb));
  const torch::Tensor r = bf - step.unsqueeze(1) * Aqf;
  return (r * r).sum(1);
}

torch::Tensor dcdm_loss(const torch::Tensor& b, const torch::Tensor& q,
                        const TorchStencilOperator& A) {
  return dcdm_loss_per_sample(b, q, A).mean();
}

}  // namespace deepsolve::solvers::dcdm
