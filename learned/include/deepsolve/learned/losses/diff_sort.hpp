// A differentiable sorting network: odd-even transposition sort with relaxed comparators.
//
// Petersen, Borgelt, Kuehne & Deussen, "Differentiable Sorting Networks for Scalable Sorting and
// Ranking Supervision" (ICML 2021, arXiv 2105.04019) and "Monotonic Differentiable Sorting
// Networks" (ICLR 2022, arXiv 2203.09630; the Cauchy relaxation).
//
// n values are sorted in ascending order by n layers of comparators; layer k compares the
// neighbours (i, i+1) for i = k mod 2, k mod 2 + 2, ... Each comparator of a <= b (positions i,
// i+1) is relaxed with α = f(steepness · (b - a)), the probability that the pair is in order:
//   min <- α a + (1 - α) b,  max <- (1 - α) a + α b,
// and the same mixing is applied to the columns i, i+1 of the soft permutation matrix P, which
// starts as the identity. P[j, r] is the probability that input element j ends at rank r (rank 0
// the smallest); its rows and columns sum to 1 and sorted = x · P.
// Relaxations f(v): logistic σ(v); logistic_phi σ(v / (|b - a| + 1e-10)^λ) (λ = art_lambda, the
// "activation replacement trick", the only one that uses it); cauchy atan(v)/π + 1/2 (monotonic).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace deepsolve::learned {

enum class SortRelaxation { logistic, logistic_phi, cauchy };

/// "logistic", "logistic_phi", "cauchy".
std::string relaxation_name(SortRelaxation relaxation);

/// The relaxation called `name` ("logistic-phi" too); std::invalid_argument listing the names.
SortRelaxation relaxation_from_name(const std::string& name);

struct SoftSortResult {
  at::Tensor values;       ///< [B, n] the relaxed sorted values, ascending
  at::Tensor permutation;  ///< [B, n, n] P[b, j, r]: mass of element j at rank r
};

/// Sorts each row of x [B, n] (or [n]) with the odd-even network. steepness > 0, art_lambda >= 0.
SoftSortResult odd_even_soft_sort(const at::Tensor& x, double steepness = 1.0,
                                  SortRelaxation relaxation = SortRelaxation::cauchy,
                                  double art_lambda = 0.25);

}  // namespace deepsolve::learned
