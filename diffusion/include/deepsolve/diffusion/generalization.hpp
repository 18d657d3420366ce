// The measures of memorization and generalization of Kadkhodaie, Guth, Simoncelli & Mallat
// ("Generalization in diffusion models arises from geometry-adaptive harmonic representations",
// ICLR 2024): two denoisers trained on disjoint sets of N images sample from the same noise; when
// N is small each reproduces its own training images (the samples of the two models differ, and
// each is close to one of its training images); when N is large both learn the same density and
// their samples nearly coincide. The similarity of two images is the cosine of their
// mean-removed pixels (the correlation coefficient over pixels), as in their image-set
// correlation.
//
// All functions take batches [N, ...] (any sample shape, compared as flattened vectors), return
// float64 CPU tensors, and give cosine 0 where an image is constant (no variation to compare).
#pragma once

#include <ATen/Tensor.h>

namespace deepsolve::diffusion {

/// The cosine of corresponding samples: [N] for a, b of the same shape [N, ...]. Throws
/// std::invalid_argument when the shapes differ or N = 0.
at::Tensor sample_cosine(const at::Tensor& a, const at::Tensor& b);

/// Every pair: [Na, Nb] for a [Na, ...] and b [Nb, ...] with the same sample size. Throws
/// std::invalid_argument when the sample sizes differ or a set is empty.
at::Tensor cosine_matrix(const at::Tensor& a, const at::Tensor& b);

struct NearestCosine {
  at::Tensor cosine;  ///< [N] float64: the largest cosine of each sample to a training image
  at::Tensor index;   ///< [N] int64: the training image attaining it
};

/// For each sample the most similar training image. The training set is scanned in blocks, so a
/// large set costs no [N, M] matrix. Throws std::invalid_argument like cosine_matrix.
NearestCosine nearest_cosine(const at::Tensor& samples, const at::Tensor& training_set);

}  // namespace deepsolve::diffusion
