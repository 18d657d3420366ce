/* A pressure solve as a simulation code in C does it through deepsolve's C API (docs/capi.md):
 * a 2D grid with a disc obstacle that moves between two time steps, Neumann walls and an open
 * (Dirichlet) top, split along y over the MPI ranks. Each rank describes only its own block. For
 * DCDM and ICC(0)-PCG: create once, then per step set the cell types and solve, from the last
 * step's pressure after the first; the true residual is checked and the two solvers' answers
 * compared. Exits non-zero on any failure.
 *
 *   mpiexec -n 2 poisson_obstacle_c [N]      (N x N cells, default 64) */
#include <deepsolve/deepsolve.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define STEPS 2
#define RTOL 1e-6

/* This rank's rows of the grid: n rows split as evenly as the ranks allow. */
static void my_rows(int n, int rank, int ranks, int* first, int* count) {
  *count = n / ranks + (rank < n % ranks ? 1 : 0);
  *first = rank * (n / ranks) + (rank < n % ranks ? rank : n % ranks);
}

/* The disc of radius 0.15 at (cx, 0.5) as solid cells of the block, the rest fluid. */
static void disc_cells(int n, int j0, int rows, double cx, int* cells) {
  for (int j = 0; j < rows; ++j)
    for (int i = 0; i < n; ++i) {
      const double x = (i + 0.5) / n - cx, y = (j0 + j + 0.5) / n - 0.5;
      cells[j * n + i] = x * x + y * y < 0.15 * 0.15 ? DEEPSOLVE_SOLID : DEEPSOLVE_FLUID;
    }
}

/* A source near the bottom, zero in solid cells (their rows are decoupled from the system). */
static void source(int n, int j0, int rows, const int* cells, double* b) {
  for (int j = 0; j < rows; ++j)
    for (int i = 0; i < n; ++i) {
      const double x = (i + 0.5) / n - 0.5, y = (j0 + j + 0.5) / n - 0.15;
      b[j * n + i] = cells[j * n + i] == DEEPSOLVE_FLUID ? exp(-(x * x + y * y) / 0.01) : 0.0;
    }
}

static int report(int rank, const char* what, int status) {
  if (status != DEEPSOLVE_SUCCESS && rank == 0)
    fprintf(stderr, "poisson_obstacle_c: %s failed (status %d): %s\n", what, status,
            deepsolve_error_message());
  return status != DEEPSOLVE_SUCCESS;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int n = argc > 1 ? atoi(argv[1]) : 64;
  int failures = 0;
  if (n < ranks || n < 8) {
    if (rank == 0) fprintf(stderr, "poisson_obstacle_c: N = %s is too small\n", argv[1]);
    MPI_Finalize();
    return 2;
  }

  int j0 = 0, rows = 0;
  my_rows(n, rank, ranks, &j0, &rows);
  const int size[2] = {n, n}, offset[2] = {0, j0}, block[2] = {n, rows};
  const double spacing[2] = {1.0 / n, 1.0 / n};
  /* x_lo, x_hi, y_lo: walls; y_hi: open. */
  const int boundary[4] = {DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN,
                           DEEPSOLVE_DIRICHLET};
  const size_t cells_n = (size_t)n * rows;
  int* cells = malloc(cells_n * sizeof *cells);
  double* b = malloc(cells_n * sizeof *b);
  double* x[2] = {malloc(cells_n * sizeof(double)), malloc(cells_n * sizeof(double))};
  const char* solvers[2] = {"dcdm", "icc"};
  double max_difference = 0.0;

  for (int s = 0; s < 2 && !failures; ++s) {
    deepsolve_poisson solver = NULL;
    disc_cells(n, j0, rows, 0.4, cells);
    /* Create once (the shipped model for dcdm: model NULL; no PETSc options). */
    if (report(rank, "create",
               deepsolve_poisson_create(&solver, MPI_COMM_WORLD, 2, size, spacing, boundary, offset,
                                        block, cells, NULL, solvers[s], NULL, RTOL, 0.0, 1000,
                                        NULL))) {
      failures++;
      break;
    }
    char text[256];
    if (rank == 0 && deepsolve_poisson_describe(solver, text, sizeof text) == 0)
      printf("%s\n", text);
    for (int step = 0; step < STEPS && !failures; ++step) {
      /* Per step: the obstacle moves, then the pressure solve. */
      if (step > 0) {
        disc_cells(n, j0, rows, 0.4 + 0.05 * step, cells);
        if (report(rank, "set_cells", deepsolve_poisson_set_cells(solver, cells))) {
          failures++;
          break;
        }
        /* Warm start: from the last step's pressure, still in x[s]. */
        failures += report(rank, "set_initial_guess_nonzero",
                           deepsolve_poisson_set_initial_guess_nonzero(solver, 1));
      }
      source(n, j0, rows, cells, b);
      failures += report(rank, "solve", deepsolve_poisson_solve(solver, b, x[s]));
      int iterations = 0;
      double residual = 1.0, setup_s = 0.0, solve_s = 0.0;
      char reason[32] = "";
      failures += report(rank, "iterations", deepsolve_poisson_iterations(solver, &iterations));
      failures += report(rank, "residual", deepsolve_poisson_residual(solver, &residual));
      failures += report(rank, "reason", deepsolve_poisson_reason(solver, reason, sizeof reason));
      failures += report(rank, "times", deepsolve_poisson_times(solver, &setup_s, &solve_s));
      if (rank == 0)
        printf(
            "%-4s step %d: %3d iterations, true relative residual %.2e (%s), setup %.3f s, "
            "solve %.3f s\n",
            solvers[s], step, iterations, residual, reason, setup_s, solve_s);
      if (!(residual <= 2 * RTOL)) {
        if (rank == 0)
          fprintf(stderr, "poisson_obstacle_c: residual %.2e > %.0e\n", residual, 2 * RTOL);
        failures++;
      }
    }
    failures += report(rank, "destroy", deepsolve_poisson_destroy(&solver));
  }

  /* Both solvers solved the last step's system: their answers agree to the tolerance's order. */
  if (!failures) {
    double local[2] = {0.0, 0.0}, global[2];
    for (size_t c = 0; c < cells_n; ++c) {
      local[0] = fmax(local[0], fabs(x[0][c] - x[1][c]));
      local[1] = fmax(local[1], fabs(x[1][c]));
    }
    MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    max_difference = global[0] / global[1];
    if (rank == 0)
      printf("dcdm vs icc: max |x_dcdm - x_icc| / max |x_icc| = %.2e\n", max_difference);
    if (!(max_difference < 1e-4)) {
      if (rank == 0) fprintf(stderr, "poisson_obstacle_c: the solvers disagree\n");
      failures++;
    }
  }

  free(cells);
  free(b);
  free(x[0]);
  free(x[1]);
  failures += report(rank, "finalize", deepsolve_finalize());
  MPI_Finalize();
  return failures ? 1 : 0;
}
