#include "deepsolve/solvers/petsc/dmda_poisson.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/memory.hpp"
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

std::string shape_text(int dim, const std::array<int, 3>& n) {
  return std::to_string(dim) + "D " + std::to_string(n[0]) + "x" + std::to_string(n[1]) +
         (dim == 3 ? "x" + std::to_string(n[2]) : std::string());
}

const Grid& checked(MPI_Comm comm, const Grid& grid) {
  DmdaPoisson::check_memory(comm, grid.dim(), grid.size(), 0, grid.has_coefficients());
  return grid;
}

/// The memory check's verdict, the same on every rank: the lowest failing rank's message.
enum class Failure : int { none = 0, memory = 1, argument = 2, overflow = 3 };

}  // namespace

DmdaLayout layout_from_boxes(MPI_Comm comm, int dim, std::array<int, 3> size, const Box& mine) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  if (dim == 2) size[2] = 1;
  std::array<int, 6> local{mine.lo[0], mine.lo[1], dim == 2 ? 0 : mine.lo[2],
                           mine.n[0],  mine.n[1],  dim == 2 ? 1 : mine.n[2]};
  std::vector<int> all(6 * static_cast<std::size_t>(ranks));
  MPI_Allgather(local.data(), 6, MPI_INT, all.data(), 6, MPI_INT, comm);
  auto lo = [&](int r, int d) { return all[6 * r + d]; };
  auto n = [&](int r, int d) { return all[6 * r + 3 + d]; };
  // Rank columns along each axis: walk the ranks whose other coordinates are at their lowest. The
  // first rank whose block is not where the walk expects it is the one named.
  DmdaLayout layout;
  std::array<std::vector<int>*, 3> axes{&layout.x, &layout.y, &layout.z};
  std::array<int, 3> count{0, 0, 0};
  int bad = -1;
  for (int d = 0; d < 3 && bad < 0; ++d) {
    int stride = 1;
    for (int e = 0; e < d; ++e) stride *= count[e];
    int at = 0, r = 0;
    for (; r < ranks && at < size[d]; r += stride) {
      if (lo(r, d) != at || n(r, d) < 1) break;
      axes[d]->push_back(n(r, d));
      at += n(r, d);
    }
    count[d] = static_cast<int>(axes[d]->size());
    if (at != size[d]) bad = std::min(r, ranks - 1);
  }
  // Every rank's block must be the one PETSc gives it in this layout.
  if (bad < 0 && count[0] * count[1] * count[2] != ranks) bad = ranks - 1;
  for (int r = 0; r < ranks && bad < 0; ++r) {
    int rest = r;
    for (int d = 0; d < 3 && bad < 0; ++d) {
      const int column = rest % count[d];
      rest /= count[d];
      int start = 0;
      for (int c = 0; c < column; ++c) start += (*axes[d])[c];
      if (lo(r, d) != start || n(r, d) != (*axes[d])[column]) bad = r;
    }
  }
  if (bad >= 0) {
    std::ostringstream msg;
    msg << "the ranks' blocks do not tile the " << dim << "D grid as a DMDA does (per-axis ranges, "
        << "ranks numbered x fastest): rank " << bad << " has the block at (" << lo(bad, 0) << ", "
        << lo(bad, 1);
    if (dim == 3) msg << ", " << lo(bad, 2);
    msg << ") of " << n(bad, 0) << " x " << n(bad, 1);
    if (dim == 3) msg << " x " << n(bad, 2);
    msg << " cells";
    throw std::invalid_argument(msg.str());
  }
  if (dim == 2) layout.z.clear();
  return layout;
}

std::int64_t DmdaPoisson::max_cells() {
  return PETSC_MAX_INT;
}

