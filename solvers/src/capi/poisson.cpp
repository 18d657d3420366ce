// The Poisson solver of the C API (deepsolve/deepsolve.h) over petsc::PoissonSolver: arguments
// checked on each rank and agreed on before any collective work, the ranks' blocks assembled into
// the whole-grid Grid every rank holds, and PETSc options under a prefix of the solver's own.
#include <petscksp.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/deepsolve.h"
#include "deepsolve/solvers/petsc/error.hpp"
#include "deepsolve/solvers/petsc/poisson_solver.hpp"
#include "errors.hpp"
#include "runtime.hpp"

using deepsolve::capi::agree;
using deepsolve::capi::Failure;
using deepsolve::capi::guarded;
using deepsolve::petsc::PoissonSolver;
using deepsolve::solvers::Box;
using deepsolve::solvers::CellType;

struct deepsolve_poisson_s {
  MPI_Comm comm = MPI_COMM_NULL;  ///< our duplicate of the caller's communicator
  std::unique_ptr<PoissonSolver> solver;
  Box block;
  std::vector<CellType> cells;  ///< the block's cell types now
  std::string prefix;
  bool nonzero_guess = false;
  bool solved = false;
  deepsolve::petsc::PoissonSolveResult last;

  ~deepsolve_poisson_s() {
    solver.reset();
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

namespace deepsolve::capi {

namespace {

[[noreturn]] void fail(int status, const std::string& message) {
  throw Failure(status, message);
}

void require(const void* pointer, const char* name) {
  if (!pointer) fail(DEEPSOLVE_ERROR_NULL, std::string(name) + " is NULL");
}

/// The rank's communicator; MPI must be running (PETSc starts it when the caller has not).
MPI_Comm require_comm(MPI_Comm comm) {
  if (comm == MPI_COMM_NULL) fail(DEEPSOLVE_ERROR_ARGUMENT, "comm is MPI_COMM_NULL");
  return comm;
}

deepsolve_poisson_s& require_solver(deepsolve_poisson solver) {
  // A NULL handle has no communicator to tell the other ranks: this rank alone returns.
  if (!solver) fail(DEEPSOLVE_ERROR_NULL, "solver is NULL (not created, or destroyed)");
  return *solver;
}

/// "cell_types[c] (cell (i, j[, k]) of the grid)": an entry of a block and where it is.
std::string cell_name(int dim, const Box& block, std::int64_t c) {
  const std::int64_t nx = block.n[0], ny = block.n[1];
  std::string name = "cell_types[" + std::to_string(c) + "] (cell (" +
                     std::to_string(block.lo[0] + c % nx) + ", " +
                     std::to_string(block.lo[1] + c / nx % ny);
  if (dim == 3) name += ", " + std::to_string(block.lo[2] + c / (nx * ny));
  return name + ") of the grid)";
}

/// The block's cell types, each checked to be one of DEEPSOLVE_FLUID/SOLID/AIR.
std::vector<CellType> block_cells(int dim, const Box& block, const int* cell_types) {
  require(cell_types, "cell_types");
  std::vector<CellType> cells(static_cast<std::size_t>(block.num_cells()));
  for (std::int64_t c = 0; c < block.num_cells(); ++c) {
    const int t = cell_types[c];
    if (t != DEEPSOLVE_FLUID && t != DEEPSOLVE_SOLID && t != DEEPSOLVE_AIR)
      fail(DEEPSOLVE_ERROR_ARGUMENT,
           cell_name(dim, block, c) + " is " + std::to_string(t) +
               ", not a cell type (DEEPSOLVE_FLUID 0, DEEPSOLVE_SOLID 1, DEEPSOLVE_AIR 2)");
    cells[c] = static_cast<CellType>(t);
  }
  return cells;
}

/// The solver's settings as given on this rank, checked without communication.
struct Settings {
  int dim = 0;
  std::array<int, 3> size{1, 1, 1};
  std::array<double, 3> spacing{1, 1, 1};
  std::array<int, 6> boundary{0, 0, 0, 0, 0, 0};
  Box block;
  std::vector<CellType> cells;
  const double* coefficients = nullptr;
  std::string solver, model, options;
  double rtol = 0, atol = 0;
  int max_iterations = 0;
};

const char* const kAxis[3] = {"x", "y", "z"};
const char* const kFace[6] = {"x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"};

Settings check_settings(int dim, const int* size, const double* spacing, const int* boundary,
                        const int* offset, const int* block, const int* cell_types,
                        const double* coefficients, const char* solver_name, const char* model,
                        double rtol, double atol, int max_iterations, const char* options) {
  Settings s;
  if (dim != 2 && dim != 3)
    fail(DEEPSOLVE_ERROR_ARGUMENT, "dim is " + std::to_string(dim) + ", not 2 or 3");
  s.dim = dim;
  require(size, "size");
  require(spacing, "spacing");
  require(boundary, "boundary");
  require(offset, "offset");
  require(block, "block");
  require(solver_name, "solver_name");
  for (int d = 0; d < dim; ++d) {
    const std::string axis = kAxis[d];
    if (size[d] < 1)
      fail(DEEPSOLVE_ERROR_ARGUMENT, "size[" + std::to_string(d) + "] (" + axis + ") is " +
                                         std::to_string(size[d]) + ", not >= 1");
    if (!(spacing[d] > 0) || !std::isfinite(spacing[d]))
      fail(DEEPSOLVE_ERROR_ARGUMENT,
           "spacing[" + std::to_string(d) + "] (" + axis + ") is not a positive finite number");
    if (offset[d] < 0 || block[d] < 1 || block[d] > size[d] - offset[d])
      fail(DEEPSOLVE_ERROR_ARGUMENT,
           "the block along " + axis + " (offset " + std::to_string(offset[d]) + ", " +
               std::to_string(block[d]) + " cells) is not inside the grid's " +
               std::to_string(size[d]) + " cells");
    s.size[d] = size[d];
    s.spacing[d] = spacing[d];
    s.block.lo[d] = offset[d];
    s.block.n[d] = block[d];
  }
  for (int f = 0; f < 2 * dim; ++f) {
    if (boundary[f] != DEEPSOLVE_DIRICHLET && boundary[f] != DEEPSOLVE_NEUMANN)
      fail(DEEPSOLVE_ERROR_ARGUMENT, "boundary[" + std::to_string(f) + "] (" + kFace[f] + ") is " +
                                         std::to_string(boundary[f]) +
                                         ", not DEEPSOLVE_DIRICHLET (0) or DEEPSOLVE_NEUMANN (1)");
    s.boundary[f] = boundary[f];
  }
  s.cells = block_cells(dim, s.block, cell_types);
  s.coefficients = coefficients;
  if (coefficients) {
    for (std::int64_t c = 0; c < s.block.num_cells(); ++c)
      if (!(coefficients[c] > 0) || !std::isfinite(coefficients[c]))
        fail(DEEPSOLVE_ERROR_ARGUMENT,
             "coefficients[" + std::to_string(c) + "] is not a positive finite number");
  }
  s.solver = solver_name;
  bool known = false;
  std::string valid;
  for (const auto& name : PoissonSolver::solver_names()) {
    known = known || name == s.solver;
    valid += (valid.empty() ? "" : ", ") + name;
  }
  if (!known)
    fail(DEEPSOLVE_ERROR_ARGUMENT,
         "solver_name '" + s.solver + "' is not a solver (valid: " + valid + ")");
  s.model = model ? model : "";
  if (s.solver == "dcdm" && !s.model.empty() && !std::ifstream(s.model).good())
    fail(DEEPSOLVE_ERROR_MODEL,
         "model file '" + s.model + "' cannot be opened: " + std::strerror(errno));
  if (!(rtol >= 0 && rtol < 1))
    fail(DEEPSOLVE_ERROR_ARGUMENT, "rtol is " + std::to_string(rtol) + ", not in [0, 1)");
  if (!(atol >= 0) || !std::isfinite(atol))
    fail(DEEPSOLVE_ERROR_ARGUMENT, "atol is " + std::to_string(atol) + ", not finite and >= 0");
  if (max_iterations < 1)
    fail(DEEPSOLVE_ERROR_ARGUMENT,
         "max_iterations is " + std::to_string(max_iterations) + ", not >= 1");
  s.rtol = rtol;
  s.atol = atol;
  s.max_iterations = max_iterations;
  s.options = options ? options : "";
  return s;
}

/// FNV-1a, to compare strings across ranks with one reduction.
double string_hash(const std::string& text) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return static_cast<double>(h);
}

/// The settings every rank must share, compared across ranks; a difference is an error on every
/// rank naming the setting. Collective.
void check_same_on_all_ranks(MPI_Comm comm, const Settings& s) {
  std::vector<std::pair<std::string, double>> shared;
  for (int d = 0; d < s.dim; ++d) {
    shared.emplace_back("size[" + std::to_string(d) + "]", s.size[d]);
    shared.emplace_back("spacing[" + std::to_string(d) + "]", s.spacing[d]);
  }
  for (int f = 0; f < 2 * s.dim; ++f)
    shared.emplace_back("boundary[" + std::to_string(f) + "]", s.boundary[f]);
  shared.emplace_back("coefficients (NULL or not)", s.coefficients ? 1 : 0);
  shared.emplace_back("solver_name", string_hash(s.solver));
  shared.emplace_back("model", string_hash(s.model));
  shared.emplace_back("rtol", s.rtol);
  shared.emplace_back("atol", s.atol);
  shared.emplace_back("max_iterations", s.max_iterations);
  // dim decides how many values follow, so it is compared on its own first.
  int dims[2] = {-s.dim, s.dim};
  MPI_Allreduce(MPI_IN_PLACE, dims, 2, MPI_INT, MPI_MAX, comm);
  if (-dims[0] != dims[1]) fail(DEEPSOLVE_ERROR_ARGUMENT, "dim differs between the ranks");
  const int n = static_cast<int>(shared.size());
  std::vector<double> lo(n), hi(n);
  for (int i = 0; i < n; ++i) lo[i] = hi[i] = shared[i].second;
  MPI_Allreduce(MPI_IN_PLACE, lo.data(), n, MPI_DOUBLE, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, hi.data(), n, MPI_DOUBLE, MPI_MAX, comm);
  for (int i = 0; i < n; ++i)
    if (lo[i] != hi[i])
      fail(DEEPSOLVE_ERROR_ARGUMENT, shared[i].first + " differs between the ranks");
}

/// Every rank's block of a field, gathered and placed into the whole grid (natural ordering).
template <class T>
std::vector<T> gather_blocks(MPI_Comm comm, MPI_Datatype type, const std::array<int, 3>& size,
                             const Box& mine, const T* values) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int local[6] = {mine.lo[0], mine.lo[1], mine.lo[2], mine.n[0], mine.n[1], mine.n[2]};
  std::vector<int> boxes(6 * static_cast<std::size_t>(ranks));
  MPI_Allgather(local, 6, MPI_INT, boxes.data(), 6, MPI_INT, comm);
  std::vector<int> counts(ranks), displs(ranks);
  std::int64_t total = 0;
  for (int r = 0; r < ranks; ++r) {
    counts[r] = boxes[6 * r + 3] * boxes[6 * r + 4] * boxes[6 * r + 5];
    displs[r] = static_cast<int>(total);
    total += counts[r];
    if (total > std::numeric_limits<int>::max())
      fail(DEEPSOLVE_ERROR_ARGUMENT, "the grid has more cells than one MPI message can gather");
  }
  std::vector<T> blocks(static_cast<std::size_t>(total));
  MPI_Allgatherv(values, static_cast<int>(mine.num_cells()), type, blocks.data(), counts.data(),
                 displs.data(), type, comm);
  std::vector<T> whole(static_cast<std::size_t>(size[0]) * size[1] * size[2]);
  for (int r = 0; r < ranks; ++r) {
    const int* b = &boxes[6 * r];
    std::int64_t c = displs[r];
    for (int k = b[2]; k < b[2] + b[5]; ++k)
      for (int j = b[1]; j < b[1] + b[4]; ++j)
        for (int i = b[0]; i < b[0] + b[3]; ++i)
          whole[(static_cast<std::size_t>(k) * size[1] + j) * size[0] + i] = blocks[c++];
  }
  return whole;
}

/// PETSc options of one solver: the n-th solver this process creates reads those prefixed with
/// "deepsolve<n>_", so that the options of one solver never reach another.
std::string next_prefix() {
  static std::atomic<int> count{0};
  return "deepsolve" + std::to_string(count++) + "_";
}

void insert_options(const std::string& prefix, const std::string& options) {
  if (options.empty()) return;
  DEEPSOLVE_PETSC_CALL(PetscOptionsPrefixPush(nullptr, prefix.c_str()));
  const PetscErrorCode code = PetscOptionsInsertString(nullptr, options.c_str());
  PetscOptionsPrefixPop(nullptr);
  if (code != 0) {
    const std::string text = take_petsc_error_text();
    fail(DEEPSOLVE_ERROR_ARGUMENT,
         "petsc_options '" + options + "' cannot be read" + (text.empty() ? "" : ": " + text));
  }
}

std::unique_ptr<deepsolve_poisson_s> create(MPI_Comm comm, int dim, const int* size,
                                            const double* spacing, const int* boundary,
                                            const int* offset, const int* block,
                                            const int* cell_types, const double* coefficients,
                                            const char* solver_name, const char* model, double rtol,
                                            double atol, int max_iterations, const char* options) {
  Settings s;
  agree(comm, [&] {
    s = check_settings(dim, size, spacing, boundary, offset, block, cell_types, coefficients,
                       solver_name, model, rtol, atol, max_iterations, options);
  });
  check_same_on_all_ranks(comm, s);

  auto handle = std::make_unique<deepsolve_poisson_s>();
  MPI_Comm_dup(comm, &handle->comm);
  comm = handle->comm;
  handle->block = s.block;
  handle->cells = s.cells;
  handle->prefix = next_prefix();
  // Collective work from here on; errors in it arise on every rank alike (the layout's check
  // throws on all ranks), and one more agreement covers the rest.
  agree(comm, [&] {
    insert_options(handle->prefix, s.options);
    const petsc::DmdaLayout layout = petsc::layout_from_boxes(comm, dim, s.size, s.block);
    // The Grid is whole on every rank today: the blocks are gathered (issue 23 distributes it).
    solvers::Grid grid(dim, s.size, s.spacing);
    for (int f = 0; f < 6; ++f)
      grid.set_boundary(static_cast<solvers::Face>(f),
                        static_cast<solvers::Boundary>(s.boundary[f]));
    static_assert(sizeof(CellType) == 1, "cell types travel as bytes");
    grid.set_cells(gather_blocks(comm, MPI_UNSIGNED_CHAR, grid.size(), s.block, s.cells.data()));
    if (s.coefficients)
      grid.set_coefficients(gather_blocks(comm, MPI_DOUBLE, grid.size(), s.block, s.coefficients));
    const auto settings = petsc::PoissonSolverOptions()
                              .solver(s.solver)
                              .model(s.model)
                              .rtol(s.rtol)
                              .atol(s.atol)
                              .max_iterations(s.max_iterations)
                              .options_prefix(handle->prefix);
    try {
      handle->solver = std::make_unique<PoissonSolver>(comm, grid, settings, layout);
    } catch (const petsc::Error&) {
      throw;
    } catch (const std::runtime_error& e) {  // the model file (poisson_solver.hpp)
      fail(DEEPSOLVE_ERROR_MODEL, e.what());
    }
    if (!(handle->solver->problem().owned_box() == s.block))
      fail(DEEPSOLVE_ERROR_INTERNAL, "the DMDA gave this rank another block than its own");
  });
  return handle;
}

/// Copies a block's values into a vector of the problem.
void copy_in(const double* values, Vec v) {
  PetscInt n = 0;
  PetscScalar* a = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetLocalSize(v, &n));
  DEEPSOLVE_PETSC_CALL(VecGetArray(v, &a));
  std::copy(values, values + n, a);
  DEEPSOLVE_PETSC_CALL(VecRestoreArray(v, &a));
}

void copy_out(Vec v, double* values) {
  PetscInt n = 0;
  const PetscScalar* a = nullptr;
  DEEPSOLVE_PETSC_CALL(VecGetLocalSize(v, &n));
  DEEPSOLVE_PETSC_CALL(VecGetArrayRead(v, &a));
  std::copy(a, a + n, values);
  DEEPSOLVE_PETSC_CALL(VecRestoreArrayRead(v, &a));
}

void copy_text(const std::string& text, char* buffer, int length, const char* name, bool truncate) {
  require(buffer, name);
  if (length < 1) fail(DEEPSOLVE_ERROR_ARGUMENT, std::string(name) + " length is < 1");
  const std::size_t room = static_cast<std::size_t>(length) - 1;
  if (text.size() > room && !truncate)
    fail(DEEPSOLVE_ERROR_ARGUMENT, std::string(name) + " has room for " + std::to_string(room) +
                                       " characters, '" + text + "' needs " +
                                       std::to_string(text.size()));
  const std::size_t n = std::min(room, text.size());
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

const deepsolve::petsc::PoissonSolveResult& last_solve(deepsolve_poisson solver) {
  const deepsolve_poisson_s& s = require_solver(solver);
  if (!s.solved) fail(DEEPSOLVE_ERROR_ARGUMENT, "the solver has not solved anything yet");
  return s.last;
}

}  // namespace

}  // namespace deepsolve::capi

