// Direction models for the conjugate-direction iteration (krylov/conjugate_directions.hpp) that
// work on whole-grid float64 arrays in natural ordering: the learned network (network_direction.hpp)
// and classical stand-ins (identity, Jacobi) so the same iteration can be compared against each.
// Adapters for each vector space live with the space (EigenSpace: a lambda; PETSc: petsc/dcdm_ksp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers::dcdm {

class DirectionModel {
 public:
  virtual ~DirectionModel() = default;
  /// One line for logs and -ksp_view, e.g. "network models/dcdm_3d_32.pt (3D, 97457 parameters)".
  virtual std::string describe() const = 0;
  /// q = f(r) for a unit-norm residual r; both have grid.num_cells() entries.
  virtual void apply(const double* r, double* q) = 0;
};

/// q = r: the iteration becomes CG (in exact arithmetic).
class IdentityDirection final : public DirectionModel {
 public:
  explicit IdentityDirection(const Grid& grid) : n_(grid.num_cells()) {}
  std::string describe() const override { return "identity"; }
  void apply(const double* r, double* q) override;

 private:
  std::int64_t n_;
};

/// q = D^{-1} r with D the operator's diagonal.
class JacobiDirection final : public DirectionModel {
 public:
  explicit JacobiDirection(const Grid& grid);
  std::string describe() const override { return "jacobi"; }
  void apply(const double* r, double* q) override;

 private:
  std::vector<double> inverse_diagonal_;
};

}  // namespace deepsolve::solvers::dcdm
