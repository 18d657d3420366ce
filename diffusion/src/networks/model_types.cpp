// The one place that lists the denoiser network types: each type's ModelType is defined in its
// own file, next to its module.
#include "deepsolve/diffusion/model_types.hpp"

#include <mutex>

#include "deepsolve/learned/io/model_registry.hpp"

namespace deepsolve::diffusion {

learned::ModelType mlp_denoiser_model_type();   // mlp_denoiser.cpp
learned::ModelType unet_denoiser_model_type();  // unet_denoiser.cpp

void register_diffusion_networks() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& registry = learned::ModelRegistry::instance();
    registry.add(mlp_denoiser_model_type());
    registry.add(unet_denoiser_model_type());
  });
}

}  // namespace deepsolve::diffusion
