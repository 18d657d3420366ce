// Denoiser model files: the network through learned's model registry (save_model / load_model:
// a checksummed archive with the type, options and weights) and, in its metadata, what the
// network predicts ("diffusion.prediction") and sigma_data ("diffusion.sigma_data"), so that a
// loaded file is a ready Denoiser.
#pragma once

#include <map>
#include <string>

#include "deepsolve/diffusion/denoiser.hpp"

namespace deepsolve::diffusion {

/// Writes `denoiser` to `path` atomically, with `metadata` added (keys starting "diffusion." are
/// reserved).
void save_denoiser(const std::string& path, const Denoiser& denoiser,
                   std::map<std::string, std::string> metadata = {});

struct LoadedDenoiser {
  Denoiser denoiser;
  std::map<std::string, std::string> metadata;
};

/// Loads a denoiser file. Throws std::runtime_error naming `path` for every problem: what
/// load_model refuses (missing, corrupt, unknown type), a network of another family, missing or
/// bad diffusion metadata.
LoadedDenoiser load_denoiser(const std::string& path);

}  // namespace deepsolve::diffusion
