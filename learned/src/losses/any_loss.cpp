// AnyLoss (Han, Moniz & Chawla 2024, arXiv 2405.14745); see any_loss.hpp.
#include "deepsolve/learned/losses/any_loss.hpp"

#include <torch/torch.h>

#include <limits>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

std::string metric_name(AnyLossMetric metric) {
  switch (metric) {
    case AnyLossMetric::accuracy:
      return "accuracy";
    case AnyLossMetric::f_beta:
      return "f_beta";
    case AnyLossMetric::geometric_mean:
      return "geometric_mean";
    case AnyLossMetric::balanced_accuracy:
      return "balanced_accuracy";
    case AnyLossMetric::mcc:
      return "mcc";
  }
  return "?";
}

namespace {

constexpr const char* kAnyLossName = "any_loss";

// σ(x) with the backward pass σ(x)·σ(-x) evaluated from the saved input. Built from
// differentiable operations, so double backward works as well.
struct StableSigmoidFunction : torch::autograd::Function<StableSigmoidFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return torch::sigmoid(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {grad[0] * torch::sigmoid(x) * torch::sigmoid(-x)};
  }
};

// 1 - metric for each column of the amplified predictions `a` [N, C] and labels `y` [N, C]
// (both float64).
at::Tensor one_minus_metric(const at::Tensor& a, const at::Tensor& y, const AnyLossOptions& o) {
  const double n = static_cast<double>(a.size(0));
  const double s = o.eps();
  const at::Tensor tp = (y * a).sum(0);
  const at::Tensor y1 = y.sum(0);
  const at::Tensor y0 = n - y1;
  const at::Tensor sum_a = a.sum(0);
  const at::Tensor fn = y1 - tp;
  const at::Tensor fp = sum_a - tp;
  const at::Tensor tn = n - y1 - sum_a + tp;
  // Keeps square roots away from 0, where their derivative is infinite; it only changes
  // values that are exactly 0 (a batch without positives or without negatives).
  const double tiny = std::numeric_limits<double>::min();
  at::Tensor metric;
  switch (o.metric()) {
    case AnyLossMetric::accuracy:
      metric = (tp + tn) / (n + s);
      break;
    case AnyLossMetric::f_beta: {
      const double b2 = o.beta() * o.beta();
      metric = (1 + b2) * tp / (b2 * y1 + sum_a + s);
      break;
    }
    case AnyLossMetric::geometric_mean: {
      const at::Tensor ratio = tp * tn / (y1 * y0 + s);
      metric = o.gmean_sqrt() ? torch::sqrt(ratio.clamp_min(tiny)) : ratio;
      break;
    }
    case AnyLossMetric::balanced_accuracy:
      metric = (y0 * tp + y1 * tn) / (2 * y1 * y0 + s);
      break;
    case AnyLossMetric::mcc: {
      const at::Tensor product = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
      metric = (tp * tn - fp * fn) / (torch::sqrt(product.clamp_min(tiny)) + s);
      break;
    }
  }
  return 1 - metric;
}

void check_options(const AnyLossOptions& o) {
  detail::require_positive(kAnyLossName, "amplifier", o.amplifier());
  detail::require_positive(kAnyLossName, "beta", o.beta());
  detail::require_nonnegative(kAnyLossName, "eps", o.eps());
}

}  // namespace

