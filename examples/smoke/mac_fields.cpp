#include "mac_fields.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "deepsolve/solvers/petsc/error.hpp"

namespace smoke {

namespace {

/// The split PETSc chooses for a cell-centred DMDA of n^dim cells (honouring -da_processors_*).
deepsolve::petsc::DmdaLayout cell_split(MPI_Comm comm, int dim, int n) {
  DM cells = nullptr;
  if (dim == 2)
    DEEPSOLVE_PETSC_CALL(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                                      n, n, PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr, nullptr,
                                      &cells));
  else
    DEEPSOLVE_PETSC_CALL(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                      DMDA_STENCIL_STAR, n, n, n, PETSC_DECIDE, PETSC_DECIDE,
                                      PETSC_DECIDE, 1, 1, nullptr, nullptr, nullptr, &cells));
  deepsolve::petsc::DmdaLayout layout;
  try {
    DEEPSOLVE_PETSC_CALL(DMSetFromOptions(cells));
    DEEPSOLVE_PETSC_CALL(DMSetUp(cells));
    PetscInt procs[3] = {1, 1, 1};
    DEEPSOLVE_PETSC_CALL(DMDAGetInfo(cells, nullptr, nullptr, nullptr, nullptr, &procs[0],
                                     &procs[1], &procs[2], nullptr, nullptr, nullptr, nullptr,
                                     nullptr, nullptr));
    const PetscInt* ranges[3] = {nullptr, nullptr, nullptr};
    DEEPSOLVE_PETSC_CALL(DMDAGetOwnershipRanges(cells, &ranges[0], &ranges[1], &ranges[2]));
    std::vector<int>* axes[3] = {&layout.x, &layout.y, &layout.z};
    for (int d = 0; d < dim; ++d) axes[d]->assign(ranges[d], ranges[d] + procs[d]);
  } catch (...) {
    DMDestroy(&cells);
    throw;
  }
  DMDestroy(&cells);
  return layout;
}

}  // namespace

MacFields::MacFields(MPI_Comm comm, int dim, int n, int ghost)
    : comm_(comm), dim_(dim), n_(n), ghost_(ghost) {
  cell_layout_ = cell_split(comm, dim, n);
  // The same split with the extra layer of high faces on the last rank column of each axis.
  std::vector<PetscInt> l[3];
  const std::vector<int>* axes[3] = {&cell_layout_.x, &cell_layout_.y, &cell_layout_.z};
  const char* names[3] = {"x", "y", "z"};
  for (int d = 0; d < dim; ++d) {
    for (int cells : *axes[d]) {
      if (cells < ghost)
        throw std::invalid_argument(
            "a rank owns " + std::to_string(cells) + " cells along " + names[d] +
            " but the ghost width for --max-cfl is " + std::to_string(ghost) +
            " cells: use fewer ranks, a larger --size or a smaller --max-cfl");
      l[d].push_back(cells);
    }
    l[d].back() += 1;
  }
  const PetscInt m = n + 1;
  if (dim == 2)
    DEEPSOLVE_PETSC_CALL(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, m,
                                      m, static_cast<PetscInt>(l[0].size()),
                                      static_cast<PetscInt>(l[1].size()), dof(), ghost, l[0].data(),
                                      l[1].data(), &da_));
  else
    DEEPSOLVE_PETSC_CALL(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                      DMDA_STENCIL_BOX, m, m, m, static_cast<PetscInt>(l[0].size()),
                                      static_cast<PetscInt>(l[1].size()),
                                      static_cast<PetscInt>(l[2].size()), dof(), ghost, l[0].data(),
                                      l[1].data(), l[2].data(), &da_));
  DEEPSOLVE_PETSC_CALL(DMSetUp(da_));
  PetscInt lo[3], cnt[3], glo[3], gcnt[3];
  DEEPSOLVE_PETSC_CALL(DMDAGetCorners(da_, &lo[0], &lo[1], &lo[2], &cnt[0], &cnt[1], &cnt[2]));
  DEEPSOLVE_PETSC_CALL(
      DMDAGetGhostCorners(da_, &glo[0], &glo[1], &glo[2], &gcnt[0], &gcnt[1], &gcnt[2]));
  for (int d = 0; d < 3; ++d) {
    owned_.lo[d] = static_cast<int>(lo[d]);
    owned_.n[d] = static_cast<int>(cnt[d]);
    ghosted_.lo[d] = static_cast<int>(glo[d]);
    ghosted_.n[d] = static_cast<int>(gcnt[d]);
  }
  if (dim == 2) {
    owned_.lo[2] = ghosted_.lo[2] = 0;
    owned_.n[2] = ghosted_.n[2] = 1;
  }
  owned_cells_ = owned_;
  for (int d = 0; d < dim; ++d)
    if (owned_.lo[d] + owned_.n[d] == n + 1) owned_cells_.n[d] -= 1;
}

MacFields::~MacFields() {
  DMDestroy(&da_);
}

bool MacFields::in_ghosted(int i, int j, int k) const {
  const int p[3] = {i, j, k};
  for (int d = 0; d < dim_; ++d)
    if (p[d] < ghosted_.lo[d] || p[d] >= ghosted_.lo[d] + ghosted_.n[d]) return false;
  return true;
}

void MacFields::to_local(Vec global, Vec local) const {
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalBegin(da_, global, INSERT_VALUES, local));
  DEEPSOLVE_PETSC_CALL(DMGlobalToLocalEnd(da_, global, INSERT_VALUES, local));
}

std::vector<double> MacFields::gather_component(Vec global, int c) const {
  const int ex = extent(c, 0), ey = extent(c, 1), ez = dim_ == 3 ? extent(c, 2) : 1;
  std::vector<double> whole(static_cast<std::size_t>(ex) * ey * ez, 0.0);
  const PetscScalar* a = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(global, &a));
  const Box& o = owned_;
  for (int k = o.lo[2]; k < o.lo[2] + o.n[2]; ++k)
    for (int j = o.lo[1]; j < o.lo[1] + o.n[1]; ++j)
      for (int i = o.lo[0]; i < o.lo[0] + o.n[0]; ++i)
        if (i < ex && j < ey && k < ez)
          whole[(static_cast<std::size_t>(k) * ey + j) * ex + i] = a[owned_offset(i, j, k, c)];
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(global, &a));
  // Every point is owned by exactly one rank, the others contribute 0.
  MPI_Allreduce(MPI_IN_PLACE, whole.data(), static_cast<int>(whole.size()), MPI_DOUBLE, MPI_SUM,
                comm_);
  return whole;
}

}  // namespace smoke
