// ALISTA's analytic weight (alista.hpp, analytic_weight), in closed form.
//
// The problem min ||W^T A||_F^2 s.t. w_i^T a_i = 1 for every i separates by columns of W:
// ||W^T A||_F^2 = sum_i sum_j (w_i^T a_j)^2 = sum_i w_i^T G w_i with G = A A^T, so each w_i
// minimises the convex quadratic w^T G w on the hyperplane w^T a_i = 1. Its optimality condition
// is G w = mu a_i for a multiplier mu. Since a_i lies in range(A) = range(G), the solutions are
// w = mu G^+ a_i + z with z in null(G) = null(A^T); z changes neither the objective nor the
// constraint (a_i is orthogonal to it), so the least-norm minimiser takes z = 0, and the
// constraint gives mu = 1 / (a_i^T G^+ a_i) (positive for a_i != 0, G^+ being positive definite
// on range(G)). Thus w_i = G^+ a_i / (a_i^T G^+ a_i), with coherence sum_j (w_i^T a_j)^2 =
// 1 / (a_i^T G^+ a_i). The projected gradient of the reference code keeps its iterates in
// range(A) when started from W = A, so it converges to this same minimiser.
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "deepsolve/learned/io/torch_messages.hpp"
#include "deepsolve/unfolded/alista.hpp"

namespace deepsolve::unfolded {

torch::Tensor analytic_weight(const torch::Tensor& A) {
  if (!A.defined() || A.dim() != 2 || A.numel() == 0 || !A.is_floating_point())
    throw std::invalid_argument(
        "ALISTA's analytic weight needs a floating, non-empty matrix A [m, n]; got " +
        (A.defined() ? learned::shape_string(A.sizes()) : std::string("none")));
  torch::NoGradGuard no_grad;
  const torch::Tensor a = A.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  if (!torch::isfinite(a).all().item<bool>())
    throw std::invalid_argument("ALISTA's analytic weight: A has non-finite entries");
  const torch::Tensor zero_columns = (a.abs().amax(0) == 0).nonzero();
  if (zero_columns.numel() > 0)
    throw std::invalid_argument("ALISTA's analytic weight: column " +
                                std::to_string(zero_columns[0][0].item<std::int64_t>()) +
                                " of A is zero, so no weight column w gives w^T a = 1");
  const std::int64_t m = a.size(0), n = a.size(1);
  // Eigenvalues of G below this fraction of the largest are round-off of a rank-deficient G.
  const double rcond = double(std::max(m, n)) * std::numeric_limits<double>::epsilon();
  const torch::Tensor gram_pinv = torch::linalg::pinv(a.matmul(a.t()), rcond, /*hermitian=*/true);
  const torch::Tensor directions = gram_pinv.matmul(a);  // column i: G^+ a_i
  const torch::Tensor scale = (a * directions).sum(0);   // a_i^T G^+ a_i
  return directions / scale;
}

}  // namespace deepsolve::unfolded
