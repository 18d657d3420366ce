// An owning handle for a PETSc Vec, and the Krylov vector space over it (MPI-parallel, CPU).
#pragma once

#include <petscksp.h>
#include <petscvec.h>

#include <utility>

#if defined(PETSC_USE_COMPLEX)
#error "deepsolve needs a PETSc configured with real scalars"
#endif

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

/// The Krylov vector space over PETSc Vecs. The arithmetic runs as plain loops over the local
/// arrays (plus one MPI_Allreduce per dot product) rather than through VecDot/VecAXPY: Debian's
/// PETSc sends those to the reference BLAS, which made them the bottleneck of a CG iteration
/// (bench_cg). Real scalars only.
struct PetscSpace {
  using vector = Vector;
  vector create_like(const vector& v) const {
    Vec out;
    DEEPSOLVE_PETSC_CALL(VecDuplicate(v, &out));
    DEEPSOLVE_PETSC_CALL(VecZeroEntries(out));
    return Vector(out);
  }
  double dot(const vector& a, const vector& b) const {
    PetscInt n;
    const PetscScalar *x, *y;
    DEEPSOLVE_PETSC_CALL(VecGetLocalSize(a, &n));
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(a, &x));
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(b, &y));
    double local = 0.0;
    for (PetscInt i = 0; i < n; ++i) local += x[i] * y[i];
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(b, &y));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(a, &x));
    double global = 0.0;
    MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm((PetscObject)a.get()));
    return global;
  }
  /// y <- y + alpha x
  void axpy(double alpha, const vector& x, vector& y) const {
    update(x, y, [alpha](double xi, double yi) { return yi + alpha * xi; });
  }
  /// y <- x + alpha y
  void aypx(double alpha, const vector& x, vector& y) const {
    update(x, y, [alpha](double xi, double yi) { return xi + alpha * yi; });
  }
  void copy(const vector& src, vector& dst) const { DEEPSOLVE_PETSC_CALL(VecCopy(src, dst)); }
  void scale(double alpha, vector& x) const { DEEPSOLVE_PETSC_CALL(VecScale(x, alpha)); }
  void set_zero(vector& x) const { DEEPSOLVE_PETSC_CALL(VecZeroEntries(x)); }

 private:
  template <class F>
  static void update(const vector& x, vector& y, F f) {
    PetscInt n;
    PetscScalar* ya;
    DEEPSOLVE_PETSC_CALL(VecGetLocalSize(y, &n));
    if (x.get() == y.get()) {  // the same Vec cannot be locked for reading and writing at once
      DEEPSOLVE_PETSC_CALL(VecGetArray(y, &ya));
      for (PetscInt i = 0; i < n; ++i) ya[i] = f(ya[i], ya[i]);
      DEEPSOLVE_PETSC_CALL(VecRestoreArray(y, &ya));
      return;
    }
    const PetscScalar* xa;
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(x, &xa));
    DEEPSOLVE_PETSC_CALL(VecGetArray(y, &ya));
    for (PetscInt i = 0; i < n; ++i) ya[i] = f(xa[i], ya[i]);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(y, &ya));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(x, &xa));
  }
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
