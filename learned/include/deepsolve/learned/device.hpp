// Where a network runs, chosen the same way by every trainer and solver in deepsolve. "auto"
// follows PETSc's default device choice for MPI jobs: rank r uses CUDA device r mod (device count),
// so ranks spread over the GPUs of a node; without CUDA it is the CPU.
#pragma once

#include <string>

namespace deepsolve::learned {

/// Resolves a device name to the device LibTorch should use: "cpu" -> "cpu"; "cuda" ->
/// "cuda:0"; "cuda:N" -> "cuda:N"; "auto" -> "cuda:(rank mod count)" when CUDA is available,
/// else "cpu". `rank` is the caller's MPI rank (or LOCAL_RANK); this function does not use MPI.
/// Throws std::invalid_argument naming the device for an unknown name, a CUDA device when CUDA
/// is not available, or an index beyond the device count.
std::string resolve_device(const std::string& name, int rank = 0);

}  // namespace deepsolve::learned
