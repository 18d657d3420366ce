/* The C API of deepsolve: a Poisson solver that a simulation code written in C or Fortran creates
 * once and calls every time step (docs/capi.md). C99, no C++ types; the same header compiles as
 * C++. It wraps deepsolve::petsc::PoissonSolver (solvers/petsc/poisson_solver.hpp).
 *
 * Every function returns an int status: DEEPSOLVE_SUCCESS (0) or one of the DEEPSOLVE_ERROR_*
 * codes below, and deepsolve_error_message() gives the text of the last failure in the calling
 * thread. No function aborts the program or lets an exception through; PETSc errors inside a call
 * are returned, not printed.
 *
 * Arrays of a rank's block are laid out x fastest, then y, then z (a Fortran array
 * a(nx, ny, nz) as it is). Under MPI every call that takes a solver is collective on the
 * solver's communicator, and a bad argument on one rank makes every rank return the error. */
#ifndef DEEPSOLVE_DEEPSOLVE_H
#define DEEPSOLVE_DEEPSOLVE_H

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
#define DEEPSOLVE_SUCCESS 0
#define DEEPSOLVE_ERROR_ARGUMENT 1      /* a bad value: size, cell type, solver name, tolerance */
#define DEEPSOLVE_ERROR_NULL 2          /* a null handle or pointer where one is required */
#define DEEPSOLVE_ERROR_MODEL 3         /* the model file is missing, unreadable or does not fit */
#define DEEPSOLVE_ERROR_PETSC 4         /* a PETSc call failed (the message has PETSc's text) */
#define DEEPSOLVE_ERROR_NOT_CONVERGED 5 /* the solve ran but did not converge (a result) */
#define DEEPSOLVE_ERROR_MEMORY 6        /* the problem does not fit in memory */
#define DEEPSOLVE_ERROR_INTERNAL 7      /* anything else (a bug: please report it) */

/* Cell types (the values of a cell-type array). */
#define DEEPSOLVE_FLUID 0 /* an unknown of the system */
#define DEEPSOLVE_SOLID 1 /* an obstacle: no flux through its faces */
#define DEEPSOLVE_AIR 2   /* pressure 0 at its centre (a free surface) */

/* Boundary conditions of the domain's faces, given in the order x_lo, x_hi, y_lo, y_hi, z_lo,
 * z_hi. */
#define DEEPSOLVE_DIRICHLET 0 /* value 0 on the face */
#define DEEPSOLVE_NEUMANN 1   /* no flux through the face */

/* A Poisson solver (opaque). */
typedef struct deepsolve_poisson_s* deepsolve_poisson;

/* The text of the last call in this thread that returned non-zero ("" when none did). The
 * pointer stays valid until the next failing call in this thread. */
const char* deepsolve_error_message(void);

/* "0.1.0": the version of the library. */
const char* deepsolve_version(void);

/* Initialises PETSc (and through it MPI, when MPI is not initialised yet), reading PETSc options
 * from argc/argv (both may be NULL). Does nothing when PETSc is initialised already. Optional:
 * deepsolve_poisson_create initialises on demand. */
int deepsolve_initialize(int* argc, char*** argv);

/* Finalises what deepsolve initialised (PETSc, and MPI when PETSc started it); nothing when the
 * caller had initialised PETSc. Destroy every solver first. */
int deepsolve_finalize(void);