using namespace deepsolve::capi;

extern "C" int deepsolve_poisson_create(deepsolve_poisson* solver, MPI_Comm comm, int dim,
                                        const int* size, const double* spacing, const int* boundary,
                                        const int* offset, const int* block, const int* cell_types,
                                        const double* coefficients, const char* solver_name,
                                        const char* model, double rtol, double atol,
                                        int max_iterations, const char* petsc_options) {
  return guarded("deepsolve_poisson_create", [&] {
    require(solver, "solver (where the handle goes)");
    *solver = nullptr;
    PetscErrorScope petsc;
    *solver = create(require_comm(comm), dim, size, spacing, boundary, offset, block, cell_types,
                     coefficients, solver_name, model, rtol, atol, max_iterations, petsc_options)
                  .release();
  });
}

extern "C" int deepsolve_poisson_create_f(deepsolve_poisson* solver, MPI_Fint comm, int dim,
                                          const int* size, const double* spacing,
                                          const int* boundary, const int* offset, const int* block,
                                          const int* cell_types, const double* coefficients,
                                          const char* solver_name, const char* model, double rtol,
                                          double atol, int max_iterations,
                                          const char* petsc_options) {
  return guarded("deepsolve_poisson_create", [&] {
    require(solver, "solver (where the handle goes)");
    *solver = nullptr;
    PetscErrorScope petsc;  // MPI_Comm_f2c needs MPI running
    *solver = create(require_comm(MPI_Comm_f2c(comm)), dim, size, spacing, boundary, offset, block,
                     cell_types, coefficients, solver_name, model, rtol, atol, max_iterations,
                     petsc_options)
                  .release();
  });
}

