#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

#include <cmath>
#include <stdexcept>

#include "deepsolve/solvers/rhs.hpp"
#include "deepsolve/solvers/stencil.hpp"

namespace deepsolve::petsc {

namespace {

PetscErrorCode shell_mult(Mat A, Vec x, Vec y) {
  void* ctx = nullptr;
  PetscCall(MatShellGetContext(A, &ctx));
  try {
    static_cast<const DmdaPoisson*>(ctx)->apply_matrix_free(x, y);
  } catch (const Error& e) {
    return e.code();
  } catch (const std::exception& e) {
    SETERRQ(PetscObjectComm((PetscObject)A), PETSC_ERR_LIB, "%s", e.what());
  }
  return 0;
}

}  // namespace

DmdaPoisson::DmdaPoisson(MPI_Comm comm, const Grid& grid) : comm_(comm), grid_(grid) {
  try {
    create();
  } catch (...) {  // a half-built object gets no destructor call: free what exists
    destroy();
    throw;
  }
}

void DmdaPoisson::create() {
  const MPI_Comm comm = comm_;
  const Grid& grid = grid_;
  const auto& n = grid.size();
  if (grid.dim() == 2) {
    DEEPSOLVE_PETSC_CALL(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                                      n[0], n[1], PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr,
                                      nullptr, &da_));
  } else {
    DEEPSOLVE_PETSC_CALL(DMDACreate3d(
        comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n[0], n[1],
        n[2], PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr, nullptr, nullptr, &da_));
  }
  DEEPSOLVE_PETSC_CALL(DMSetFromOptions(da_));
  DEEPSOLVE_PETSC_CALL(DMSetUp(da_));
  // Cell-centred unknowns: multigrid coarsening halves the cell count (not the vertex count).
  DEEPSOLVE_PETSC_CALL(DMDASetInterpolationType(da_, DMDA_Q0));
  PetscInt xs, ys, zs, xm, ym, zm, gxs, gys, gzs, gxm, gym, gzm;
  DEEPSOLVE_PETSC_CALL(DMDAGetCorners(da_, &xs, &ys, &zs, &xm, &ym, &zm));
  DEEPSOLVE_PETSC_CALL(DMDAGetGhostCorners(da_, &gxs, &gys, &gzs, &gxm, &gym, &gzm));
  owned_ = Box{{int(xs), int(ys), int(zs)}, {int(xm), int(ym), int(zm)}};
  ghosted_ = Box{{int(gxs), int(gys), int(gzs)}, {int(gxm), int(gym), int(gzm)}};
  if (grid.dim() == 2) owned_.lo[2] = ghosted_.lo[2] = 0, owned_.n[2] = ghosted_.n[2] = 1;
  stencil_ = std::make_unique<solvers::StencilOperator>(grid_, owned_);
  assemble();

  PetscInt local, global;
  DEEPSOLVE_PETSC_CALL(MatGetLocalSize(A_, &local, nullptr));
  DEEPSOLVE_PETSC_CALL(MatGetSize(A_, &global, nullptr));
  DEEPSOLVE_PETSC_CALL(MatCreateShell(comm, local, local, global, global, this, &shell_));
  DEEPSOLVE_PETSC_CALL(MatShellSetOperation(shell_, MATOP_MULT, (void (*)(void))shell_mult));
  DEEPSOLVE_PETSC_CALL(MatSetOption(shell_, MAT_SYMMETRIC, PETSC_TRUE));
  build_null_space();
}

DmdaPoisson::~DmdaPoisson() { destroy(); }

void DmdaPoisson::destroy() {
  MatNullSpaceDestroy(&null_space_);
  MatDestroy(&shell_);
  MatDestroy(&A_);
  DMDestroy(&da_);
}

void DmdaPoisson::assemble() {
  DEEPSOLVE_PETSC_CALL(DMSetMatType(da_, MATAIJ));
  DEEPSOLVE_PETSC_CALL(DMCreateMatrix(da_, &A_));
  const int dim = grid_.dim();
  for (int k = owned_.lo[2]; k < owned_.lo[2] + owned_.n[2]; ++k)
    for (int j = owned_.lo[1]; j < owned_.lo[1] + owned_.n[1]; ++j)
      for (int i = owned_.lo[0]; i < owned_.lo[0] + owned_.n[0]; ++i) {
        const solvers::StencilRow s = solvers::stencil_row(grid_, i, j, k);
        MatStencil row{k, j, i, 0};
        MatStencil cols[7];
        PetscScalar vals[7];
        int n = 0;
        cols[n] = row;
        vals[n++] = s.diag;
        for (int f = 0; f < 2 * dim; ++f) {
          if (s.off[f] == 0.0) continue;
          MatStencil c = row;
          const int delta = (f % 2 == 0) ? -1 : 1;
          (f / 2 == 0 ? c.i : f / 2 == 1 ? c.j : c.k) += delta;
          cols[n] = c;
          vals[n++] = -s.off[f];
        }
        DEEPSOLVE_PETSC_CALL(MatSetValuesStencil(A_, 1, &row, n, cols, vals, INSERT_VALUES));
      }
  DEEPSOLVE_PETSC_CALL(MatAssemblyBegin(A_, MAT_FINAL_ASSEMBLY));
  DEEPSOLVE_PETSC_CALL(MatAssemblyEnd(A_, MAT_FINAL_ASSEMBLY));
  DEEPSOLVE_PETSC_CALL(MatSetOption(A_, MAT_SYMMETRIC, PETSC_TRUE));
  DEEPSOLVE_PETSC_CALL(MatSetOption(A_, MAT_SPD, PETSC_TRUE));
}

