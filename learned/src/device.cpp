#include "deepsolve/learned/device.hpp"

#include <torch/cuda.h>

#include <stdexcept>

namespace deepsolve::learned {

std::string resolve_device(const std::string& name, int rank) {
  if (name == "cpu") return "cpu";
  const bool cuda = torch::cuda::is_available();
  const auto count = static_cast<int>(cuda ? torch::cuda::device_count() : 0);
  if (name == "auto") {
    if (count == 0) return "cpu";
    return "cuda:" + std::to_string((rank < 0 ? 0 : rank) % count);
  }
  int index = -1;
  if (name == "cuda") {
    index = 0;
  } else if (name.rfind("cuda:", 0) == 0 && name.size() > 5 && name.size() < 10 &&
             name.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::stoi(name.substr(5));
  } else {
    throw std::invalid_argument("unknown device '" + name + "' (valid: cpu, cuda, cuda:N, auto)");
  }
  if (!cuda)
    throw std::invalid_argument("device '" + name + "' requested, but CUDA is not available");
  if (index >= count)
    throw std::invalid_argument("device '" + name + "' requested, but only " +
                                std::to_string(count) + " CUDA device(s) exist");
  return "cuda:" + std::to_string(index);
}

}  // namespace deepsolve::learned
