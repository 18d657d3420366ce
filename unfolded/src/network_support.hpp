// What the unfolded network types (unfolded_steps, lista, lista_cpss, alista) share: the checks
// of their inputs with messages naming the type and the shapes, the copy that save_model's
// Module::clone needs, and the tensor form of the tied thresholds. Internal to the library.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "deepsolve/unfolded/network_options.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded::detail {

/// y as a [B, m] tensor with the dtype and device of `like` (a parameter); throws
/// std::invalid_argument naming `type` and the shapes when y is not [B, m] or not floating.
torch::Tensor checked_measurements(const std::string& type, const torch::Tensor& y, std::int64_t m,
                                   const torch::Tensor& like);

/// How many layers forward_layers runs: all for up_to < 0, up_to for 1 <= up_to <= layers;
/// std::invalid_argument otherwise.
std::int64_t layers_to_run(const std::string& type, std::int64_t up_to, std::int64_t layers);

/// A matrix input of a matrix-input network, [m, n] or [batch, m, n], with the dtype and device
/// of `like`; throws std::invalid_argument naming `type` and the shapes otherwise.
torch::Tensor checked_matrix_input(const std::string& type, const torch::Tensor& A, std::int64_t m,
                                   std::int64_t n, std::int64_t batch, const torch::Tensor& like);

/// A fixed-matrix network ignores the A passed to forward_layers (it uses its own), but refuses
/// one that cannot be its matrix: anything other than undefined or [m, n].
void check_ignored_matrix(const std::string& type, const torch::Tensor& A, std::int64_t m,
                          std::int64_t n);

/// The A given to initialise, checked (defined, [m, n], floating, finite entries, not all zero)
/// and copied to a contiguous float64 CPU tensor.
torch::Tensor initial_matrix(const std::string& type, const torch::Tensor& A, std::int64_t m,
                             std::int64_t n);

/// Throws std::invalid_argument naming `type` when `count` learned values exceed
/// kMaxUnfoldedParameters.
void check_parameter_count(const std::string& type, double count, const UnfoldedOptions& options);

/// prox_threshold(penalty, lambda, step) for a tensor of step sizes: lambda * step (l1),
/// sqrt(2 lambda step) (l0); differentiable in step.
torch::Tensor tied_threshold(Penalty penalty, double lambda, const torch::Tensor& step);

/// Module::clone for the unfolded types: `copy` is a new module built with the same options;
/// its parameters and buffers become copies of `from`'s (same names), on `device` when given,
/// else on the device they are on. (The types derive from UnfoldedModule, so they cannot also
/// derive from torch::nn::Cloneable.)
std::shared_ptr<torch::nn::Module> copy_state_into(std::shared_ptr<torch::nn::Module> copy,
                                                   const torch::nn::Module& from,
                                                   const c10::optional<torch::Device>& device);

}  // namespace deepsolve::unfolded::detail
