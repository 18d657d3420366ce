// The vector-space policy the Krylov methods are written against (the AMGCL/Ginkgo idea: the
// algorithm files never name PETSc, Eigen or Torch). A Space provides
//
//   using vector = ...;                                   // owns its storage, movable
//   vector create_like(const vector& v) const;            // a new zero vector shaped like v
//   double dot(const vector& a, const vector& b) const;   // global (MPI-reduced) inner product
//   void axpy(double alpha, const vector& x, vector& y) const;  // y <- y + alpha x
//   void aypx(double alpha, const vector& x, vector& y) const;  // y <- x + alpha y
//   void copy(const vector& src, vector& dst) const;
//   void scale(double alpha, vector& x) const;
//   void set_zero(vector& x) const;
//
// and may provide fused forms, which the methods use when present (one pass over memory, one
// reduction for several dot products) and otherwise replace by the basic operations above:
//
//   double norm(const vector& x) const;                                    // sqrt(dot(x, x))
//   void mdot(const vector& x, int n, const vector* const* y, double* out) const;  // x . y[j]
//   void maxpy(int n, const double* alpha, const vector* const* x, vector& y) const;
//                                                          // y <- y + sum_j alpha[j] x[j]
//   void waxpy(double alpha, const vector& x, const vector& y, vector& w) const;  // alpha x + y
//   void scale_copy(double alpha, const vector& x, vector& y) const;             // y <- alpha x
//
// Operators and preconditioners are callables op(const vector& in, vector& out).
#pragma once

#include <cmath>
#include <type_traits>
#include <utility>

namespace deepsolve::solvers {

namespace detail {

template <class S>
using SpaceVector = typename S::vector;

template <class S, class = void>
struct has_norm : std::false_type {};
template <class S>
struct has_norm<
    S, std::void_t<decltype(std::declval<const S&>().norm(std::declval<const SpaceVector<S>&>()))>>
    : std::true_type {};

template <class S, class = void>
struct has_mdot : std::false_type {};
template <class S>
struct has_mdot<S, std::void_t<decltype(std::declval<const S&>().mdot(
                       std::declval<const SpaceVector<S>&>(), 0,
                       std::declval<const SpaceVector<S>* const*>(), std::declval<double*>()))>>
    : std::true_type {};

template <class S, class = void>
struct has_maxpy : std::false_type {};
template <class S>
struct has_maxpy<S,
                 std::void_t<decltype(std::declval<const S&>().maxpy(
                     0, std::declval<const double*>(), std::declval<const SpaceVector<S>* const*>(),
                     std::declval<SpaceVector<S>&>()))>> : std::true_type {};

template <class S, class = void>
struct has_waxpy : std::false_type {};
template <class S>
struct has_waxpy<S, std::void_t<decltype(std::declval<const S&>().waxpy(
                        0.0, std::declval<const SpaceVector<S>&>(),
                        std::declval<const SpaceVector<S>&>(), std::declval<SpaceVector<S>&>()))>>
    : std::true_type {};

template <class S, class = void>
struct has_scale_copy : std::false_type {};
template <class S>
struct has_scale_copy<
    S, std::void_t<decltype(std::declval<const S&>().scale_copy(
           0.0, std::declval<const SpaceVector<S>&>(), std::declval<SpaceVector<S>&>()))>>
    : std::true_type {};

}  // namespace detail

/// ||v||: the space's own norm when it has one, else sqrt(v . v).
template <class Space>
double norm(const Space& space, const typename Space::vector& v) {
  if constexpr (detail::has_norm<Space>::value)
    return space.norm(v);
  else
    return std::sqrt(space.dot(v, v));
}

/// out[j] = x . y[j] for j < n (one reduction when the space fuses them).
template <class Space>
void mdot(const Space& space, const typename Space::vector& x, int n,
          const typename Space::vector* const* y, double* out) {
  if constexpr (detail::has_mdot<Space>::value) {
    space.mdot(x, n, y, out);
  } else {
    for (int j = 0; j < n; ++j) out[j] = space.dot(x, *y[j]);
  }
}

/// y <- y + sum_j alpha[j] x[j] for j < n, in that order.
template <class Space>
void maxpy(const Space& space, int n, const double* alpha, const typename Space::vector* const* x,
           typename Space::vector& y) {
  if constexpr (detail::has_maxpy<Space>::value) {
    space.maxpy(n, alpha, x, y);
  } else {
    for (int j = 0; j < n; ++j) space.axpy(alpha[j], *x[j], y);
  }
}

/// w <- alpha x + y (w distinct from x and y).
template <class Space>
void waxpy(const Space& space, double alpha, const typename Space::vector& x,
           const typename Space::vector& y, typename Space::vector& w) {
  if constexpr (detail::has_waxpy<Space>::value) {
    space.waxpy(alpha, x, y, w);
  } else {
    space.copy(y, w);
    space.axpy(alpha, x, w);
  }
}

/// y <- alpha x (y distinct from x).
template <class Space>
void scale_copy(const Space& space, double alpha, const typename Space::vector& x,
                typename Space::vector& y) {
  if constexpr (detail::has_scale_copy<Space>::value) {
    space.scale_copy(alpha, x, y);
  } else {
    space.copy(x, y);
    space.scale(alpha, y);
  }
}

/// No preconditioner: the methods recognise this type and skip the z = M r step entirely.
struct IdentityPreconditioner {};

}  // namespace deepsolve::solvers
