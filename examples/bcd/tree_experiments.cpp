#include "tree_experiments.hpp"

#include <stdexcept>

namespace bcd_example {

std::vector<Experiment> tree_experiments(bool /*quick*/, std::uint64_t /*seed*/) {
  throw std::runtime_error("tree_experiments: not implemented yet (work in progress)");
}

}  // namespace bcd_example