/* Creates a solver of -div(k grad p) = b on a dim-dimensional (2 or 3) cell-centred grid of
 * size[0] x size[1] (x size[2]) cells of the given spacing, with one boundary condition per face
 * (DEEPSOLVE_DIRICHLET / DEEPSOLVE_NEUMANN, in the order x_lo, x_hi, y_lo, y_hi, z_lo, z_hi).
 * Only the first dim entries of size, spacing, offset and block and the first 2 * dim of boundary
 * are read, so in 2D arrays of 2 and 4 entries do. Collective on comm.
 *
 * This rank owns the block of cells [offset[d], offset[d] + block[d]); on one rank that is the
 * whole grid. The blocks of all ranks must tile the grid as a PETSc DMDA does: a tensor product
 * of per-axis ranges with ranks numbered x fastest (rank = (pz * Py + py) * Px + px).
 * cell_types holds the block's cell types (DEEPSOLVE_FLUID / SOLID / AIR), coefficients the
 * block's k (> 0; NULL on every rank for k = 1).
 *
 * solver_name: "dcdm" (the learned solver), "cg", "jacobi", "icc", "gamg", "boomeramg", "gmg".
 * model: the DCDM model file; NULL or "" for the model shipped for dim. Stops when
 * ||b - A x|| <= max(rtol ||b||, atol) or after max_iterations iterations.
 * petsc_options: PETSc options for this solver only, e.g. "-ksp_monitor -pc_gamg_threshold 0.02"
 * (NULL or ""): they go into PETSc's database under this solver's own prefix (see
 * deepsolve_poisson_describe) and are applied after the settings above.
 *
 * *solver is NULL after a failure. */
int deepsolve_poisson_create(deepsolve_poisson* solver, MPI_Comm comm, int dim, const int* size,
                             const double* spacing, const int* boundary, const int* offset,
                             const int* block, const int* cell_types, const double* coefficients,
                             const char* solver_name, const char* model, double rtol, double atol,
                             int max_iterations, const char* petsc_options);

/* The same with a Fortran communicator handle (MPI_Comm_c2f; mpi_f08's comm%MPI_VAL). */
int deepsolve_poisson_create_f(deepsolve_poisson* solver, MPI_Fint comm, int dim, const int* size,
                               const double* spacing, const int* boundary, const int* offset,
                               const int* block, const int* cell_types, const double* coefficients,
                               const char* solver_name, const char* model, double rtol, double atol,
                               int max_iterations, const char* petsc_options);

/* Destroys the solver and sets *solver to NULL. NULL or a NULL handle: nothing. Collective. */
int deepsolve_poisson_destroy(deepsolve_poisson* solver);

/* Replaces the cell types (this rank's block, as in create) and sets the solver up again for the
 * new geometry; the time it takes is reported as the next solve's setup time. Collective. */
int deepsolve_poisson_set_cells(deepsolve_poisson solver, const int* cell_types);

/* nonzero != 0: solve starts from the x it is given (e.g. the last step's pressure) instead of
 * zero. Off when created. */
int deepsolve_poisson_set_initial_guess_nonzero(deepsolve_poisson solver, int nonzero);

/* Solves A x = b with b and x arrays of this rank's block; b should be 0 in solid and air cells.
 * x is the initial guess when set_initial_guess_nonzero is on (its values in solid and air cells
 * are taken as 0). When the problem is singular (a fluid region that touches no Dirichlet face or
 * air cell), b's component in the null space is removed first (b itself is not changed). Returns
 * DEEPSOLVE_ERROR_NOT_CONVERGED when the solver stopped without converging: x then holds the last
 * iterate and the queries below describe the solve. Collective. */
int deepsolve_poisson_solve(deepsolve_poisson solver, const double* b, double* x);

/* What the last solve did: iterations; ||b - A x|| / ||b|| recomputed with the assembled matrix;
 * PETSc's KSPConvergedReason name (e.g. "CONVERGED_RTOL", "DIVERGED_ITS"), copied null-terminated
 * into reason[length] (an error if it does not fit; 32 characters are enough); the seconds of
 * set-up paid by that solve (0 unless created or set_cells since the solve before) and of the
 * solve itself (maximum over ranks). Errors before the first solve. Local (no communication). */
int deepsolve_poisson_iterations(deepsolve_poisson solver, int* iterations);
int deepsolve_poisson_residual(deepsolve_poisson solver, double* relative_residual);
int deepsolve_poisson_reason(deepsolve_poisson solver, char* reason, int length);
int deepsolve_poisson_times(deepsolve_poisson solver, double* setup_seconds, double* solve_seconds);

/* A one-line description, null-terminated into text[length] (truncated to fit): the grid, the
 * method (e.g. "KSPCG + PCICC") and the prefix of this solver's PETSc options. Local. */
int deepsolve_poisson_describe(deepsolve_poisson solver, char* text, int length);

#ifdef __cplusplus
}
#endif

#endif /* DEEPSOLVE_DEEPSOLVE_H */
