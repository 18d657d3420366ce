#include "deepsolve/learned/optim/adaptive_batch.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

namespace {

at::Tensor flat_row(const std::vector<at::Tensor>& grads, const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> parts;
  parts.reserve(params.size());
  for (std::size_t k = 0; k < params.size(); ++k) {
    const at::Tensor& g = grads[k];
    parts.push_back(g.defined() ? g.detach().reshape({-1}).to(torch::kFloat64)
                                : torch::zeros({params[k].numel()}, torch::kFloat64));
  }
  return torch::cat(parts);
}

// Gradients of `loss` w.r.t. the parameters that require one; zeros elsewhere.
at::Tensor gradient_row(const at::Tensor& loss, const std::vector<at::Tensor>& params,
                        bool retain) {
  std::vector<at::Tensor> inputs;
  std::vector<std::size_t> where;
  for (std::size_t k = 0; k < params.size(); ++k)
    if (params[k].requires_grad()) {
      inputs.push_back(params[k]);
      where.push_back(k);
    }
  std::vector<at::Tensor> grads(params.size());
  if (!inputs.empty() && loss.requires_grad()) {
    auto g = torch::autograd::grad({loss}, inputs, {}, retain, false, /*allow_unused=*/true);
    for (std::size_t k = 0; k < where.size(); ++k) grads[where[k]] = g[k];
  }
  return flat_row(grads, params);
}

void check_rows(const at::Tensor& per_sample, const char* where) {
  if (!per_sample.defined() || per_sample.dim() != 2)
    throw std::invalid_argument(std::string(where) +
                                ": per-sample gradients must be a (b, d) tensor, got " +
                                (per_sample.defined() ? std::to_string(per_sample.dim()) + "-D"
                                                      : std::string("an undefined tensor")));
  if (per_sample.size(0) < 2)
    throw std::invalid_argument(std::string(where) + ": batch too small for a variance test: b = " +
                                std::to_string(per_sample.size(0)) +
                                " per-sample gradient(s), at least 2 are needed");
}

// Fills required_batch and passed from the variance and the denominator tol^2 ||gbar||^k.
void decide(BatchTestResult& r, double variance, double denominator) {
  if (denominator > 0.0)
    r.required_batch = variance / denominator;
  else
    r.required_batch = variance > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
  // A relative tolerance keeps round-off (2 / (0.1^2 4) = 49.999...) from deciding.
  r.passed = static_cast<double>(r.batch) >= r.required_batch * (1.0 - 1e-12);
}

struct Moments {
  at::Tensor rows, mean;
  double norm_sq = 0.0;
};

Moments moments(const at::Tensor& per_sample) {
  Moments m;
  m.rows = per_sample.detach().to(torch::kFloat64);
  m.mean = m.rows.mean(0);
  m.norm_sq = m.mean.dot(m.mean).item<double>();
  return m;
}

double inner_product_variance(const Moments& m) {
  return m.rows.matmul(m.mean).var(0, /*unbiased=*/true).item<double>();
}

double orthogonal_variance(const Moments& m) {
  if (m.norm_sq == 0.0) return m.rows.var(0, true).sum().item<double>();
  const at::Tensor s = m.rows.matmul(m.mean) / m.norm_sq;
  const at::Tensor ortho = m.rows - s.unsqueeze(1) * m.mean.unsqueeze(0);
  return ortho.var(0, true).sum().item<double>();
}

}  // namespace

at::Tensor per_sample_gradients(const at::Tensor& losses, const std::vector<at::Tensor>& params) {
  if (!losses.defined() || losses.dim() != 1)
    throw std::invalid_argument(
        "per_sample_gradients: losses must be a 1-D tensor of per-sample losses, got " +
        (losses.defined() ? std::to_string(losses.dim()) + "-D" : std::string("undefined")));
  const std::int64_t b = losses.size(0);
  std::vector<at::Tensor> rows;
  for (std::int64_t i = 0; i < b; ++i)
    rows.push_back(gradient_row(losses[i], params, /*retain=*/i + 1 < b));
  if (rows.empty()) {
    std::int64_t d = 0;
    for (const auto& p : params) d += p.numel();
    return torch::zeros({0, d}, torch::kFloat64);
  }
  return torch::stack(rows);
}

at::Tensor per_sample_gradients(std::int64_t count,
                                const std::function<at::Tensor(std::int64_t)>& loss_of,
                                const std::vector<at::Tensor>& params) {
  if (count < 0)
    throw std::invalid_argument("per_sample_gradients: count must be >= 0, got " +
                                std::to_string(count));
  std::vector<at::Tensor> rows;
  for (std::int64_t i = 0; i < count; ++i) {
    at::Tensor loss = loss_of(i);
    if (loss.numel() != 1)
      throw std::invalid_argument("per_sample_gradients: the loss of sample " + std::to_string(i) +
                                  " has " + std::to_string(loss.numel()) +
                                  " elements, expected a scalar");
    rows.push_back(gradient_row(loss.reshape({}), params, false));
  }
  if (rows.empty()) {
    std::int64_t d = 0;
    for (const auto& p : params) d += p.numel();
    return torch::zeros({0, d}, torch::kFloat64);
  }
  return torch::stack(rows);
}

std::string to_string(BatchTest test) {
  switch (test) {
    case BatchTest::none:
      return "none";
    case BatchTest::norm:
      return "norm";
    case BatchTest::inner_product:
      return "inner-product";
    case BatchTest::orthogonality:
      return "orthogonality";
    case BatchTest::augmented:
      return "augmented";
  }
  return "?";
}

