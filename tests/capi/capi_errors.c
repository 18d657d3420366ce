/* Every kind of bad input through the C API (deepsolve/deepsolve.h) returns its status and a
 * message naming the problem, and the program goes on: null handles and pointers, wrong sizes,
 * unknown cell types, an unknown solver name, a missing model file, bad PETSc options, a solve
 * that stops without converging. Run on 2 ranks, it also checks that a bad argument on one rank
 * makes every rank return the error (no hang). Exits 1 when any check fails. */
#include <deepsolve/deepsolve.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank = 0, ranks = 1, failures = 0;

/* The call returned `want` and the message holds `text` (every rank checks its own). */
static void expect(int line, int status, int want, const char* text) {
  const char* message = deepsolve_error_message();
  if (status != want || (text && !strstr(message, text))) {
    fprintf(stderr, "capi_errors.c:%d (rank %d): status %d (want %d), message '%s' (want '%s')\n",
            line, rank, status, want, message, text ? text : "");
    failures++;
  } else if (rank == 0 && text) {
    printf("ok %d: %s\n", line, message);
  }
}
#define EXPECT(call, want, text) expect(__LINE__, (call), (want), (text))

/* A 16 x 16 grid split along y; every cell fluid, Dirichlet faces. */
enum { N = 16 };
static int size[2] = {N, N}, boundary[4] = {0, 0, 0, 0}, offset[2], block[2];
static const double spacing[2] = {1.0 / N, 1.0 / N};
static int cells[N * N];