std::uint64_t DmdaPoisson::estimated_node_bytes(int dim, std::array<int, 3> size, int ranks,
                                                int node_ranks, int vectors, bool coefficients) {
  if (dim == 2) size[2] = 1;
  const std::string grid = "a " + shape_text(dim, size) + " grid";
  // In double first: the product of three ints may overflow 64 bits.
  const double count = double(std::max(size[0], 0)) * std::max(size[1], 0) * std::max(size[2], 0);
  if (count > double(max_cells())) {
    std::ostringstream msg;
    msg << grid << " has " << count << " cells, more than this PETSc's " << 8 * sizeof(PetscInt)
        << "-bit indices can number (" << max_cells() << ")";
    throw std::invalid_argument(msg.str());
  }
  const std::uint64_t cells = learned::checked_product(
      {std::uint64_t(std::max(size[0], 0)), std::uint64_t(std::max(size[1], 0)),
       std::uint64_t(std::max(size[2], 0))},
      grid);
  ranks = std::max(ranks, 1);
  node_ranks = std::min(std::max(node_ranks, 1), ranks);
  // Every rank: the caller's Grid and this object's copy (1 byte per cell each, 8 more with
  // coefficients), floating_components' flags and cell list (1 + 8).
  const std::uint64_t replicated = 11 + (coefficients ? 16 : 0);
  // Split over the ranks: AIJ values and column indices per nonzero, the row arrays (i, ilen,
  // imax, diag, the preallocation), the DMDA's local-to-global map, the operator's cell classes
  // (or its 7 weights per cell with coefficients), the vectors.
  const std::uint64_t nonzeros = 2 * std::uint64_t(dim) + 1;
  const std::uint64_t distributed = nonzeros * (sizeof(PetscScalar) + sizeof(PetscInt)) +
                                    6 * sizeof(PetscInt) + 2 + (coefficients ? 56 : 0) +
                                    sizeof(PetscScalar) * std::uint64_t(std::max(vectors, 0));
  const std::uint64_t all =
      learned::checked_product({cells, replicated, std::uint64_t(node_ranks)}, grid) +
      learned::checked_product({cells, distributed}, grid) / std::uint64_t(ranks) *
          std::uint64_t(node_ranks);
  return all;
}

void DmdaPoisson::check_memory(MPI_Comm comm, int dim, std::array<int, 3> size, int vectors,
                               bool coefficients, const std::string& advice) {
  int rank = 0, ranks = 1, node_ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &node_ranks);
  MPI_Comm_free(&node);
  if (dim == 2) size[2] = 1;

  Failure failure = Failure::none;
  std::string message;
  try {
    const std::uint64_t needed =
        estimated_node_bytes(dim, size, ranks, node_ranks, vectors, coefficients);
    if (needed >= (std::uint64_t(16) << 20)) {  // smaller ones cannot fail: skip /proc
      const learned::AvailableMemory available = learned::available_memory();
      const double cells = double(size[0]) * size[1] * size[2];
      std::ostringstream what, how, fits;
      what << "a " << shape_text(dim, size) << " grid (" << static_cast<std::uint64_t>(cells)
           << " cells) on " << ranks << (ranks == 1 ? " MPI rank" : " MPI ranks");
      if (ranks > 1) what << ", " << node_ranks << " of them on one node,";
      how << std::llround(double(needed) / cells) << " bytes per cell"
          << (ranks > 1 ? " on one node" : "") << ": the assembled matrix, the DMDA";
      if (vectors > 0) how << " and " << vectors << " vectors";
      how << (ranks > 1 ? " split over the ranks, " : ", ") << "the cell types"
          << (ranks > 1 ? " on every rank" : "");
      // The estimate is linear in the cell count: the largest cube within what is available.
      const double side =
          std::floor(std::pow(double(available.bytes) / (double(needed) / cells), 1.0 / dim));
      const long n = std::lround(side);
      fits << "at most about " << n << (dim == 3 ? "^3" : "^2") << " cells fit";
      if (!advice.empty()) fits << ": " << advice;
      learned::check_memory(what.str(), needed, how.str(), fits.str(), available);
    }
  } catch (const learned::MemoryEstimateError& e) {
    failure = Failure::memory, message = e.what();
  } catch (const std::invalid_argument& e) {
    failure = Failure::argument, message = e.what();
  } catch (const std::exception& e) {
    failure = Failure::overflow, message = e.what();
  }
  // Memory may differ between nodes (and moments): every rank throws the lowest failing rank's.
  int first = failure == Failure::none ? ranks : rank;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == ranks) return;
  int header[2] = {static_cast<int>(failure), static_cast<int>(message.size())};
  MPI_Bcast(header, 2, MPI_INT, first, comm);
  message.resize(static_cast<std::size_t>(header[1]));
  MPI_Bcast(message.data(), header[1], MPI_CHAR, first, comm);
  switch (static_cast<Failure>(header[0])) {
    case Failure::memory:
      throw learned::MemoryEstimateError(message);
    case Failure::argument:
      throw std::invalid_argument(message);
    default:
      throw std::overflow_error(message);
  }
}

