#include "deepsolve/diffusion/denoiser_file.hpp"

#include <torch/nn/module.h>

#include <stdexcept>

#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/learned/io/model_registry.hpp"

namespace deepsolve::diffusion {
namespace {

constexpr const char* kPredictionKey = "diffusion.prediction";
constexpr const char* kSigmaDataKey = "diffusion.sigma_data";

}  // namespace

void save_denoiser(const std::string& path, const Denoiser& denoiser,
                   std::map<std::string, std::string> metadata) {
  for (const auto& entry : metadata)
    if (entry.first.rfind("diffusion.", 0) == 0)
      throw std::invalid_argument("save_denoiser: metadata key '" + entry.first + "' is reserved");
  register_diffusion_networks();
  metadata[kPredictionKey] = prediction_name(denoiser.prediction());
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", denoiser.sigma_data());
  metadata[kSigmaDataKey] = buffer;
  learned::save_model(path, denoiser.network(), metadata);
}

LoadedDenoiser load_denoiser(const std::string& path) {
  register_diffusion_networks();
  learned::LoadedModel model = learned::load_model(path);
  if (model.type->family != kDenoiserFamily)
    throw std::runtime_error(path + ": a model of type '" + model.type->name + "' (family " +
                             model.type->family + "), not a diffusion denoiser");
  auto network = std::dynamic_pointer_cast<DenoiserNetwork>(model.module);
  if (!network)
    throw std::runtime_error(path + ": the network of type '" + model.type->name +
                             "' is not a DenoiserNetwork");
  const auto prediction = model.metadata.find(kPredictionKey);
  const auto sigma_data = model.metadata.find(kSigmaDataKey);
  if (prediction == model.metadata.end() || sigma_data == model.metadata.end())
    throw std::runtime_error(path + ": no '" + std::string(kPredictionKey) + "' / '" +
                             kSigmaDataKey +
                             "' in the model's metadata (not written by "
                             "save_denoiser)");
  try {
    std::size_t used = 0;
    const double sd = std::stod(sigma_data->second, &used);
    if (used != sigma_data->second.size()) throw std::invalid_argument("trailing text");
    auto metadata = model.metadata;
    metadata.erase(kPredictionKey);
    metadata.erase(kSigmaDataKey);
    return {Denoiser(network, parse_prediction(prediction->second), sd), metadata};
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad diffusion metadata (" + prediction->second + ", " +
                             sigma_data->second + "): " + e.what());
  }
}

}  // namespace deepsolve::diffusion