static int create(deepsolve_poisson* s, const char* solver, const char* model, int max_iterations,
                  const char* options) {
  return deepsolve_poisson_create(s, MPI_COMM_WORLD, 2, size, spacing, boundary, offset, block,
                                  cells, NULL, solver, model, 1e-10, 0.0, max_iterations, options);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  EXPECT(deepsolve_initialize(&argc, &argv), DEEPSOLVE_SUCCESS, NULL);
  const int rows = N / ranks;
  offset[0] = 0;
  offset[1] = rank * rows;
  block[0] = N;
  block[1] = rank == ranks - 1 ? N - rank * rows : rows;
  const int n = block[0] * block[1];
  double* b = malloc(n * sizeof *b);
  double* x = malloc(n * sizeof *x);
  for (int c = 0; c < n; ++c) b[c] = 1.0 + c % 7;
  deepsolve_poisson s = NULL;

  /* Null handles and pointers. */
  EXPECT(create(NULL, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_NULL, "solver (where the handle");
  EXPECT(deepsolve_poisson_create(&s, MPI_COMM_WORLD, 2, size, spacing, boundary, offset, block,
                                  NULL, NULL, "cg", NULL, 1e-8, 0.0, 100, NULL),
         DEEPSOLVE_ERROR_NULL, "cell_types is NULL");
  EXPECT(deepsolve_poisson_create(&s, MPI_COMM_WORLD, 2, NULL, spacing, boundary, offset, block,
                                  cells, NULL, "cg", NULL, 1e-8, 0.0, 100, NULL),
         DEEPSOLVE_ERROR_NULL, "size is NULL");
  EXPECT(deepsolve_poisson_solve(NULL, b, x), DEEPSOLVE_ERROR_NULL, "solver is NULL");
  EXPECT(deepsolve_poisson_set_cells(NULL, cells), DEEPSOLVE_ERROR_NULL, "solver is NULL");
  EXPECT(deepsolve_poisson_destroy(NULL), DEEPSOLVE_SUCCESS, NULL);
  EXPECT(deepsolve_poisson_destroy(&s), DEEPSOLVE_SUCCESS, NULL);

  /* Wrong sizes and values. */
  EXPECT(deepsolve_poisson_create(&s, MPI_COMM_WORLD, 4, size, spacing, boundary, offset, block,
                                  cells, NULL, "cg", NULL, 1e-8, 0.0, 100, NULL),
         DEEPSOLVE_ERROR_ARGUMENT, "dim is 4, not 2 or 3");
  size[1] = 0;
  EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT, "size[1] (y) is 0");
  size[1] = N;
  block[0] = N + 1;
  EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT,
         "the block along x (offset 0, 17 cells) is not inside the grid's 16 cells");
  block[0] = N;
  boundary[3] = 5;
  EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT, "boundary[3] (y_hi) is 5");
  boundary[3] = DEEPSOLVE_DIRICHLET;
  EXPECT(deepsolve_poisson_create(&s, MPI_COMM_WORLD, 2, size, spacing, boundary, offset, block,
                                  cells, NULL, "cg", NULL, 2.0, 0.0, 100, NULL),
         DEEPSOLVE_ERROR_ARGUMENT, "rtol is 2.000000, not in [0, 1)");
  EXPECT(create(&s, "cg", NULL, 0, NULL), DEEPSOLVE_ERROR_ARGUMENT, "max_iterations is 0");
  /* An unknown cell type (on every rank: cell 5 of each block). */
  cells[5] = 7;
  EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT,
         "cell_types[5] (cell (5, 0) of the grid) is 7, not a cell type");
  cells[5] = DEEPSOLVE_FLUID;
  /* Names: solver, model file, PETSc options. */
  EXPECT(create(&s, "multigrid", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT,
         "solver_name 'multigrid' is not a solver (valid: dcdm, cg, jacobi, icc, gamg");
  EXPECT(create(&s, "dcdm", "no/such/model.pt", 100, NULL), DEEPSOLVE_ERROR_MODEL,
         "model file 'no/such/model.pt' cannot be opened: No such file or directory");
  EXPECT(create(&s, "cg", NULL, 100, "-ksp_type no_such_krylov"), DEEPSOLVE_ERROR_PETSC,
         "no_such_krylov");
  EXPECT(s == NULL, 1, NULL);

  /* A solver that works, misused. */
  EXPECT(create(&s, "cg", NULL, 3, NULL), DEEPSOLVE_SUCCESS, NULL);
  int iterations = -1;
  char reason[32];
  EXPECT(deepsolve_poisson_iterations(s, &iterations), DEEPSOLVE_ERROR_ARGUMENT,
         "has not solved anything yet");
  EXPECT(deepsolve_poisson_solve(s, NULL, x), DEEPSOLVE_ERROR_NULL, "b is NULL");
  b[3] = NAN;
  EXPECT(deepsolve_poisson_solve(s, b, x), DEEPSOLVE_ERROR_ARGUMENT, "b[3] is not finite");
  b[3] = 1.0;
  cells[2] = -1;
  EXPECT(deepsolve_poisson_set_cells(s, cells), DEEPSOLVE_ERROR_ARGUMENT,
         "cell_types[2] (cell (2, 0) of the grid) is -1, not a cell type");
  cells[2] = DEEPSOLVE_FLUID;
  EXPECT(deepsolve_poisson_set_cells(s, NULL), DEEPSOLVE_ERROR_NULL, "cell_types is NULL");
  /* A failed solve: 3 CG iterations cannot reach 1e-10. A result, described by the queries. */
  EXPECT(deepsolve_poisson_solve(s, b, x), DEEPSOLVE_ERROR_NOT_CONVERGED,
         "the solve did not converge: DIVERGED_ITS after 3 iterations");
  EXPECT(deepsolve_poisson_iterations(s, &iterations), DEEPSOLVE_SUCCESS, NULL);
  EXPECT(iterations, 3, NULL);
  EXPECT(deepsolve_poisson_reason(s, reason, sizeof reason), DEEPSOLVE_SUCCESS, NULL);
  EXPECT(strcmp(reason, "DIVERGED_ITS"), 0, NULL);
  EXPECT(deepsolve_poisson_reason(s, reason, 5), DEEPSOLVE_ERROR_ARGUMENT,
         "reason has room for 4 characters, 'DIVERGED_ITS' needs 12");
  EXPECT(deepsolve_poisson_destroy(&s), DEEPSOLVE_SUCCESS, NULL);
  EXPECT(s == NULL, 1, NULL);

  if (ranks > 1) {
    /* One bad rank: every rank returns the last rank's error, naming that rank. */
    const int last = ranks - 1;
    char text[64];
    snprintf(text, sizeof text, "rank %d: cell_types[0]", last);
    if (rank == last) cells[0] = 9;
    EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT, text);
    cells[0] = DEEPSOLVE_FLUID;
    /* Blocks that do not tile the grid. */
    if (rank == last) offset[1] -= 1;
    EXPECT(create(&s, "cg", NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT,
           "blocks do not tile the 2D grid");
    if (rank == last) offset[1] += 1;
    /* Settings that differ between ranks. */
    const char* name = rank == last ? "icc" : "cg";
    EXPECT(create(&s, name, NULL, 100, NULL), DEEPSOLVE_ERROR_ARGUMENT,
           "solver_name differs between the ranks");
    /* A bad argument to solve on one rank. */
    EXPECT(create(&s, "cg", NULL, 1000, NULL), DEEPSOLVE_SUCCESS, NULL);
    snprintf(text, sizeof text, "rank %d: x is NULL", last);
    EXPECT(deepsolve_poisson_solve(s, b, rank == last ? NULL : x), DEEPSOLVE_ERROR_NULL, text);
    snprintf(text, sizeof text, "rank %d: cell_types[1]", last);
    if (rank == last) cells[1] = 3;
    EXPECT(deepsolve_poisson_set_cells(s, cells), DEEPSOLVE_ERROR_ARGUMENT, text);
    cells[1] = DEEPSOLVE_FLUID;
    /* ... after which the solver still works. */
    EXPECT(deepsolve_poisson_solve(s, b, x), DEEPSOLVE_SUCCESS, NULL);
    EXPECT(deepsolve_poisson_destroy(&s), DEEPSOLVE_SUCCESS, NULL);
  }

  free(b);
  free(x);
  EXPECT(deepsolve_finalize(), DEEPSOLVE_SUCCESS, NULL);
  MPI_Finalize();
  if (rank == 0) printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