BatchTest batch_test_from_string(const std::string& name) {
  for (BatchTest t : {BatchTest::none, BatchTest::norm, BatchTest::inner_product,
                      BatchTest::orthogonality, BatchTest::augmented})
    if (to_string(t) == name) return t;
  throw std::invalid_argument("unknown batch-size test '" + name +
                              "' (valid: none, norm, inner-product, orthogonality, augmented)");
}

BatchTestResult norm_test(const at::Tensor& per_sample, double eta) {
  require_positive("norm_test", "eta", eta);
  check_rows(per_sample, "norm_test");
  const Moments m = moments(per_sample);
  BatchTestResult r;
  r.batch = per_sample.size(0);
  r.grad_norm_sq = m.norm_sq;
  r.variance = m.rows.var(0, true).sum().item<double>();
  decide(r, r.variance, eta * eta * m.norm_sq);
  return r;
}

BatchTestResult inner_product_test(const at::Tensor& per_sample, double theta) {
  require_positive("inner_product_test", "theta", theta);
  check_rows(per_sample, "inner_product_test");
  const Moments m = moments(per_sample);
  BatchTestResult r;
  r.batch = per_sample.size(0);
  r.grad_norm_sq = m.norm_sq;
  r.variance = inner_product_variance(m);
  decide(r, r.variance, theta * theta * m.norm_sq * m.norm_sq);
  return r;
}

BatchTestResult orthogonality_test(const at::Tensor& per_sample, double nu) {
  require_positive("orthogonality_test", "nu", nu);
  check_rows(per_sample, "orthogonality_test");
  const Moments m = moments(per_sample);
  BatchTestResult r;
  r.batch = per_sample.size(0);
  r.grad_norm_sq = m.norm_sq;
  r.variance = orthogonal_variance(m);
  decide(r, r.variance, nu * nu * m.norm_sq);
  return r;
}

BatchTestResult augmented_test(const at::Tensor& per_sample, double theta, double nu) {
  require_positive("augmented_test", "theta", theta);
  require_positive("augmented_test", "nu", nu);
  check_rows(per_sample, "augmented_test");
  const Moments m = moments(per_sample);
  BatchTestResult ip, orth;
  ip.batch = orth.batch = per_sample.size(0);
  decide(ip, inner_product_variance(m), theta * theta * m.norm_sq * m.norm_sq);
  decide(orth, orthogonal_variance(m), nu * nu * m.norm_sq);
  BatchTestResult r;
  r.batch = per_sample.size(0);
  r.grad_norm_sq = m.norm_sq;
  r.variance = inner_product_variance(m);
  r.variance2 = orthogonal_variance(m);
  r.required_batch = std::max(ip.required_batch, orth.required_batch);
  r.passed = ip.passed && orth.passed;
  return r;
}

void validate(const AdaptiveBatchOptions& o) {
  const std::string where = "AdaptiveBatchOptions";
  require_positive(where, "eta", o.eta());
  require_positive(where, "theta", o.theta());
  require_positive(where, "nu", o.nu());
  require_argument(o.initial_batch() >= 1, where, "initial_batch", ">= 1",
                   static_cast<double>(o.initial_batch()));
  require_argument(o.max_batch() >= o.initial_batch(), where, "max_batch",
                   ">= initial_batch (" + std::to_string(o.initial_batch()) + ")",
                   static_cast<double>(o.max_batch()));
  require_argument(o.test_interval() >= 1, where, "test_interval", ">= 1",
                   static_cast<double>(o.test_interval()));
}

AdaptiveBatchSize::AdaptiveBatchSize(AdaptiveBatchOptions options)
    : options_(options), batch_(options.initial_batch()) {
  validate(options_);
}

void AdaptiveBatchSize::set_options(const AdaptiveBatchOptions& options) {
  validate(options);
  options_ = options;
  batch_ = std::min(batch_, options_.max_batch());
}

bool AdaptiveBatchSize::due() const {
  return options_.test() != BatchTest::none && steps_ % options_.test_interval() == 0;
}

std::int64_t AdaptiveBatchSize::update(const at::Tensor& per_sample) {
  switch (options_.test()) {
    case BatchTest::none:
      return batch_;
    case BatchTest::norm:
      last_ = norm_test(per_sample, options_.eta());
      break;
    case BatchTest::inner_product:
      last_ = inner_product_test(per_sample, options_.theta());
      break;
    case BatchTest::orthogonality:
      last_ = orthogonality_test(per_sample, options_.nu());
      break;
    case BatchTest::augmented:
      last_ = augmented_test(per_sample, options_.theta(), options_.nu());
      break;
  }
  if (!last_.passed) {
    const double wanted = std::ceil(last_.required_batch * (1.0 - 1e-12));
    const auto cap = static_cast<double>(options_.max_batch());
    const auto next = static_cast<std::int64_t>(std::min(wanted, cap));
    batch_ = std::max(batch_, next);
  }
  return batch_;
}

void AdaptiveBatchSize::save(torch::serialize::OutputArchive& archive) const {
  archive.write("batch", torch::tensor(batch_, torch::kInt64));
  archive.write("steps", torch::tensor(steps_, torch::kInt64));
}

void AdaptiveBatchSize::load(torch::serialize::InputArchive& archive) {
  at::Tensor batch, steps;
  archive.read("batch", batch);
  archive.read("steps", steps);
  batch_ = batch.item<std::int64_t>();
  steps_ = steps.item<std::int64_t>();
}

}  // namespace deepsolve::learned
