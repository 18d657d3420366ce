/* A downstream C program on the installed C API (deepsolve/deepsolve.h): it leaves MPI and PETSc
 * to deepsolve_initialize, solves a 32 x 32 problem with a solid block in the middle by ICC(0)-PCG
 * and checks the residual. Exits non-zero on failure. */
#include <deepsolve/deepsolve.h>
#include <stdio.h>

enum { N = 32 };

int main(int argc, char** argv) {
  if (deepsolve_initialize(&argc, &argv) != DEEPSOLVE_SUCCESS) {
    fprintf(stderr, "deepsolve_initialize: %s\n", deepsolve_error_message());
    return 1;
  }
  static int cells[N * N];
  static double b[N * N], x[N * N];
  for (int j = 0; j < N; ++j)
    for (int i = 0; i < N; ++i) {
      const int solid = i >= 12 && i < 20 && j >= 12 && j < 20;
      cells[j * N + i] = solid ? DEEPSOLVE_SOLID : DEEPSOLVE_FLUID;
      b[j * N + i] = solid ? 0.0 : 1.0 + (i + 2 * j) % 5;
    }
  const int size[2] = {N, N}, offset[2] = {0, 0};
  const int boundary[4] = {DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN, DEEPSOLVE_DIRICHLET,
                           DEEPSOLVE_NEUMANN};
  const double spacing[2] = {1.0 / N, 1.0 / N};
  deepsolve_poisson solver = NULL;
  int status = deepsolve_poisson_create(&solver, MPI_COMM_WORLD, 2, size, spacing, boundary, offset,
                                        size, cells, NULL, "icc", NULL, 1e-8, 0.0, 1000, NULL);
  if (status == DEEPSOLVE_SUCCESS) status = deepsolve_poisson_solve(solver, b, x);
  int iterations = 0;
  double residual = 1.0;
  if (status == DEEPSOLVE_SUCCESS) status = deepsolve_poisson_iterations(solver, &iterations);
  if (status == DEEPSOLVE_SUCCESS) status = deepsolve_poisson_residual(solver, &residual);
  if (status != DEEPSOLVE_SUCCESS)
    fprintf(stderr, "deepsolve: %s\n", deepsolve_error_message());
  else
    printf("deepsolve %s C API: ICC(0)-PCG, %d iterations, |b - Ax|/|b| = %.2e\n",
           deepsolve_version(), iterations, residual);
  deepsolve_poisson_destroy(&solver);
  deepsolve_finalize();
  return status == DEEPSOLVE_SUCCESS && residual < 1e-7 ? 0 : 1;
}
