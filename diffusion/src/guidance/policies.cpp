// Guidance options, the weight schedule and the registry of guidance policies (guidance.hpp).
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/diffusion/guidance.hpp"
#include "deepsolve/diffusion/linear_ag.hpp"

namespace deepsolve::diffusion {

namespace guidance_policies_detail {

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

[[noreturn]] void bad_option(const std::string& option, double value, const std::string& rule) {
  throw std::invalid_argument("guidance option " + option + " = " + number_text(value) + ": " +
                              rule);
}

// Guidance only where sigma_lo < sigma <= sigma_hi.
bool in_interval(const GuidanceOptions& options, double sigma) {
  return options.sigma_lo() < sigma && sigma <= options.sigma_hi();
}

class NoGuidance : public GuidancePolicy {
 public:
  GuidanceDecision decide(const EvaluationPoint&, std::int64_t) const override { return {}; }
};

class ConstantGuidance : public GuidancePolicy {
 public:
  explicit ConstantGuidance(double scale) : scale_(scale) {}
  GuidanceDecision decide(const EvaluationPoint&, std::int64_t) const override {
    return {scale_, false};
  }

 private:
  double scale_;
};

// Interval-gated weight, optionally with the Adaptive Guidance cutoff.
class IntervalGuidance : public GuidancePolicy {
 public:
  IntervalGuidance(const GuidanceOptions& options, bool adaptive)
      : options_(options), adaptive_(adaptive) {}
  GuidanceDecision decide(const EvaluationPoint& at, std::int64_t) const override {
    return {in_interval(options_, at.sigma) ? options_.scale() : 1.0, false};
  }
  bool adaptive() const override { return adaptive_; }

 private:
  GuidanceOptions options_;
  bool adaptive_;
};

class ScheduledGuidance : public GuidancePolicy {
 public:
  explicit ScheduledGuidance(WeightSchedule schedule) : schedule_(schedule) {}
  GuidanceDecision decide(const EvaluationPoint& at, std::int64_t) const override {
    return {schedule_.weight(at.step, at.steps), false};
  }

 private:
  WeightSchedule schedule_;
};

class LinearAGGuidance : public GuidancePolicy {
 public:
  explicit LinearAGGuidance(const GuidanceOptions& options) : options_(options) {}
  GuidanceDecision decide(const EvaluationPoint& at, std::int64_t evaluation) const override {
    if (!in_interval(options_, at.sigma)) return {};
    return {options_.scale(), options_.linear_ag()->predicted(evaluation)};
  }
  bool adaptive() const override { return true; }
  const LinearAG* predictor() const override { return options_.linear_ag().get(); }

