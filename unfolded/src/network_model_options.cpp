#include "network_model_options.hpp"

#include "deepsolve/learned/training/metrics_log.hpp"

namespace deepsolve::unfolded::detail {

std::vector<learned::ModelOption> unfolded_model_options(double default_lambda) {
  using Kind = learned::ModelOption::Kind;
  const UnfoldedOptions defaults;
  return {
      {"measurements", Kind::integer, std::to_string(defaults.measurements),
       "m, the number of measurements (y is [B, m])"},
      {"signal-size", Kind::integer, std::to_string(defaults.signal_size),
       "n, the size of the sparse signal (x is [B, n])"},
      {"layers", Kind::integer, std::to_string(defaults.layers),
       "T, the number of layers (unfolded iterations)"},
      {"lambda", Kind::real, learned::shortest_double(default_lambda),
       "the penalty weight (> 0): the problem's lambda and the initial thresholds"},
  };
}

UnfoldedOptions unfolded_options_from(const learned::ModelOptions& options) {
  UnfoldedOptions o;
  o.measurements = learned::integer_option(options, "measurements");
  o.signal_size = learned::integer_option(options, "signal-size");
  o.layers = learned::integer_option(options, "layers");
  o.lambda = learned::real_option(options, "lambda");
  o.validate();
  return o;
}

void write_unfolded_options(const UnfoldedOptions& from, learned::ModelOptions& to) {
  to["measurements"] = std::to_string(from.measurements);
  to["signal-size"] = std::to_string(from.signal_size);
  to["layers"] = std::to_string(from.layers);
  to["lambda"] = learned::shortest_double(from.lambda);
}

std::vector<learned::ModelOption> support_selection_model_options() {
  using Kind = learned::ModelOption::Kind;
  const SupportSelection defaults;
  return {
      {"support-step", Kind::real, learned::shortest_double(defaults.step_percent),
       "support selection: percent of the entries added per layer (>= 0; 0 turns it off)"},
      {"support-max", Kind::real, learned::shortest_double(defaults.max_percent),
       "support selection: the largest percent of entries trusted, in [0, 100]"},
  };
}

SupportSelection support_selection_from(const learned::ModelOptions& options) {
  SupportSelection s;
  s.step_percent = learned::real_option(options, "support-step");
  s.max_percent = learned::real_option(options, "support-max");
  s.validate();
  return s;
}

void write_support_selection(const SupportSelection& from, learned::ModelOptions& to) {
  to["support-step"] = learned::shortest_double(from.step_percent);
  to["support-max"] = learned::shortest_double(from.max_percent);
}

double unfolded_training_floats(const learned::ModelOptions& options, double per_layer_of_n,
                                double per_layer_of_m) {
  const double n = double(learned::integer_option(options, "signal-size"));
  const double m = double(learned::integer_option(options, "measurements"));
  const double layers = double(learned::integer_option(options, "layers"));
  // y and x_T with their gradients, and what each layer keeps for the backward pass.
  return 2.0 * (m + n) + layers * (per_layer_of_n * n + per_layer_of_m * m);
}

}  // namespace deepsolve::unfolded::detail
