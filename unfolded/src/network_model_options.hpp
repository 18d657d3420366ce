// The model-registry options (learned/io/model_registry.hpp) that the unfolded network types
// share: UnfoldedOptions (every type) and SupportSelection (LISTA-CPSS, ALISTA), declared,
// parsed and written back once. Internal to the library.
#pragma once

#include <vector>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/network_options.hpp"
#include "deepsolve/unfolded/support_selection.hpp"

namespace deepsolve::unfolded::detail {

/// The default lambda of the registry's lista, lista-cpss and alista: the initial lambda of the
/// LISTA-CPSS and ALISTA reference code (config.py, 0.4). Untrained ALISTA (gamma_t = 1) needs
/// thresholds of about this size: at lambda = 0.1 its error grows over 16 layers (250x500,
/// noiseless, 10% nonzero), at 0.4 it falls to -11.5 dB.
inline constexpr double kReferenceLambda = 0.4;

/// measurements, signal-size, layers, lambda, with UnfoldedOptions' defaults but lambda's, which
/// each type chooses.
std::vector<learned::ModelOption> unfolded_model_options(double default_lambda);
/// Parsed from complete options and validated (std::invalid_argument naming the option).
UnfoldedOptions unfolded_options_from(const learned::ModelOptions& options);
void write_unfolded_options(const UnfoldedOptions& from, learned::ModelOptions& to);

/// support-step, support-max, with SupportSelection's defaults.
std::vector<learned::ModelOption> support_selection_model_options();
SupportSelection support_selection_from(const learned::ModelOptions& options);
void write_support_selection(const SupportSelection& from, learned::ModelOptions& to);

/// ModelType::training_floats of a type whose layer keeps about per_layer_of_n * n +
/// per_layer_of_m * m float32 values of one sample for the backward pass (a lower estimate).
double unfolded_training_floats(const learned::ModelOptions& options, double per_layer_of_n,
                                double per_layer_of_m);

}  // namespace deepsolve::unfolded::detail
