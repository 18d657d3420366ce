// The tree-structured block experiments of `bcd reproduce`: Fig. 6 of Nutini, Laradji & Schmidt
// (JMLR 2022, arXiv 1712.08859) on seeded analogs of its label propagation datasets D (a 50 x 50
// lattice) and E (two moons, 5-nearest-neighbour graph): Greedy Tree, Tree Partitions, Random
// Tree, Red-Black and General blocks, each solved exactly (message passing on forests).
#pragma once

#include <cstdint>
#include <vector>

#include "experiment.hpp"

namespace bcd_example {

// Runs the experiments (quick: smaller graphs, well under a second in all) with `iterations`
// block updates per rule (the paper: 500) and checks the orderings the paper reports on the
// measured curves. The curves' objective is f(x) - f* (measured as (1/2)(x - x*)^T A (x - x*),
// exact where f itself has lost the digits), so each Experiment's optimum is 0; f* is in its
// title. Throws std::invalid_argument for iterations < 1.
std::vector<Experiment> tree_experiments(bool quick, std::uint64_t seed, int iterations = 500);

}  // namespace bcd_example