namespace functional {

at::Tensor stable_sigmoid(const at::Tensor& x) {
  return StableSigmoidFunction::apply(x);
}

at::Tensor anyloss_amplifier(const at::Tensor& p, double amplifier) {
  return stable_sigmoid(amplifier * (p - 0.5));
}

at::Tensor any_loss(const at::Tensor& input, const at::Tensor& target,
                    const AnyLossFuncOptions& options) {
  check_options(options);
  detail::require_floating(kAnyLossName, "input", input);
  detail::require(
      input.dim() == 1 || input.dim() == 2,
      std::string(kAnyLossName) + ": input must be [N] or [N, C], got " + detail::describe(input));
  detail::require(input.size(0) > 0, std::string(kAnyLossName) + ": the batch is empty");
  const at::Tensor x = input.to(at::kDouble);

  at::Tensor p;
  at::Tensor y;
  const bool one_vs_rest = input.dim() == 2 && target.defined() && target.dim() == 1;
  if (one_vs_rest) {
    const at::Tensor classes =
        detail::class_indices(kAnyLossName, target, input.size(0), input.size(1))
            .to(input.device());
    y = torch::one_hot(classes, input.size(1)).to(at::kDouble);
    p = options.from_logits() ? torch::softmax(x, 1) : x;
  } else {
    y = detail::binary_labels(kAnyLossName, target, input);
    p = options.from_logits() ? stable_sigmoid(x) : x;
  }
  if (!options.from_logits()) {
    detail::require(((p >= 0) & (p <= 1)).all().item<bool>(),
                    std::string(kAnyLossName) +
                        ": with from_logits(false) the input must hold probabilities in [0, 1]");
  }
  const bool binary = input.dim() == 1;
  const at::Tensor a = anyloss_amplifier(binary ? p.unsqueeze(1) : p, options.amplifier());
  at::Tensor loss = one_minus_metric(a, binary ? y.unsqueeze(1) : y, options);
  if (binary) loss = loss.squeeze(0);
  return reduce_loss(loss, options.reduction()).to(input.scalar_type());
}

}  // namespace functional

AnyLossImpl::AnyLossImpl(AnyLossOptions options_) : options(std::move(options_)) {
  reset();
}

void AnyLossImpl::reset() {
  check_options(options);
}

void AnyLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::AnyLoss(metric=" << metric_name(options.metric())
         << ", amplifier=" << options.amplifier();
  if (options.metric() == AnyLossMetric::f_beta) stream << ", beta=" << options.beta();
  stream << ", eps=" << options.eps() << ", from_logits=" << std::boolalpha << options.from_logits()
         << ", reduction=" << reduction_name(options.reduction()) << ")";
}

at::Tensor AnyLossImpl::forward(const at::Tensor& input, const at::Tensor& target) {
  return functional::any_loss(input, target, options);
}

namespace detail {

std::vector<LossEntry> any_losses() {
  struct Variant {
    const char* name;
    AnyLossMetric metric;
    const char* what;
  };
  const Variant variants[] = {
      {"anyloss-accuracy", AnyLossMetric::accuracy, "accuracy"},
      {"anyloss-f1", AnyLossMetric::f_beta, "F1"},
      {"anyloss-fbeta", AnyLossMetric::f_beta, "F-beta (setting beta)"},
      {"anyloss-gmean", AnyLossMetric::geometric_mean, "geometric mean of the recalls"},
      {"anyloss-balanced-accuracy", AnyLossMetric::balanced_accuracy, "balanced accuracy"},
      {"anyloss-mcc", AnyLossMetric::mcc, "Matthews correlation (not in the paper)"}};
  std::vector<LossEntry> out;
  for (const Variant& v : variants) {
    const std::string name = v.name;
    const bool with_beta = name == "anyloss-fbeta";
    const bool gmean = v.metric == AnyLossMetric::geometric_mean;
    Settings defaults{{"amplifier", "73"}, {"eps", "1e-05"}};
    if (with_beta) defaults["beta"] = "1";
    if (gmean) defaults["gmean_sqrt"] = "true";
    const AnyLossMetric metric = v.metric;
    out.push_back(make_entry(name, LossInput::classification,
                             std::string("AnyLoss, 1 - soft ") + v.what +
                                 " from amplified probabilities (Han, Moniz & Chawla 2024)",
                             defaults, [metric, with_beta, gmean](const SettingsReader& r) {
                               AnyLossOptions options = AnyLossOptions(metric)
                                                            .amplifier(r.number("amplifier"))
                                                            .eps(r.number("eps"))
                                                            .reduction(reduction_setting(r));
                               if (with_beta) options.beta(r.number("beta"));
                               if (gmean) options.gmean_sqrt(r.boolean("gmean_sqrt"));
                               check_options(options);
                               return Loss([options](const LossBatch& b) {
                                 return functional::any_loss(b.input, b.target, options);
                               });
                             }));
  }
  return out;
}

}  // namespace detail

}  // namespace deepsolve::learned
