// An indexed binary max-heap of |g_i|: the greedy (Gauss-Southwell) coordinate rule on a sparse
// graph in O(degree x log n) per iteration, since a coordinate update changes only its
// neighbours' gradients (Nutini, Laradji & Schmidt, JMLR 2022, Sec. 2.4 and B8 of our notes;
// Meshi, Jaakkola & Globerson 2012 for the heap).
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

namespace deepsolve::bcd {

class GradientMaxHeap {
 public:
  GradientMaxHeap() = default;
  /// The heap of |g_i| for every i.
  explicit GradientMaxHeap(const Eigen::VectorXd& g) { rebuild(g); }

  void rebuild(const Eigen::VectorXd& g) {
    const auto n = static_cast<std::size_t>(g.size());
    key_.resize(n);
    heap_.resize(n);
    where_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      key_[i] = std::abs(g[static_cast<Eigen::Index>(i)]);
      heap_[i] = static_cast<int>(i);
      where_[i] = i;
    }
    for (std::size_t k = n / 2; k-- > 0;) sift_down(k);
  }
  /// The index of the largest |g_i| (the first of equals is not guaranteed).
  int top() const {
    if (heap_.empty()) throw std::logic_error("GradientMaxHeap: empty");
    return heap_.front();
  }
  double top_key() const { return key_[static_cast<std::size_t>(top())]; }
  /// g_i changed to `value`.
  void update(int i, double value) {
    const auto s = static_cast<std::size_t>(i);
    const double old = key_[s];
    key_[s] = std::abs(value);
    if (key_[s] > old)
      sift_up(where_[s]);
    else
      sift_down(where_[s]);
  }
  std::size_t size() const { return heap_.size(); }

 private:
  bool above(std::size_t a, std::size_t b) const {  // heap positions
    return key_[static_cast<std::size_t>(heap_[a])] > key_[static_cast<std::size_t>(heap_[b])];
  }
  void swap_positions(std::size_t a, std::size_t b) {
    std::swap(heap_[a], heap_[b]);
    where_[static_cast<std::size_t>(heap_[a])] = a;
    where_[static_cast<std::size_t>(heap_[b])] = b;
  }
  void sift_up(std::size_t k) {
    while (k > 0) {
      const std::size_t parent = (k - 1) / 2;
      if (!above(k, parent)) break;
      swap_positions(k, parent);
      k = parent;
    }
  }
  void sift_down(std::size_t k) {
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t best = k;
      const std::size_t left = 2 * k + 1;
      const std::size_t right = left + 1;
      if (left < n && above(left, best)) best = left;
      if (right < n && above(right, best)) best = right;
      if (best == k) return;
      swap_positions(k, best);
      k = best;
    }
  }

  std::vector<double> key_;
  std::vector<int> heap_;
  std::vector<std::size_t> where_;
};

}  // namespace deepsolve::bcd
