// An owning handle for a PETSc Vec, and the Krylov vector space over it (MPI-parallel, CPU).
#pragma once

#include <petscksp.h>
#include <petscvec.h>

#include <utility>

#include "deepsolve/solvers/petsc/error.hpp"

namespace deepsolve::petsc {

class Vector {
 public:
  Vector() = default;
  /// Takes ownership of v (destroyed with the Vector).
  explicit Vector(Vec v) : v_(v) {}
  Vector(const Vector&) = delete;
  Vector& operator=(const Vector&) = delete;
  Vector(Vector&& o) noexcept : v_(std::exchange(o.v_, nullptr)) {}
  Vector& operator=(Vector&& o) noexcept {
    if (this != &o) {
      reset();
      v_ = std::exchange(o.v_, nullptr);
    }
    return *this;
  }
  ~Vector() { reset(); }
  void reset() {
    if (v_) VecDestroy(&v_);
  }
  Vec get() const { return v_; }
  operator Vec() const { return v_; }

 private:
  Vec v_ = nullptr;
};

struct PetscSpace {
  using vector = Vector;
  vector create_like(const vector& v) const {
    Vec out;
    DEEPSOLVE_PETSC_CALL(VecDuplicate(v, &out));
    DEEPSOLVE_PETSC_CALL(VecZeroEntries(out));
    return Vector(out);
  }
  double dot(const vector& a, const vector& b) const {
    PetscScalar d;
    DEEPSOLVE_PETSC_CALL(VecDot(a, b, &d));
    return PetscRealPart(d);
  }
  void axpy(double alpha, const vector& x, vector& y) const {
    DEEPSOLVE_PETSC_CALL(VecAXPY(y, alpha, x));
  }
  void aypx(double alpha, const vector& x, vector& y) const {
    DEEPSOLVE_PETSC_CALL(VecAYPX(y, alpha, x));
  }
  void copy(const vector& src, vector& dst) const { DEEPSOLVE_PETSC_CALL(VecCopy(src, dst)); }
  void scale(double alpha, vector& x) const { DEEPSOLVE_PETSC_CALL(VecScale(x, alpha)); }
  void set_zero(vector& x) const { DEEPSOLVE_PETSC_CALL(VecZeroEntries(x)); }
};

/// The operator of a PETSc Mat as a callable for the Krylov methods.
struct MatOperator {
  Mat A;
  void operator()(const Vector& x, Vector& y) const { DEEPSOLVE_PETSC_CALL(MatMult(A, x, y)); }
};

/// A set-up PETSc PC as a preconditioner callable for the Krylov methods.
struct PcPreconditioner {
  PC pc;
  void operator()(const Vector& r, Vector& z) const { DEEPSOLVE_PETSC_CALL(PCApply(pc, r, z)); }
};

}  // namespace deepsolve::petsc
