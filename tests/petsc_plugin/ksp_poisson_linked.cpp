// ksp_poisson.c linked to deepsolve: the same program, which registers deepsolve's PETSc types in
// main (deepsolve::petsc::register_types()) instead of loading them with -dll_append.
#define DEEPSOLVE_LINKED 1
#include "ksp_poisson.c"
