// Disjoint sets with path halving and union by size (Tarjan 1975): the forest test of the tree
// block rules (a node joins a forest unless two of its neighbours already lie in one tree).
#pragma once

#include <numeric>
#include <utility>
#include <vector>

namespace deepsolve::bcd {

class UnionFind {
 public:
  UnionFind() = default;
  explicit UnionFind(int n) { reset(n); }

  /// n singletons.
  void reset(int n) {
    parent_.resize(static_cast<std::size_t>(n));
    std::iota(parent_.begin(), parent_.end(), 0);
    size_.assign(static_cast<std::size_t>(n), 1);
  }
  /// Makes i a singleton again (only valid when nothing else points to i: used to undo a
  /// node that was never united with anything).
  void make_singleton(int i) {
    parent_[static_cast<std::size_t>(i)] = i;
    size_[static_cast<std::size_t>(i)] = 1;
  }
  int find(int i) {
    while (parent_[static_cast<std::size_t>(i)] != i) {
      auto& p = parent_[static_cast<std::size_t>(i)];
      p = parent_[static_cast<std::size_t>(p)];  // path halving
      i = p;
    }
    return i;
  }
  /// Unites the sets of i and j; false when they were already one set (the edge would close a
  /// cycle).
  bool unite(int i, int j) {
    int a = find(i);
    int b = find(j);
    if (a == b) return false;
    if (size_[static_cast<std::size_t>(a)] < size_[static_cast<std::size_t>(b)]) std::swap(a, b);
    parent_[static_cast<std::size_t>(b)] = a;
    size_[static_cast<std::size_t>(a)] += size_[static_cast<std::size_t>(b)];
    return true;
  }
  int size() const { return static_cast<int>(parent_.size()); }

 private:
  std::vector<int> parent_;
  std::vector<int> size_;
};

}  // namespace deepsolve::bcd
