// The tree-structured block experiments of `bcd reproduce`: Fig. 6 of Nutini, Laradji & Schmidt
// (JMLR 2022, arXiv 1712.08859) on seeded analogs of its label propagation datasets D (a 50 x 50
// lattice) and E (two moons, 5-nearest-neighbour graph): Greedy Tree, Tree Partitions, Random
// Tree, Red-Black and General blocks, each solved exactly (message passing on forests).
#pragma once

#include <cstdint>
#include <vector>

#include "experiment.hpp"

namespace bcd_example {

// Runs the experiments (quick: smaller graphs and fewer iterations, seconds in all) and checks
// the orderings the paper reports on the measured curves.
std::vector<Experiment> tree_experiments(bool quick, std::uint64_t seed);

}  // namespace bcd_example
