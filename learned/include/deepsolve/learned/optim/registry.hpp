// Optimizers by name, for configuration files and command lines: make_optimizer("adam-clip",
// params, {{"lr", "3e-4"}, {"clip", "0.5"}}). Every setting has a default; unknown names and
// settings are errors that list the valid ones. Names:
//   sgd, adam, adamw          LibTorch's own
//   sgd-clip, adam-clip       coordinate-wise clipping (sgd_clip.hpp, adam_clip.hpp)
//   adagrad-norm, adagrad     with AdAdaGrad's batch-size tests (adagrad_norm.hpp, adagrad.hpp)
//   sam-sgd, sam-adam,        SAM/ASAM around sgd or adam (sam.hpp); step() needs a closure
//   asam-sgd, asam-adam
//   normalized-gd             lr / f(x) steps (normalized_gd.hpp); step() needs a closure
#pragma once

#include <ATen/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/learned/settings.hpp"

namespace torch::optim {
class Optimizer;
}

namespace deepsolve::learned {

/// Setting name -> value as text ("0.1", "1e-3", "true", "norm").
using OptimizerSettings = Settings;

/// "lr=0.1, momentum=0.9" (separated by commas and/or spaces) -> settings. Throws
/// std::invalid_argument for an item without '=' or a setting given twice.
OptimizerSettings parse_optimizer_settings(const std::string& text);

/// The registered names, sorted.
std::vector<std::string> optimizer_names();

/// Whether `name` is registered.
bool is_optimizer_name(const std::string& name);

/// Whether the optimizer's step() needs a closure (sam-*, asam-*, normalized-gd).
bool optimizer_needs_closure(const std::string& name);

/// The settings `name` accepts, each with its default as text ("lr" -> "0.001").
std::map<std::string, std::string> optimizer_defaults(const std::string& name);

/// A new optimizer over `params`. Throws std::invalid_argument naming the problem: an unknown
/// name (listing the valid ones), an unknown setting (listing the valid ones), a value that is
/// not of the setting's type, or one out of range.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& name,
                                                        std::vector<at::Tensor> params,
                                                        const OptimizerSettings& settings = {});

}  // namespace deepsolve::learned
