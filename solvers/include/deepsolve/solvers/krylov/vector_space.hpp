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
// Operators and preconditioners are callables op(const vector& in, vector& out).
#pragma once

#include <cmath>

namespace deepsolve::solvers {

template <class Space>
double norm(const Space& space, const typename Space::vector& v) {
  return std::sqrt(space.dot(v, v));
}

/// No preconditioner: the methods recognise this type and skip the z = M r step entirely.
struct IdentityPreconditioner {};

}  // namespace deepsolve::solvers
