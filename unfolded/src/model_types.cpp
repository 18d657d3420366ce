// The one place that lists the unfolded network types: each type's ModelType is defined in its
// own file, next to its module.
#include "deepsolve/unfolded/model_types.hpp"

#include <mutex>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/penalty.hpp"

namespace deepsolve::unfolded {

learned::ModelType unfolded_steps_model_type(Penalty penalty);  // unfolded_steps.cpp
learned::ModelType lista_model_type();                          // lista.cpp
learned::ModelType lista_cpss_model_type();                     // lista_cpss.cpp
learned::ModelType alista_model_type();                         // alista.cpp

void register_unfolded_networks() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& registry = learned::ModelRegistry::instance();
    registry.add(unfolded_steps_model_type(Penalty::l1));
    registry.add(unfolded_steps_model_type(Penalty::l0));
    registry.add(lista_model_type());
    registry.add(lista_cpss_model_type());
    registry.add(alista_model_type());
  });
}

}  // namespace deepsolve::unfolded