// The check comes before grid_ copies the grid.
DmdaPoisson::DmdaPoisson(MPI_Comm comm, const Grid& grid, const DmdaLayout& layout)
    : comm_(comm), grid_(checked(comm, grid)) {
  try {
    create(layout);
  } catch (...) {  // a half-built object gets no destructor call: free what exists
    destroy();
    throw;
  }
}

void DmdaPoisson::create(const DmdaLayout& layout) {
  const MPI_Comm comm = comm_;
  const Grid& grid = grid_;
  const auto& n = grid.size();
  std::array<std::vector<PetscInt>, 3> ranges;
  std::array<PetscInt, 3> procs{PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE};
  if (!layout.empty()) {
    const std::array<const std::vector<int>*, 3> axes{&layout.x, &layout.y, &layout.z};
    std::int64_t product = 1;
    for (int d = 0; d < grid.dim(); ++d) {
      const auto& cells = *axes[d];
      std::int64_t sum = 0;
      for (int c : cells) {
        if (c < 1)
          throw std::invalid_argument("DMDA layout: a rank column owns " + std::to_string(c) +
                                      " cells along axis " + std::string(1, "xyz"[d]));
        sum += c;
      }
      if (sum != n[d])
        throw std::invalid_argument("DMDA layout: the ranges along axis " +
                                    std::string(1, "xyz"[d]) + " sum to " + std::to_string(sum) +
                                    ", the grid has " + std::to_string(n[d]) + " cells");
      ranges[d].assign(cells.begin(), cells.end());
      procs[d] = static_cast<PetscInt>(cells.size());
      product *= procs[d];
    }
    if (grid.dim() == 2 && !layout.z.empty() && layout.z != std::vector<int>{1})
      throw std::invalid_argument("DMDA layout: a 2D grid has no z ranges");
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    if (product != ranks)
      throw std::invalid_argument("DMDA layout: " + std::to_string(product) +
                                  " rank columns, the communicator has " + std::to_string(ranks) +
                                  " ranks");
  }
  auto range = [&](int d) { return ranges[d].empty() ? nullptr : ranges[d].data(); };
  if (grid.dim() == 2) {
    DEEPSOLVE_PETSC_CALL(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                                      n[0], n[1], procs[0], procs[1], 1, 1, range(0), range(1),
                                      &da_));
  } else {
    DEEPSOLVE_PETSC_CALL(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                      DMDA_STENCIL_STAR, n[0], n[1], n[2], procs[0], procs[1],
                                      procs[2], 1, 1, range(0), range(1), range(2), &da_));
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
  (void)matrix();  // assembled now, so that its cost is part of the construction

  PetscInt local, global;
  DEEPSOLVE_PETSC_CALL(MatGetLocalSize(A_, &local, nullptr));
  DEEPSOLVE_PETSC_CALL(MatGetSize(A_, &global, nullptr));
  DEEPSOLVE_PETSC_CALL(MatCreateShell(comm, local, local, global, global, this, &shell_));
  DEEPSOLVE_PETSC_CALL(MatShellSetOperation(shell_, MATOP_MULT, (void (*)(void))shell_mult));
  DEEPSOLVE_PETSC_CALL(MatSetOption(shell_, MAT_SYMMETRIC, PETSC_TRUE));
  build_null_space();
}

DmdaPoisson::~DmdaPoisson() {
  destroy();
}

void DmdaPoisson::destroy() {
  MatNullSpaceDestroy(&null_space_);
  MatDestroy(&shell_);
  MatDestroy(&struct_);
  DMDestroy(&struct_da_);
  MatDestroy(&A_);
  DMDestroy(&da_);
}

