// Distances between two sets of samples, for judging a sampler against a reference set (e.g.
// samples of the true distribution of an analytic data set).
//
// All take a [n, ...] and b [m, ...] of any floating dtype with the same per-sample shape (each
// sample is flattened to a vector of dimension d), compute in float64 and throw
// std::invalid_argument for an undefined or empty set, a set with too few samples for the
// estimator, or different sample shapes. Pairwise terms are summed in blocks of at most 1024 x
// 1024, so two sets of a few thousand points need a few MB.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>

namespace deepsolve::diffusion {

/// Sliced Wasserstein distance (Rabin, Peyre, Delon & Bernot 2011; Bonneel et al. 2015):
///   SW_p(a, b) = ( (1/L) sum_l W_p^p(<theta_l, a>, <theta_l, b>) )^(1/p)
/// over L = projections random unit directions theta_l (normalised Gaussian vectors, from
/// `seed`). Each 1-D W_p is exact: the integral over t in (0, 1) of |F_a^-1(t) - F_b^-1(t)|^p of
/// the two empirical quantile functions, evaluated on the merged breakpoints {i/n} and {j/m}
/// (so n != m is handled exactly). p >= 1. For N(0, I) against N(mu, I) in d dimensions,
/// SW_2 -> |mu| / sqrt(d).
double sliced_wasserstein(const at::Tensor& a, const at::Tensor& b, std::int64_t projections = 128,
                          std::uint64_t seed = 0, double p = 2.0);

/// Unbiased estimate of the squared maximum mean discrepancy with the Gaussian kernel
/// k(x, y) = exp(-|x - y|^2 / (2 h^2)) (Gretton et al., JMLR 2012, eq. 3): the means of k over
/// distinct pairs within a and within b minus twice the mean over pairs across. bandwidth h > 0,
/// or 0 for the median heuristic: h = the median distance between pairs of the pooled samples
/// (of an evenly strided subset of at most 1000 of them). Needs n, m >= 2; may be slightly
/// negative when the distributions agree.
double mmd_rbf(const at::Tensor& a, const at::Tensor& b, double bandwidth = 0.0);

/// Energy distance (Szekely & Rizzo 2013): 2 E|X - Y| - E|X - X'| - E|Y - Y'|, each mean over
/// all n^2, n m, m^2 pairs (the V-statistic, >= 0; not square-rooted). 0 iff the empirical
/// distributions are equal.
double energy_distance(const at::Tensor& a, const at::Tensor& b);

}  // namespace deepsolve::diffusion
