// The Krylov vector space over Eigen::VectorXd (serial, CPU).
#pragma once

#include <Eigen/Core>

namespace deepsolve::solvers {

struct EigenSpace {
  using vector = Eigen::VectorXd;
  vector create_like(const vector& v) const { return vector::Zero(v.size()); }
  double dot(const vector& a, const vector& b) const { return a.dot(b); }
  void axpy(double alpha, const vector& x, vector& y) const { y += alpha * x; }
  void aypx(double alpha, const vector& x, vector& y) const { y = x + alpha * y; }
  void copy(const vector& src, vector& dst) const { dst = src; }
  void scale(double alpha, vector& x) const { x *= alpha; }
  void set_zero(vector& x) const { x.setZero(); }
};

}  // namespace deepsolve::solvers
