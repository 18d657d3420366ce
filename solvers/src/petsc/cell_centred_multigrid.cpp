// Geometric multigrid for the cell-centred Poisson problem on a DMDA hierarchy: PCMG levels from
// DMDA coarsening (every axis halved), cell-centred bi/trilinear interpolation, and Galerkin coarse
// operators restricted to the fluid cells.
#include "deepsolve/solvers/petsc/cell_centred_multigrid.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

namespace deepsolve::petsc {

namespace {

/// PETSc's global numbering of a DMDA's cells: ranks in order (x fastest), each rank's box with
/// x fastest. Lets a rank name cells it does not own without a ghosted local-to-global map.
class DmdaNumbering {
 public:
  explicit DmdaNumbering(DM da) {
    PetscInt procs[3] = {1, 1, 1};
    DEEPSOLVE_PETSC_CALL(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, &procs[0], &procs[1],
                                     &procs[2], nullptr, nullptr, nullptr, nullptr, nullptr,
                                     nullptr));
    const PetscInt* owned[3] = {nullptr, nullptr, nullptr};
    DEEPSOLVE_PETSC_CALL(DMDAGetOwnershipRanges(da, &owned[0], &owned[1], &owned[2]));
    for (int d = 0; d < 3; ++d) {
      start_[d].assign(1, 0);
      for (PetscInt p = 0; p < procs[d]; ++p)
        start_[d].push_back(start_[d].back() + (owned[d] ? owned[d][p] : 1));
    }
    PetscInt offset = 0;
    for (PetscInt pz = 0; pz < procs[2]; ++pz)
      for (PetscInt py = 0; py < procs[1]; ++py)
        for (PetscInt px = 0; px < procs[0]; ++px) {
          offset_.push_back(offset);
          offset += extent(0, px) * extent(1, py) * extent(2, pz);
        }
  }

  PetscInt global(const std::array<PetscInt, 3>& cell) const {
    std::array<PetscInt, 3> p{};
    for (int d = 0; d < 3; ++d)
      p[d] = std::upper_bound(start_[d].begin(), start_[d].end(), cell[d]) - start_[d].begin() - 1;
    const PetscInt rank = p[0] + procs(0) * (p[1] + procs(1) * p[2]);
    return offset_[rank] + (cell[0] - start_[0][p[0]]) +
           extent(0, p[0]) *
               ((cell[1] - start_[1][p[1]]) + extent(1, p[1]) * (cell[2] - start_[2][p[2]]));
  }

