#include "deepsolve/learned/optim/mesa.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

ModelEma::ModelEma(std::shared_ptr<torch::nn::Module> copy, double decay)
    : ema_(std::move(copy)), decay_(decay) {
  if (!ema_) throw std::invalid_argument("ModelEma: the model copy is null");
  require_unit_interval("ModelEma", "decay", decay);
  for (auto& p : ema_->parameters()) p.requires_grad_(false);
}

namespace {

void blend(const torch::OrderedDict<std::string, at::Tensor>& ema,
           const torch::OrderedDict<std::string, at::Tensor>& model, double decay,
           const char* what) {
  if (ema.size() != model.size())
    throw std::invalid_argument(std::string("ModelEma::update: the model has ") +
                                std::to_string(model.size()) + " " + what + ", the EMA copy " +
                                std::to_string(ema.size()));
  for (const auto& item : model) {
    const at::Tensor* e = ema.find(item.key());
    if (e == nullptr)
      throw std::invalid_argument(std::string("ModelEma::update: the EMA copy has no ") + what +
                                  " '" + item.key() + "'");
    if (!e->sizes().equals(item.value().sizes()))
      throw std::invalid_argument(std::string("ModelEma::update: ") + what + " '" + item.key() +
                                  "' has another shape in the model than in the EMA copy");
    at::Tensor target = *e;
    const at::Tensor v = item.value().detach().to(target.device(), target.scalar_type());
    if (target.is_floating_point())
      target.mul_(decay).add_(v, 1.0 - decay);
    else
      target.copy_(v);
  }
}

}  // namespace

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  blend(ema_->named_parameters(), model.named_parameters(), decay_, "parameter(s)");
  blend(ema_->named_buffers(), model.named_buffers(), decay_, "buffer(s)");
  ++updates_;
}

void validate(const MESAOptions& o) {
  require_nonnegative("MESA", "lambda", o.lambda());
  require_positive("MESA", "temperature", o.temperature());
  require_unit_interval("MESA", "decay", o.decay());
  require_argument(o.start_epoch() >= 0, "MESA", "start_epoch", ">= 0",
                   static_cast<double>(o.start_epoch()));
  require_argument(o.end_epoch() >= o.start_epoch(), "MESA", "end_epoch", ">= start_epoch",
                   static_cast<double>(o.end_epoch()));
}

MESA::MESA(std::shared_ptr<torch::nn::Module> ema_copy, MESAOptions options)
    : options_((validate(options), options)), ema_(std::move(ema_copy), options.decay()) {}

at::Tensor MESA::term(const at::Tensor& logits, const at::Tensor& ema_logits,
                      std::int64_t epoch) const {
  if (!trajectory_term_active(epoch, options_.start_epoch(), options_.end_epoch()) ||
      options_.lambda() == 0.0) {
    // Still check the shapes, so a wrong call shows up before the start epoch.
    if (!ema_logits.defined() || !ema_logits.sizes().equals(logits.sizes()))
      return trajectory_kl(logits, ema_logits, options_.temperature());
    return logits.sum() * 0.0;
  }
  return options_.lambda() * trajectory_kl(logits, ema_logits, options_.temperature());
}

}  // namespace deepsolve::learned
