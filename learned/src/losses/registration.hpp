// Private to the loss sources: each source registers its own losses (name, settings,
// constructor) through one function declared here, which registry.cpp calls once, in this order
// (the order of loss_names()). Adding a loss means its own files and one line in registry.cpp.
#pragma once

#include <vector>

#include "deepsolve/learned/losses/registry.hpp"

namespace deepsolve::learned::detail {

std::vector<LossEntry> comp_sum_losses();              // comp_sum.cpp
std::vector<LossEntry> any_losses();                   // any_loss.cpp
std::vector<LossEntry> z_losses();                     // z_loss.cpp
std::vector<LossEntry> mann_whitney_losses();          // mann_whitney.cpp
std::vector<LossEntry> nt_xent_losses();               // nt_xent.cpp
std::vector<LossEntry> groco_losses();                 // groco.cpp
std::vector<LossEntry> isogclr_losses();               // isogclr.cpp
std::vector<LossEntry> adversarial_comp_sum_losses();  // adversarial_comp_sum.cpp

/// `defaults` with the setting every loss takes, reduction = mean.
Settings with_reduction(Settings defaults);

/// The "reduction" setting (none, mean, sum).
LossReduction reduction_setting(const SettingsReader& settings);

/// A LossEntry with these fields (the common case).
LossEntry make_entry(std::string name, LossInput input, std::string summary, Settings defaults,
                     std::function<Loss(const SettingsReader&)> make);

}  // namespace deepsolve::learned::detail
