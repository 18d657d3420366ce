// File formats for problem data. Every reader checks what it reads and throws std::runtime_error
// naming the file and the problem (missing, truncated, wrong header, wrong shape); every writer
// writes a temporary file and renames it, so a failed write never leaves a half-written file.
//
// PETSc binary vector (what VecView with a binary viewer writes, readable by VecLoad):
//   int32 VEC_FILE_CLASSID (1211214), int32 n, then n float64 values; all big-endian.
// Cell-type field (deepsolve's own):
//   a text line "deepsolve-cells 1", a line "<dim> <nx> <ny> <nz>", then nx*ny*nz bytes with
//   0 = fluid, 1 = solid, 2 = air, x fastest.
#pragma once

#include <string>
#include <vector>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

std::vector<double> read_petsc_vector(const std::string& path);
void write_petsc_vector(const std::string& path, const std::vector<double>& values);

/// Reads a cell-type field and installs it on `grid`; the file's shape must match the grid's.
void read_cell_types(const std::string& path, Grid& grid);
void write_cell_types(const std::string& path, const Grid& grid);

}  // namespace deepsolve::solvers