void DmdaPoisson::set_cells(std::vector<solvers::CellType> cells) {
  grid_.set_cells(std::move(cells));  // checks the length before anything changes
  stencil_ = std::make_unique<solvers::StencilOperator>(grid_, owned_);
  // The assembled forms are built again when asked for: a matrix-free solver never asks.
  MatDestroy(&A_);
  MatDestroy(&struct_);
  MatNullSpaceDestroy(&null_space_);
  DEEPSOLVE_PETSC_CALL(MatSetNullSpace(shell_, nullptr));
  build_null_space();
  // The shell's operator changed behind PETSc's back: assembling it gives it a new state, which
  // tells a KSP on it to set up again.
  DEEPSOLVE_PETSC_CALL(MatAssemblyBegin(shell_, MAT_FINAL_ASSEMBLY));
  DEEPSOLVE_PETSC_CALL(MatAssemblyEnd(shell_, MAT_FINAL_ASSEMBLY));
}

Mat DmdaPoisson::matrix() const {
  // A new matrix after a geometry change rather than new values in the old one: entries the
  // change zeroes would stay in the pattern as explicit zeros, which AMG's strength graph and ILU
  // fill then see.
  if (A_) return A_;
  A_ = assemble_aij();
  DEEPSOLVE_PETSC_CALL(MatSetOption(A_, MAT_SYMMETRIC, PETSC_TRUE));
  DEEPSOLVE_PETSC_CALL(MatSetOption(A_, MAT_SPD, PETSC_TRUE));
  if (null_space_) DEEPSOLVE_PETSC_CALL(MatSetNullSpace(A_, null_space_));
  return A_;
}