 private:
  GuidanceOptions options_;
};

}  // namespace guidance_policies_detail

WeightShape parse_weight_shape(const std::string& name) {
  if (name == "linear") return WeightShape::linear;
  if (name == "cosine") return WeightShape::cosine;
  if (name == "step") return WeightShape::step;
  throw std::invalid_argument("unknown guidance weight shape '" + name +
                              "' (known: linear, cosine, step)");
}

std::string weight_shape_name(WeightShape shape) {
  switch (shape) {
    case WeightShape::linear:
      return "linear";
    case WeightShape::cosine:
      return "cosine";
    case WeightShape::step:
      return "step";
  }
  return "?";
}

double WeightSchedule::weight(std::int64_t step, std::int64_t steps) const {
  if (steps < 1 || step < 0 || step >= steps)
    throw std::invalid_argument("guidance weight schedule: step " + std::to_string(step) + " of " +
                                std::to_string(steps) + " steps is out of range");
  const double t = steps == 1 ? 0.0 : static_cast<double>(step) / static_cast<double>(steps - 1);
  switch (shape()) {
    case WeightShape::linear:
      return (1.0 - t) * start() + t * end();
    case WeightShape::cosine: {
      const double c = t == 1.0 ? 0.0 : 0.5 * (1.0 + std::cos(M_PI * t));
      return c * start() + (1.0 - c) * end();
    }
    case WeightShape::step:
      return t < cut() ? start() : end();
  }
  return end();
}

void validate(const GuidanceOptions& options) {
  using guidance_policies_detail::bad_option;
  bool known = false;
  for (const auto& type : guidance_policies()) known = known || type.name == options.policy();
  if (!known)
    throw std::invalid_argument("unknown guidance policy '" + options.policy() +
                                "' (known: " + guidance_policy_names() + ")");
  if (!(options.scale() >= 0) || !std::isfinite(options.scale()))
    bad_option("scale", options.scale(), "the guidance scale must be finite and >= 0");
  if (!(options.gamma_bar() > 0 && options.gamma_bar() <= 1))
    bad_option("gamma_bar", options.gamma_bar(), "must be in (0, 1]");
  if (!(options.sigma_lo() >= 0)) bad_option("sigma_lo", options.sigma_lo(), "must be >= 0");
  if (!(options.sigma_lo() < options.sigma_hi()))
    throw std::invalid_argument(
        "guidance options sigma_lo = " + guidance_policies_detail::number_text(options.sigma_lo()) +
        ", sigma_hi = " + guidance_policies_detail::number_text(options.sigma_hi()) +
        ": sigma_lo must be < sigma_hi");
  if (!(options.rescale() >= 0 && options.rescale() <= 1))
    bad_option("rescale", options.rescale(), "the guidance rescale phi must be in [0, 1]");
  const WeightSchedule& s = options.schedule();
  if (!(s.start() >= 0) || !std::isfinite(s.start()))
    bad_option("schedule.start", s.start(), "a guidance weight must be finite and >= 0");
  if (!(s.end() >= 0) || !std::isfinite(s.end()))
    bad_option("schedule.end", s.end(), "a guidance weight must be finite and >= 0");
  if (!(s.cut() >= 0 && s.cut() <= 1)) bad_option("schedule.cut", s.cut(), "must be in [0, 1]");
  if (options.policy() == "linear-ag" && !options.linear_ag())
    throw std::invalid_argument(
        "guidance policy linear-ag needs a fitted LinearAG model (option linear_ag)");
}

const std::vector<GuidancePolicyType>& guidance_policies() {
  namespace detail = guidance_policies_detail;
  static const std::vector<GuidancePolicyType> table = {
      {"none", "the conditional model alone (scale ignored), 1 NFE per evaluation",
       [](const GuidanceOptions&) { return std::make_unique<detail::NoGuidance>(); }},
      {"cfg", "classifier-free guidance with the scale at every evaluation",
       [](const GuidanceOptions& o) {
         return std::make_unique<detail::ConstantGuidance>(o.scale());
       }},
      {"interval", "CFG only where sigma_lo < sigma <= sigma_hi (Kynkaanniemi et al. 2024)",
       [](const GuidanceOptions& o) {
         return std::make_unique<detail::IntervalGuidance>(o, false);
       }},
      {"schedule", "CFG with a weight schedule over the steps; weight-1 steps are conditional only",
       [](const GuidanceOptions& o) {
         return std::make_unique<detail::ScheduledGuidance>(o.schedule());
       }},
      {"ag",
       "Adaptive Guidance: per-sample sticky cutoff once cos(eps_c, eps_u) > gamma_bar "
       "(Castillo et al. 2023)",
       [](const GuidanceOptions& o) {
         return std::make_unique<detail::IntervalGuidance>(o, true);
       }},
      {"linear-ag",
       "LinearAG: predicted unconditional estimates at the model's evaluations, AG cutoff after",
       [](const GuidanceOptions& o) { return std::make_unique<detail::LinearAGGuidance>(o); }},
  };
  return table;
}

std::string guidance_policy_names() {
  std::string names;
  for (const auto& type : guidance_policies()) names += (names.empty() ? "" : ", ") + type.name;
  return names;
}

std::unique_ptr<GuidancePolicy> make_guidance_policy(const GuidanceOptions& options) {
  validate(options);
  for (const auto& type : guidance_policies())
    if (type.name == options.policy()) return type.make(options);
  throw std::logic_error("guidance policy '" + options.policy() + "' validated but not found");
}

}  // namespace deepsolve::diffusion
