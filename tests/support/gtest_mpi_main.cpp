// GoogleTest main for deepsolve: InitGoogleTest first (it strips --gtest_* flags), then PETSc
// (which initialises MPI) with the remaining arguments. Only rank 0 prints; every rank's failures
// count, and all ranks agree on the exit code (MPI_Allreduce of the per-rank outcome).
#include <gtest/gtest.h>

#include "deepsolve/solvers/config.hpp"

#if DEEPSOLVE_WITH_PETSC
#include <petscsys.h>
#endif

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
#if DEEPSOLVE_WITH_PETSC
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 1;
  PetscMPIInt rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (any_failed && !failed)
    std::fprintf(stderr, "[rank %d] a test failed on another rank\n", rank);
  PetscFinalize();
  return any_failed;
#else
  return RUN_ALL_TESTS();
#endif
}
