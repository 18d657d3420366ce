#include "vtk_output.hpp"

#include <petscdmda.h>
#include <petscviewer.h>

#include <vector>

#include "deepsolve/solvers/petsc/error.hpp"
#include "simulation.hpp"

namespace smoke {

VtkWriter::VtkWriter(const Simulation& sim) : dim_(sim.scene().dim) {
  const MacFields& f = sim.fields();
  const auto& l = f.cell_layout();
  std::vector<PetscInt> lx(l.x.begin(), l.x.end()), ly(l.y.begin(), l.y.end()),
      lz(l.z.begin(), l.z.end());
  const PetscInt n = f.n(), dof = dim_ + 2;
  if (dim_ == 2)
    DEEPSOLVE_PETSC_CALL(DMDACreate2d(f.comm(), DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                      DMDA_STENCIL_STAR, n, n, static_cast<PetscInt>(lx.size()),
                                      static_cast<PetscInt>(ly.size()), dof, 0, lx.data(),
                                      ly.data(), &da_));
  else
    DEEPSOLVE_PETSC_CALL(DMDACreate3d(
        f.comm(), DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n, n, n,
        static_cast<PetscInt>(lx.size()), static_cast<PetscInt>(ly.size()),
        static_cast<PetscInt>(lz.size()), dof, 0, lx.data(), ly.data(), lz.data(), &da_));
  DEEPSOLVE_PETSC_CALL(DMSetUp(da_));
  const double h = 1.0 / f.n();
  DEEPSOLVE_PETSC_CALL(DMDASetUniformCoordinates(da_, 0.5 * h, 1 - 0.5 * h, 0.5 * h, 1 - 0.5 * h,
                                                 0.5 * h, 1 - 0.5 * h));
  const char* names[] = {"velocity_x", "velocity_y", "velocity_z"};
  DEEPSOLVE_PETSC_CALL(DMDASetFieldName(da_, 0, "density"));
  for (int d = 0; d < dim_; ++d) DEEPSOLVE_PETSC_CALL(DMDASetFieldName(da_, 1 + d, names[d]));
  DEEPSOLVE_PETSC_CALL(DMDASetFieldName(da_, 1 + dim_, "pressure"));
}

VtkWriter::~VtkWriter() {
  DMDestroy(&da_);
}

void VtkWriter::write(const std::string& path, const Simulation& sim) const {
  std::vector<double> density, velocity, pressure;
  sim.owned_cell_values(density, velocity, pressure);
  Vec v = nullptr;
  PetscViewer viewer = nullptr;
  DEEPSOLVE_PETSC_CALL(DMCreateGlobalVector(da_, &v));
  try {
    DEEPSOLVE_PETSC_CALL(PetscObjectSetName(reinterpret_cast<PetscObject>(v), "smoke"));
    PetscScalar* a = nullptr;
    DEEPSOLVE_PETSC_CALL(VecGetArray(v, &a));
    const int dof = dim_ + 2;
    for (std::size_t c = 0; c < density.size(); ++c) {
      a[c * dof] = density[c];
      for (int d = 0; d < dim_; ++d) a[c * dof + 1 + d] = velocity[c * dim_ + d];
      a[c * dof + 1 + dim_] = pressure[c];
    }
    DEEPSOLVE_PETSC_CALL(VecRestoreArray(v, &a));
    DEEPSOLVE_PETSC_CALL(
        PetscViewerVTKOpen(sim.fields().comm(), path.c_str(), FILE_MODE_WRITE, &viewer));
    DEEPSOLVE_PETSC_CALL(VecView(v, viewer));
    // The VTK viewer writes when it is destroyed.
    DEEPSOLVE_PETSC_CALL(PetscViewerDestroy(&viewer));
  } catch (...) {
    PetscViewerDestroy(&viewer);
    VecDestroy(&v);
    throw;
  }
  VecDestroy(&v);
}

}  // namespace smoke
