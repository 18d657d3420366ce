#include "deepsolve/learned/optim/saf.hpp"

#include <torch/torch.h>

#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

LogitBankImpl::LogitBankImpl(std::int64_t samples, std::int64_t classes, std::int64_t window)
    : samples_(samples), classes_(classes), window_(window) {
  require_argument(samples >= 1, "LogitBank", "samples", ">= 1", static_cast<double>(samples));
  require_argument(classes >= 1, "LogitBank", "classes", ">= 1", static_cast<double>(classes));
  require_argument(window >= 1, "LogitBank", "window", ">= 1", static_cast<double>(window));
  reset();
}

void LogitBankImpl::reset() {
  logits = register_buffer("logits", torch::zeros({samples_, window_, classes_}));
  epochs = register_buffer("epochs", torch::full({samples_, window_}, -1, torch::kInt64));
}

void LogitBankImpl::check_indices(const at::Tensor& indices, const char* where) const {
  if (!indices.defined() || indices.dim() != 1)
    throw std::invalid_argument(std::string(where) + ": sample indices must be a 1-D tensor");
  if (indices.numel() == 0) return;
  const auto lo = indices.min().item<std::int64_t>(), hi = indices.max().item<std::int64_t>();
  if (lo < 0 || hi >= samples_)
    throw std::invalid_argument(std::string(where) + ": sample index " +
                                std::to_string(lo < 0 ? lo : hi) + " is outside [0, " +
                                std::to_string(samples_) + ")");
}

void LogitBankImpl::record(const at::Tensor& indices, const at::Tensor& z, std::int64_t epoch) {
  check_indices(indices, "LogitBank::record");
  require_argument(epoch >= 0, "LogitBank::record", "epoch", ">= 0", static_cast<double>(epoch));
  if (z.dim() != 2 || z.size(0) != indices.size(0) || z.size(1) != classes_)
    throw std::invalid_argument("LogitBank::record: logits must be (" +
                                std::to_string(indices.size(0)) + ", " + std::to_string(classes_) +
                                ") for " + std::to_string(indices.size(0)) + " indices");
  torch::NoGradGuard no_grad;
  const auto idx = indices.to(logits.device(), torch::kInt64);
  const std::int64_t slot = epoch % window_;
  logits.select(1, slot).index_put_({idx}, z.detach().to(logits.device(), logits.scalar_type()));
  epochs.select(1, slot).index_put_(
      {idx}, torch::full({idx.size(0)}, epoch, torch::kInt64).to(epochs.device()));
}

LogitBankImpl::Lookup LogitBankImpl::lookup(const at::Tensor& indices, std::int64_t epoch) const {
  check_indices(indices, "LogitBank::lookup");
  torch::NoGradGuard no_grad;
  const auto idx = indices.to(logits.device(), torch::kInt64);
  Lookup out;
  if (epoch < 0) {
    out.logits = torch::zeros({idx.size(0), classes_}, logits.options());
    out.found =
        torch::zeros({idx.size(0)}, torch::TensorOptions(torch::kBool).device(logits.device()));
    return out;
  }
  const std::int64_t slot = epoch % window_;
  out.found = epochs.select(1, slot).index_select(0, idx).eq(epoch);
  out.logits = logits.select(1, slot).index_select(0, idx) * out.found.unsqueeze(1);
  return out;
}

void validate(const SAFOptions& o) {
  require_nonnegative("SAF", "lambda", o.lambda());
  require_positive("SAF", "temperature", o.temperature());
  require_argument(o.epochs_back() >= 1, "SAF", "epochs_back", ">= 1",
                   static_cast<double>(o.epochs_back()));
  require_argument(o.start_epoch() >= 0, "SAF", "start_epoch", ">= 0",
                   static_cast<double>(o.start_epoch()));
  require_argument(o.end_epoch() >= o.start_epoch(), "SAF", "end_epoch", ">= start_epoch",
                   static_cast<double>(o.end_epoch()));
}

SAF::SAF(std::int64_t samples, std::int64_t classes, SAFOptions options)
    : options_(options), bank_(nullptr) {
  validate(options_);
  bank_ = LogitBank(samples, classes, options_.epochs_back() + 1);
}

at::Tensor SAF::term(const at::Tensor& z, const at::Tensor& indices, std::int64_t epoch) {
  bank_->record(indices, z, epoch);
  at::Tensor zero = z.sum() * 0.0;
  if (!trajectory_term_active(epoch, options_.start_epoch(), options_.end_epoch()) ||
      options_.lambda() == 0.0)
    return zero;
  auto ref = bank_->lookup(indices, epoch - options_.epochs_back());
  const at::Tensor rows = ref.found.nonzero().reshape({-1}).to(z.device());
  if (rows.numel() == 0) return zero;
  return options_.lambda() * trajectory_kl(z.index_select(0, rows),
                                           ref.logits.to(z.device()).index_select(0, rows),
                                           options_.temperature());
}

}  // namespace deepsolve::learned