extern "C" int deepsolve_poisson_destroy(deepsolve_poisson* solver) {
  return guarded("deepsolve_poisson_destroy", [&] {
    if (!solver || !*solver) return;
    std::unique_ptr<deepsolve_poisson_s> owned(*solver);
    *solver = nullptr;
    PetscBool running = PETSC_FALSE;
    PetscInitialized(&running);
    if (!running) {
      (void)owned.release();  // its PETSc objects cannot be destroyed any more
      fail(DEEPSOLVE_ERROR_ARGUMENT,
           "PETSc was finalised before the solver was destroyed (its memory is lost)");
    }
    PetscErrorScope petsc;
    owned.reset();
  });
}

extern "C" int deepsolve_poisson_set_cells(deepsolve_poisson solver, const int* cell_types) {
  return guarded("deepsolve_poisson_set_cells", [&] {
    deepsolve_poisson_s& s = require_solver(solver);
    PetscErrorScope petsc;
    std::vector<CellType> cells;
    agree(s.comm,
          [&] { cells = block_cells(s.solver->problem().grid().dim(), s.block, cell_types); });
    agree(s.comm, [&] { s.solver->set_owned_cells(cells); });
    s.cells = std::move(cells);
  });
}

extern "C" int deepsolve_poisson_set_initial_guess_nonzero(deepsolve_poisson solver, int nonzero) {
  return guarded("deepsolve_poisson_set_initial_guess_nonzero", [&] {
    deepsolve_poisson_s& s = require_solver(solver);
    PetscErrorScope petsc;
    s.solver->set_nonzero_initial_guess(nonzero != 0);
    s.nonzero_guess = nonzero != 0;
  });
}

