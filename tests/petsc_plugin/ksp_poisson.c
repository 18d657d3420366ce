static char help[] =
    "Solves -Laplace u = f on a 2D or 3D DMDA grid with KSP.\n\
The 5/7-point Laplacian of the interior unknowns, with the Dirichlet boundary eliminated\n\
symmetrically, so CG-type methods apply.\n\
  -dim <3>        2 or 3\n\
  -da_grid_x <n>  (and y, z) grid size, default 32x32 in 2D and 16x16x16 in 3D\n\
and any KSP/PC option.\n\n";

/*
   A plain PETSc program in the style of src/ksp/ksp/tutorials/ex45.c and ex50.c. It knows nothing
   of deepsolve: tests/petsc_plugin/CMakeLists.txt builds it against PETSc alone (deepsolve's
   types then come in with -dll_append libdeepsolve_solvers.so) and, through
   ksp_poisson_linked.cpp, once more linked to deepsolve with DEEPSOLVE_LINKED defined, where it
   registers the types itself.

   Unlike ex45, which keeps the Dirichlet rows as scaled identity rows (a nonsymmetric matrix),
   the boundary values (zero) are eliminated: a neighbour outside the grid only contributes to
   the diagonal, so the matrix is symmetric positive definite.
*/
#include <petscdm.h>
#include <petscdmda.h>
#include <petscksp.h>
#if defined(DEEPSOLVE_LINKED)
#include "deepsolve/solvers/petsc/register.hpp"
#endif

static PetscErrorCode ComputeMatrix(DM, Mat);
static PetscErrorCode ComputeRHS(DM, Vec);

int main(int argc, char** argv) {
  DM da;
  Mat A;
  Vec x, b, r;
  KSP ksp;
  KSPType type;
  KSPConvergedReason reason;
  PetscInt dim = 3, its;
  PetscReal bnorm, rnorm;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
#if defined(DEEPSOLVE_LINKED)
  PetscCall(deepsolve::petsc::register_types()); /* KSP "dcdm", PC "dcdm" */
#endif
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-dim", &dim, NULL));
  PetscCheck(dim == 2 || dim == 3, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE,
             "-dim %" PetscInt_FMT ": must be 2 or 3", dim);
  if (dim == 2) {
    PetscCall(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                           32, 32, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &da));
  } else {
    PetscCall(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                           DMDA_STENCIL_STAR, 16, 16, 16, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE,
                           1, 1, NULL, NULL, NULL, &da));
  }
  PetscCall(DMSetFromOptions(da));
  PetscCall(DMSetUp(da));

  PetscCall(DMCreateMatrix(da, &A));
  PetscCall(ComputeMatrix(da, A));
  PetscCall(DMCreateGlobalVector(da, &b));
  PetscCall(VecDuplicate(b, &x));
  PetscCall(VecDuplicate(b, &r));
  PetscCall(ComputeRHS(da, b));

  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetDM(ksp, da)); /* the grid, for solvers that want it; the operator is ours */
  PetscCall(KSPSetDMActive(ksp, PETSC_FALSE));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(KSPSolve(ksp, b, x));

  PetscCall(KSPGetType(ksp, &type));
  PetscCall(KSPGetIterationNumber(ksp, &its));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b)); /* r <- b - A x */
  PetscCall(VecNorm(r, NORM_2, &rnorm));
  PetscCall(VecNorm(b, NORM_2, &bnorm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD,
                        "KSP %s: %" PetscInt_FMT " iterations, %s, ||b - Ax||/||b|| %.2e\n", type,
                        its, KSPConvergedReasons[reason], (double)(rnorm / bnorm)));

  PetscCall(KSPDestroy(&ksp));
  PetscCall(VecDestroy(&r));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A));
  PetscCall(DMDestroy(&da));
  PetscCall(PetscFinalize());
  return 0;
}

/* Row (i,j,k): 2*dim on the diagonal, -1 for each neighbour inside the grid. */
static PetscErrorCode ComputeMatrix(DM da, Mat A) {
  PetscInt dim, mx, my, mz, xs, ys, zs, xm, ym, zm, i, j, k, n;
  MatStencil row, col[7];
  PetscScalar v[7];

  PetscFunctionBeginUser;
  PetscCall(
      DMDAGetInfo(da, &dim, &mx, &my, &mz, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  if (dim == 2) {
    zs = 0;
    zm = 1;
    mz = 1;
  }
  for (k = zs; k < zs + zm; k++) {
    for (j = ys; j < ys + ym; j++) {
      for (i = xs; i < xs + xm; i++) {
        row.i = i;
        row.j = j;
        row.k = k;
        row.c = 0;
        n = 0;
        /* neighbours inside the grid; one outside (a zero Dirichlet value) is left out */
        if (i > 0) {
          col[n] = row;
          col[n].i = i - 1;
          v[n++] = -1.0;
        }
        if (i < mx - 1) {
          col[n] = row;
          col[n].i = i + 1;
          v[n++] = -1.0;
        }
        if (j > 0) {
          col[n] = row;
          col[n].j = j - 1;
          v[n++] = -1.0;
        }
        if (j < my - 1) {
          col[n] = row;
          col[n].j = j + 1;
          v[n++] = -1.0;
        }
        if (dim == 3 && k > 0) {
          col[n] = row;
          col[n].k = k - 1;
          v[n++] = -1.0;
        }
        if (dim == 3 && k < mz - 1) {
          col[n] = row;
          col[n].k = k + 1;
          v[n++] = -1.0;
        }
        col[n] = row;
        v[n++] = 2.0 * dim;
        PetscCall(MatSetValuesStencil(A, 1, &row, n, col, v, INSERT_VALUES));
      }
    }
  }
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* A right-hand side with every frequency in it (so CG needs many iterations), a function of the
   global cell index only, so every partition solves the same problem. */
static PetscErrorCode ComputeRHS(DM da, Vec b) {
  PetscInt dim, xs, ys, zs, xm, ym, zm, i, j, k;
  PetscScalar **b2, ***b3;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetInfo(da, &dim, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL));
  PetscCall(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  if (dim == 2) {
    PetscCall(DMDAVecGetArray(da, b, &b2));
    for (j = ys; j < ys + ym; j++)
      for (i = xs; i < xs + xm; i++) b2[j][i] = PetscSinReal(12.9898 * i + 78.233 * j + 0.5);
    PetscCall(DMDAVecRestoreArray(da, b, &b2));
  } else {
    PetscCall(DMDAVecGetArray(da, b, &b3));
    for (k = zs; k < zs + zm; k++)
      for (j = ys; j < ys + ym; j++)
        for (i = xs; i < xs + xm; i++)
          b3[k][j][i] = PetscSinReal(12.9898 * i + 78.233 * j + 37.719 * k + 0.5);
    PetscCall(DMDAVecRestoreArray(da, b, &b3));
  }
  PetscFunctionReturn(0);
}