 private:
  PetscInt procs(int d) const { return static_cast<PetscInt>(start_[d].size()) - 1; }
  PetscInt extent(int d, PetscInt p) const { return start_[d][p + 1] - start_[d][p]; }
  std::vector<PetscInt> start_[3];
  std::vector<PetscInt> offset_;
};

/// Cell-centred linear interpolation from `coarse` (every axis halved) to `fine`: along each axis a
/// fine cell takes 3/4 of its parent and 1/4 of the parent's neighbour on its side; past a domain
/// face the neighbour is the mirror image of the parent (-parent for Dirichlet, +parent for
/// Neumann). Bilinear/trilinear overall. With Galerkin coarse operators this keeps the V-cycle's
/// convergence independent of h, which piecewise-constant (Q0) transfer does not (m_P + m_R = 2 is
/// not larger than the order of the Laplacian; Wesseling, "An Introduction to Multigrid Methods",
/// 1992). Rows of inactive fine cells (`active[c] == 0`, this rank's cells in DMDA order: solid and
/// air cells on the finest level) are kept as explicit zeros, so the Galerkin product sees only the
/// fluid part of the operator and the coarse pattern still has every diagonal entry.
Mat cell_centred_interpolation(DM coarse, DM fine, const Grid& grid,
                               const std::vector<char>& active) {
  const int dim = grid.dim();
  std::array<PetscInt, 3> nc{1, 1, 1}, xs{0, 0, 0}, xm{1, 1, 1}, cxs{0, 0, 0}, cxm{1, 1, 1};
  DEEPSOLVE_PETSC_CALL(DMDAGetInfo(coarse, nullptr, &nc[0], &nc[1], &nc[2], nullptr, nullptr,
                                   nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
  DEEPSOLVE_PETSC_CALL(DMDAGetCorners(fine, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  DEEPSOLVE_PETSC_CALL(
      DMDAGetCorners(coarse, &cxs[0], &cxs[1], &cxs[2], &cxm[0], &cxm[1], &cxm[2]));
  if (dim == 2) nc[2] = xm[2] = cxm[2] = 1, xs[2] = cxs[2] = 0;
  const DmdaNumbering fine_ids(fine), coarse_ids(coarse);

  const PetscInt rows = xm[0] * xm[1] * xm[2], cols = cxm[0] * cxm[1] * cxm[2];
  if (static_cast<PetscInt>(active.size()) != rows)
    throw std::logic_error("cell_centred_interpolation: activity mask has the wrong length");
  const PetscInt per_row = dim == 3 ? 8 : 4;
  Mat P;
  DEEPSOLVE_PETSC_CALL(MatCreateAIJ(PetscObjectComm((PetscObject)fine), rows, cols, PETSC_DETERMINE,
                                    PETSC_DETERMINE, per_row, nullptr, per_row, nullptr, &P));

  // Per axis: the coarse cells a fine index interpolates from, and their weights.
  struct Axis {
    int n = 1;
    PetscInt cell[2] = {0, 0};
    double weight[2] = {1.0, 0.0};
  };
  auto axis = [&](int d, PetscInt i) {
    Axis a;
    if (d >= dim) return a;
    const PetscInt parent = i / 2, other = i % 2 == 0 ? parent - 1 : parent + 1;
    a.cell[0] = parent;
    if (other >= 0 && other < nc[d]) {
      a.n = 2;
      a.cell[1] = other;
      a.weight[0] = 0.75;
      a.weight[1] = 0.25;
    } else {
      const auto face = static_cast<solvers::Face>(2 * d + (other < 0 ? 0 : 1));
      a.weight[0] = grid.boundary(face) == solvers::Boundary::dirichlet ? 0.5 : 1.0;
    }
    return a;
  };

  PetscInt col[8];
  PetscScalar val[8];
  std::size_t local = 0;
  for (PetscInt k = xs[2]; k < xs[2] + xm[2]; ++k) {
    const Axis az = axis(2, k);
    for (PetscInt j = xs[1]; j < xs[1] + xm[1]; ++j) {
      const Axis ay = axis(1, j);
      for (PetscInt i = xs[0]; i < xs[0] + xm[0]; ++i, ++local) {
        const Axis ax = axis(0, i);
        const double scale = active[local] ? 1.0 : 0.0;
        int n = 0;
        for (int c = 0; c < az.n; ++c)
          for (int b = 0; b < ay.n; ++b)
            for (int a = 0; a < ax.n; ++a) {
              col[n] = coarse_ids.global({ax.cell[a], ay.cell[b], az.cell[c]});
              val[n++] = scale * ax.weight[a] * ay.weight[b] * az.weight[c];
            }
        const PetscInt row = fine_ids.global({i, j, k});
        DEEPSOLVE_PETSC_CALL(MatSetValues(P, 1, &row, n, col, val, INSERT_VALUES));
      }
    }
  }
  DEEPSOLVE_PETSC_CALL(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  DEEPSOLVE_PETSC_CALL(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  return P;
}

/// Coarse cells that no active fine cell interpolates from have an empty row and column in the
/// Galerkin product: give them the largest diagonal (decoupled, so harmless, and inside the
/// spectrum the smoothers expect) and report which cells are active.
std::vector<char> fix_inactive_rows(Mat Ac) {
  Vec diag;
  DEEPSOLVE_PETSC_CALL(MatCreateVecs(Ac, &diag, nullptr));
  DEEPSOLVE_PETSC_CALL(MatGetDiagonal(Ac, diag));
  PetscReal largest = 1.0;
  DEEPSOLVE_PETSC_CALL(VecMax(diag, nullptr, &largest));
  if (!(largest > 0.0)) largest = 1.0;
  PetscInt n;
  PetscScalar* d;
  DEEPSOLVE_PETSC_CALL(VecGetLocalSize(diag, &n));
  DEEPSOLVE_PETSC_CALL(VecGetArray(diag, &d));
  std::vector<char> active(static_cast<std::size_t>(n));
  for (PetscInt i = 0; i < n; ++i) {
    active[i] = PetscRealPart(d[i]) != 0.0;
    d[i] = active[i] ? 0.0 : largest;
  }
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(diag, &d));
  DEEPSOLVE_PETSC_CALL(MatSetOption(Ac, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
  DEEPSOLVE_PETSC_CALL(MatDiagonalSet(Ac, diag, ADD_VALUES));
  VecDestroy(&diag);
  return active;
}

/// Gives PCMG its levels: DMDA coarsening (every axis halved) for the layouts,
/// cell_centred_interpolation, and Galerkin coarse operators P^T A P computed here so that cells
/// outside the fluid drop out; or, for "q0", PETSc's own DMDA_Q0 transfer and Galerkin products
/// from the KSP's DM.
}  // namespace

void set_cell_centred_multigrid(KSP ksp, PC pc, const DmdaPoisson& problem) {
  PetscInt levels = 1;
  DEEPSOLVE_PETSC_CALL(PCMGGetLevels(pc, &levels));
  const int supported = multigrid_levels(problem);
  if (levels > supported)
    throw std::invalid_argument(
        "gmg: " + std::to_string(levels) + " multigrid levels requested, the " +
        "grid and its distribution support at most " + std::to_string(supported));
  char interpolation[16] = "linear";
  PetscBool set = PETSC_FALSE;
  DEEPSOLVE_PETSC_CALL(PetscOptionsGetString(nullptr, nullptr, "-deepsolve_gmg_interpolation",
                                             interpolation, sizeof interpolation, &set));
  const std::string kind = interpolation;
  if (kind == "q0") {
    DEEPSOLVE_PETSC_CALL(KSPSetDM(ksp, problem.dm()));
    DEEPSOLVE_PETSC_CALL(KSPSetDMActive(ksp, PETSC_FALSE));  // operators are ours, not the DM's
    return;
  }
  if (kind != "linear")
    throw std::invalid_argument("-deepsolve_gmg_interpolation: unknown value '" + kind +
                                "' (valid: linear, q0)");
  DEEPSOLVE_PETSC_CALL(PCMGSetGalerkin(pc, PC_MG_GALERKIN_NONE));

  const Grid& grid = problem.grid();
  const Box& box = problem.owned_box();
  std::vector<char> active;  // the finest level: fluid cells
  for (int k = box.lo[2]; k < box.lo[2] + box.n[2]; ++k)
    for (int j = box.lo[1]; j < box.lo[1] + box.n[1]; ++j)
      for (int i = box.lo[0]; i < box.lo[0] + box.n[0]; ++i)
        active.push_back(grid.cell(i, j, k) == solvers::CellType::fluid);

  DM fine = problem.dm();
  Mat A = problem.matrix();
  DEEPSOLVE_PETSC_CALL(PetscObjectReference((PetscObject)fine));
  DEEPSOLVE_PETSC_CALL(PetscObjectReference((PetscObject)A));
  DM coarse = nullptr;
  Mat P = nullptr, Ac = nullptr;
  try {
    for (PetscInt level = levels - 1; level > 0; --level) {
      DEEPSOLVE_PETSC_CALL(DMCoarsen(fine, PetscObjectComm((PetscObject)fine), &coarse));
      P = cell_centred_interpolation(coarse, fine, grid, active);
      DEEPSOLVE_PETSC_CALL(MatPtAP(A, P, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &Ac));
      active = fix_inactive_rows(Ac);
      DEEPSOLVE_PETSC_CALL(PCMGSetInterpolation(pc, level, P));
      KSP smoother;
      DEEPSOLVE_PETSC_CALL(PCMGGetSmoother(pc, level - 1, &smoother));
      DEEPSOLVE_PETSC_CALL(KSPSetOperators(smoother, Ac, Ac));
      MatDestroy(&P);
      MatDestroy(&A);
      DMDestroy(&fine);
      A = std::exchange(Ac, nullptr);
      fine = std::exchange(coarse, nullptr);
    }
  } catch (...) {
    MatDestroy(&P);
    MatDestroy(&Ac);
    DMDestroy(&coarse);
    MatDestroy(&A);
    DMDestroy(&fine);
    throw;
  }
  MatDestroy(&A);
  DMDestroy(&fine);
}

int multigrid_levels(const DmdaPoisson& problem) {
  PetscInt procs[3] = {1, 1, 1};
  DEEPSOLVE_PETSC_CALL(DMDAGetInfo(problem.dm(), nullptr, nullptr, nullptr, nullptr, &procs[0],
                                   &procs[1], &procs[2], nullptr, nullptr, nullptr, nullptr,
                                   nullptr, nullptr));
  auto n = problem.grid().size();
  int levels = 1;
  for (;;) {
    bool ok = true;
    for (int d = 0; d < problem.grid().dim(); ++d)
      ok = ok && n[d] % 2 == 0 && n[d] / 2 >= std::max<int>(4, static_cast<int>(procs[d]));
    if (!ok) break;
    for (int d = 0; d < problem.grid().dim(); ++d) n[d] /= 2;
    ++levels;
  }
  return levels;
}

}  // namespace deepsolve::petsc
