// The denoiser networks in the model registry (deepsolve/learned/io/model_registry.hpp), without
// LibTorch's headers, for programs that only pick a type by name. The types, all of family
// kDenoiserFamily ("diffusion-denoiser", network.hpp):
//   "mlp-denoiser"   mlp_denoiser.hpp  (low-dimensional data; noise-level and label embeddings)
//   "unet-denoiser"  unet_denoiser.hpp (images; the normal UNet or the bias-free, blind one)
#pragma once

namespace deepsolve::diffusion {

/// Registers every denoiser network type with the model registry (once; later calls do nothing).
/// Every loader, trainer and program of this module calls it before using the registry.
void register_diffusion_networks();

}  // namespace deepsolve::diffusion
