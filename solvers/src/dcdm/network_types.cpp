// The one place that lists the DCDM direction networks: each type's ModelType is defined in its
// own file, next to its module.
#include <mutex>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/solvers/dcdm/direction_module.hpp"

namespace deepsolve::solvers::dcdm {

learned::ModelType cnn_model_type();     // network.cpp
learned::ModelType vcycle_model_type();  // vcycle_network.cpp

void register_direction_networks() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& registry = learned::ModelRegistry::instance();
    registry.add(cnn_model_type());
    registry.add(vcycle_model_type());
  });
}

}  // namespace deepsolve::solvers::dcdm