extern "C" int deepsolve_poisson_solve(deepsolve_poisson solver, const double* b, double* x) {
  return guarded("deepsolve_poisson_solve", [&] {
    deepsolve_poisson_s& s = require_solver(solver);
    PetscErrorScope petsc;
    agree(s.comm, [&] {
      require(b, "b");
      require(x, "x");
      for (std::int64_t c = 0; c < s.block.num_cells(); ++c)
        if (!std::isfinite(b[c]))
          fail(DEEPSOLVE_ERROR_ARGUMENT, "b[" + std::to_string(c) + "] is not finite");
      if (s.nonzero_guess)
        for (std::int64_t c = 0; c < s.block.num_cells(); ++c)
          if (!std::isfinite(x[c]))
            fail(DEEPSOLVE_ERROR_ARGUMENT,
                 "x[" + std::to_string(c) + "] (the initial guess) is not finite");
    });
    agree(s.comm, [&] {
      const auto& problem = s.solver->problem();
      deepsolve::petsc::Vector bv = problem.create_vector();
      deepsolve::petsc::Vector xv = problem.create_vector();
      copy_in(b, bv);
      // PoissonSolver takes the guess (and b) as 0 on solid and air cells.
      if (s.nonzero_guess)
        copy_in(x, xv);
      else
        DEEPSOLVE_PETSC_CALL(VecZeroEntries(xv));
      s.solved = false;
      s.last = s.solver->solve(bv, xv);
      s.solved = true;
      copy_out(xv, x);
    });
    if (!s.last.converged) {
      char residual[32];
      std::snprintf(residual, sizeof residual, "%.3g", s.last.relative_residual);
      fail(DEEPSOLVE_ERROR_NOT_CONVERGED, "the solve did not converge: " + s.last.reason +
                                              " after " + std::to_string(s.last.iterations) +
                                              " iterations, relative residual " + residual);
    }
  });
}