Mat DmdaPoisson::hypre_struct_matrix() const {
#if defined(PETSC_HAVE_HYPRE)
  if (struct_) return struct_;
  DM da = da_;
  if (grid_.dim() == 2) {
    // PETSc's MATHYPRESTRUCT takes 3D DMDAs only: a 2D grid is one layer of cells, split over the
    // ranks as the 2D DMDA is, so vectors of the 2D DMDA line up with it.
    if (!struct_da_) {
      PetscInt px = 0, py = 0;
      const PetscInt *lx = nullptr, *ly = nullptr;
      DEEPSOLVE_PETSC_CALL(DMDAGetInfo(da_, nullptr, nullptr, nullptr, nullptr, &px, &py, nullptr,
                                       nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
      DEEPSOLVE_PETSC_CALL(DMDAGetOwnershipRanges(da_, &lx, &ly, nullptr));
      const PetscInt lz = 1;
      const auto& n = grid_.size();
      DEEPSOLVE_PETSC_CALL(DMDACreate3d(comm_, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                                        DMDA_STENCIL_STAR, n[0], n[1], 1, px, py, 1, 1, 1, lx, ly,
                                        &lz, &struct_da_));
      DEEPSOLVE_PETSC_CALL(DMSetUp(struct_da_));
    }
    da = struct_da_;
  }
  struct_ = assemble_as(da, MATHYPRESTRUCT);
  return struct_;
#else
  throw std::invalid_argument("hypre's structured-grid matrices need a PETSc built with hypre");
#endif
}

Mat DmdaPoisson::assemble_aij() const {
  // Exact preallocation, then one MatSetValues per row with PETSc's global numbers: the DMDA's
  // own path (DMCreateMatrix, MatSetValuesStencil) cost 65 ms at 512^2, which a moving-obstacle
  // simulation pays every time step. No CSR copy is built, so the peak memory stays the matrix's.
  ISLocalToGlobalMapping ltog;
  const PetscInt* global = nullptr;
  DEEPSOLVE_PETSC_CALL(DMGetLocalToGlobalMapping(da_, &ltog));
  const int dim = grid_.dim();
  const auto ghosted_index = [&](int i, int j, int k) {
    return (static_cast<std::int64_t>(k - ghosted_.lo[2]) * ghosted_.n[1] + (j - ghosted_.lo[1])) *
               ghosted_.n[0] +
           (i - ghosted_.lo[0]);
  };
  const auto local = static_cast<PetscInt>(owned_.num_cells());
  PetscInt first_row = 0;
  MPI_Exscan(&local, &first_row, 1, MPIU_INT, MPI_SUM, comm_);
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  if (rank == 0) first_row = 0;  // MPI_Exscan leaves rank 0's result undefined

  // Calls `row(r, n, columns, values)` for every owned row, columns ascending.
  const auto for_each_row = [&](auto&& row) {
    PetscInt r = first_row;
    for (int k = owned_.lo[2]; k < owned_.lo[2] + owned_.n[2]; ++k)
      for (int j = owned_.lo[1]; j < owned_.lo[1] + owned_.n[1]; ++j)
        for (int i = owned_.lo[0]; i < owned_.lo[0] + owned_.n[0]; ++i, ++r) {
          const solvers::StencilRow s = solvers::stencil_row(grid_, i, j, k);
          PetscInt columns[7];
          PetscScalar values[7];
          int n = 0;
          columns[n] = global[ghosted_index(i, j, k)];
          values[n++] = s.diag;
          for (int f = 0; f < 2 * dim; ++f) {
            if (s.off[f] == 0.0) continue;
            std::array<int, 3> c{i, j, k};
            c[f / 2] += (f % 2 == 0) ? -1 : 1;
            columns[n] = global[ghosted_index(c[0], c[1], c[2])];
            values[n++] = -s.off[f];
          }
          // Neighbours on other ranks may number below this rank's block.
          for (int a = 1; a < n; ++a)
            for (int b = a; b > 0 && columns[b - 1] > columns[b]; --b) {
              std::swap(columns[b - 1], columns[b]);
              std::swap(values[b - 1], values[b]);
            }
          row(r, n, columns, values);
        }
  };

  Mat A = nullptr;
  DEEPSOLVE_PETSC_CALL(ISLocalToGlobalMappingGetIndices(ltog, &global));
  try {
    std::vector<PetscInt> diagonal_block(static_cast<std::size_t>(local)),
        off_block(static_cast<std::size_t>(local));
    for_each_row([&](PetscInt r, int n, const PetscInt* columns, const PetscScalar*) {
      const auto at = static_cast<std::size_t>(r - first_row);
      for (int e = 0; e < n; ++e)
        ++(columns[e] >= first_row && columns[e] < first_row + local ? diagonal_block[at]
                                                                     : off_block[at]);
    });
    DEEPSOLVE_PETSC_CALL(MatCreate(comm_, &A));
    DEEPSOLVE_PETSC_CALL(MatSetSizes(A, local, local, PETSC_DETERMINE, PETSC_DETERMINE));
    DEEPSOLVE_PETSC_CALL(MatSetType(A, MATAIJ));
    DEEPSOLVE_PETSC_CALL(
        MatXAIJSetPreallocation(A, 1, diagonal_block.data(), off_block.data(), nullptr, nullptr));
    DEEPSOLVE_PETSC_CALL(MatSetOption(A, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
    for_each_row([&](PetscInt r, int n, const PetscInt* columns, const PetscScalar* values) {
      DEEPSOLVE_PETSC_CALL(MatSetValues(A, 1, &r, n, columns, values, INSERT_VALUES));
    });
    DEEPSOLVE_PETSC_CALL(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    DEEPSOLVE_PETSC_CALL(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
    DEEPSOLVE_PETSC_CALL(MatSetLocalToGlobalMapping(A, ltog, ltog));
    DEEPSOLVE_PETSC_CALL(MatSetDM(A, da_));  // as DMCreateMatrix would: the PC dcdm finds it
  } catch (...) {
    ISLocalToGlobalMappingRestoreIndices(ltog, &global);
    MatDestroy(&A);
    throw;
  }
  DEEPSOLVE_PETSC_CALL(ISLocalToGlobalMappingRestoreIndices(ltog, &global));
  return A;
}

Mat DmdaPoisson::assemble_as(DM da, MatType type) const {
  Mat A = nullptr;
  DEEPSOLVE_PETSC_CALL(DMSetMatType(da, type));
  const PetscErrorCode created = DMCreateMatrix(da, &A);
  DEEPSOLVE_PETSC_CALL(DMSetMatType(da, MATAIJ));
  DEEPSOLVE_PETSC_CALL(created);
  try {
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
          DEEPSOLVE_PETSC_CALL(MatSetValuesStencil(A, 1, &row, n, cols, vals, INSERT_VALUES));
        }
    DEEPSOLVE_PETSC_CALL(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    DEEPSOLVE_PETSC_CALL(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  } catch (...) {
    MatDestroy(&A);
    throw;
  }
  return A;
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
  if (A_) DEEPSOLVE_PETSC_CALL(MatSetNullSpace(A_, null_space_));
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