void DmdaPoisson::build_null_space() {
  const auto components = grid_.floating_components();
  if (components.empty()) return;
  std::vector<Vec> basis;
  for (const auto& cells : components) {
    std::vector<double> indicator(static_cast<std::size_t>(grid_.num_cells()), 0.0);
    const double value = 1.0 / std::sqrt(static_cast<double>(cells.size()));
    for (auto c : cells) indicator[static_cast<std::size_t>(c)] = value;
    Vec v;
    DEEPSOLVE_PETSC_CALL(DMCreateGlobalVector(da_, &v));
    set_from_grid_field(indicator, v);
    basis.push_back(v);
  }
  DEEPSOLVE_PETSC_CALL(MatNullSpaceCreate(comm_, PETSC_FALSE, static_cast<PetscInt>(basis.size()),
                                          basis.data(), &null_space_));
  for (Vec& v : basis) VecDestroy(&v);
  DEEPSOLVE_PETSC_CALL(MatSetNullSpace(A_, null_space_));
  DEEPSOLVE_PETSC_CALL(MatSetNullSpace(shell_, null_space_));
}

Vector DmdaPoisson::create_vector() const {
  Vec v;
  DEEPSOLVE_PETSC_CALL(DMCreateGlobalVector(da_, &v));
  return Vector(v);
}

void DmdaPoisson::set_owned_values(const std::vector<double>& owned, Vec v) const {
  if (static_cast<std::int64_t>(owned.size()) != owned_.num_cells())
    throw std::invalid_argument("owned field has " + std::to_string(owned.size()) +
                                " entries, this rank owns " + std::to_string(owned_.num_cells()));
  PetscScalar* a;
  DEEPSOLVE_PETSC_CALL(VecGetArray(v, &a));
  std::copy(owned.begin(), owned.end(), a);
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(v, &a));
}

void DmdaPoisson::set_from_grid_field(const std::vector<double>& full, Vec v) const {
  set_owned_values(solvers::restrict_to_box(grid_, full, owned_), v);
}

std::vector<double> DmdaPoisson::owned_values(Vec v) const {
  const PetscScalar* a;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(v, &a));
  std::vector<double> out(a, a + owned_.num_cells());
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(v, &a));
  return out;
}

std::vector<double> DmdaPoisson::gather_to_all(Vec v) const {
  Vec natural, all;
  VecScatter scatter;
  DEEPSOLVE_PETSC_CALL(DMDACreateNaturalVector(da_, &natural));
  DEEPSOLVE_PETSC_CALL(DMDAGlobalToNaturalBegin(da_, v, INSERT_VALUES, natural));
  DEEPSOLVE_PETSC_CALL(DMDAGlobalToNaturalEnd(da_, v, INSERT_VALUES, natural));
  DEEPSOLVE_PETSC_CALL(VecScatterCreateToAll(natural, &scatter, &all));
  DEEPSOLVE_PETSC_CALL(VecScatterBegin(scatter, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  DEEPSOLVE_PETSC_CALL(VecScatterEnd(scatter, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  const PetscScalar* a;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(all, &a));
  std::vector<double> out(a, a + grid_.num_cells());
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(all, &a));
  VecScatterDestroy(&scatter);
  VecDestroy(&all);
  VecDestroy(&natural);
  return out;
}

void DmdaPoisson::apply_matrix_free(Vec x, Vec y) const {
  PetscScalar* ya;
  const PetscScalar* xa;
  if (ghosted_ == owned_) {  // one rank owns everything: no ghosts to exchange, read x in place
    DEEPSOLVE_PETSC_CALL(VecGetArrayRead(x, &xa));
    DEEPSOLVE_PETSC_CALL(VecGetArray(y, &ya));
    stencil_->apply(xa, owned_, ya);
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(y, &ya));
    DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(x, &xa));
    return;
  }
  Vec local;
  DEEPSOLVE_PETSC_CALL(DMGetLocalVector(da_, &local));
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalBegin(da_, x, INSERT_VALUES, local));
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalEnd(da_, x, INSERT_VALUES, local));
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(local, &xa));
  DEEPSOLVE_PETSC_CALL(VecGetArray(y, &ya));
  stencil_->apply(xa, ghosted_, ya);
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(y, &ya));
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(local, &xa));
  DEEPSOLVE_PETSC_CALL(DMRestoreLocalVector(da_, &local));
}

double DmdaPoisson::null_space_fraction(Vec b) const {
  if (!null_space_) return 0.0;
  PetscReal bnorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(b, NORM_2, &bnorm));
  if (bnorm == 0.0) return 0.0;
  Vec copy;
  DEEPSOLVE_PETSC_CALL(VecDuplicate(b, &copy));
  DEEPSOLVE_PETSC_CALL(VecCopy(b, copy));
  DEEPSOLVE_PETSC_CALL(MatNullSpaceRemove(null_space_, copy));
  DEEPSOLVE_PETSC_CALL(VecAXPY(copy, -1.0, b));  // copy <- (I - P) b - b = -P b
  PetscReal pnorm;
  DEEPSOLVE_PETSC_CALL(VecNorm(copy, NORM_2, &pnorm));
  VecDestroy(&copy);
  return pnorm / bnorm;
}

void DmdaPoisson::project_out_null_space(Vec b) const {
  if (null_space_) DEEPSOLVE_PETSC_CALL(MatNullSpaceRemove(null_space_, b));
}

}  // namespace deepsolve::petsc
