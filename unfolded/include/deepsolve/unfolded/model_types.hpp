// The unfolded networks in the model registry (deepsolve/learned/io/model_registry.hpp), without
// LibTorch's headers, for programs that only pick a type by name. The types, all of family
// kUnfoldedFamily ("unfolded-sparse", network.hpp):
//   "unfolded-ista", "unfolded-iht"  unfolded_steps.hpp (A is an input; learned step sizes)
//   "lista"                          lista.hpp (tied to one A)
//   "lista-cpss"                     lista_cpss.hpp (tied to one A)
//   "alista"                         alista.hpp (tied to one A)
// Every type has the options measurements, signal-size, layers and lambda (network_options.hpp).
#pragma once

namespace deepsolve::unfolded {

/// Registers every unfolded network type with the model registry (once; later calls do
/// nothing). Every loader, trainer and program of this module calls it before using the
/// registry.
void register_unfolded_networks();

}  // namespace deepsolve::unfolded
