// The DCDM direction networks in the model registry (deepsolve/learned/io/model_registry.hpp),
// without LibTorch's headers, for programs that only pick a type by name.
#pragma once

namespace deepsolve::solvers::dcdm {

/// The model-registry family of DCDM direction networks. Every type of it has the option "dim"
/// (2 or 3), which programs set from the grid.
inline constexpr const char* kDirectionFamily = "dcdm-direction";

/// Registers every DCDM network type with the model registry (once; later calls do nothing).
/// Every loader and program of this module calls it before using the registry.
void register_direction_networks();

}  // namespace deepsolve::solvers::dcdm