extern "C" int deepsolve_poisson_iterations(deepsolve_poisson solver, int* iterations) {
  return guarded("deepsolve_poisson_iterations", [&] {
    require(iterations, "iterations");
    *iterations = last_solve(solver).iterations;
  });
}

extern "C" int deepsolve_poisson_residual(deepsolve_poisson solver, double* relative_residual) {
  return guarded("deepsolve_poisson_residual", [&] {
    require(relative_residual, "relative_residual");
    *relative_residual = last_solve(solver).relative_residual;
  });
}

extern "C" int deepsolve_poisson_reason(deepsolve_poisson solver, char* reason, int length) {
  return guarded("deepsolve_poisson_reason",
                 [&] { copy_text(last_solve(solver).reason, reason, length, "reason", false); });
}

extern "C" int deepsolve_poisson_times(deepsolve_poisson solver, double* setup_seconds,
                                       double* solve_seconds) {
  return guarded("deepsolve_poisson_times", [&] {
    require(setup_seconds, "setup_seconds");
    require(solve_seconds, "solve_seconds");
    const auto& last = last_solve(solver);
    *setup_seconds = last.setup_s;
    *solve_seconds = last.solve_s;
  });
}

extern "C" int deepsolve_poisson_describe(deepsolve_poisson solver, char* text, int length) {
  return guarded("deepsolve_poisson_describe", [&] {
    const deepsolve_poisson_s& s = require_solver(solver);
    copy_text(s.solver->problem().grid().describe() + ", " + s.solver->description() +
                  ", PETSc options prefix -" + s.prefix,
              text, length, "text", true);
  });
}
