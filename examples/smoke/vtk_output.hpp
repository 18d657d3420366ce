// VTK files for ParaView through PETSc's VTK viewer on a DMDA (PetscViewerVTKOpen + VecView writes
// a structured grid, .vts): density, the cell-centred velocity and the pressure at the cell
// centres.
#pragma once

#include <petscdm.h>

#include <string>

namespace smoke {

class Simulation;

class VtkWriter {
 public:
  /// A cell-centred DMDA with the simulation's layout and dim + 2 named fields (density,
  /// velocity_x, velocity_y[, velocity_z], pressure) and uniform coordinates at the cell centres.
  explicit VtkWriter(const Simulation& sim);
  ~VtkWriter();
  VtkWriter(const VtkWriter&) = delete;
  VtkWriter& operator=(const VtkWriter&) = delete;
  /// Writes the simulation's current state to `path` (.vts). Collective.
  void write(const std::string& path, const Simulation& sim) const;

 private:
  DM da_ = nullptr;
  int dim_;
};

}  // namespace smoke
