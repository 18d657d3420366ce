#include "runtime.hpp"

#include <petscsys.h>

#include "deepsolve/solvers/config.hpp"
#include "errors.hpp"

namespace deepsolve::capi {

namespace {

/// Whether deepsolve called PetscInitialize (then deepsolve_finalize calls PetscFinalize).
bool initialized_by_us = false;
thread_local std::string petsc_error_text;

/// PetscReturnErrorHandler's behaviour (return the code, print nothing), keeping the text of the
/// error where it arose; the calls it then passes through add only their names.
PetscErrorCode record_error(MPI_Comm, int, const char*, const char*, PetscErrorCode code,
                            PetscErrorType type, const char* message, void*) {
  if (type == PETSC_ERROR_INITIAL && petsc_error_text.empty() && message)
    petsc_error_text = message;
  return code;
}

}  // namespace

void ensure_petsc_initialized(int* argc, char*** argv) {
  PetscBool petsc_on = PETSC_FALSE;
  if (PetscInitialized(&petsc_on) == 0 && petsc_on) return;
  int mpi_finalized = 0;
  MPI_Finalized(&mpi_finalized);
  if (mpi_finalized)
    throw Failure(DEEPSOLVE_ERROR_ARGUMENT, "MPI has been finalised; PETSc cannot start again");
  // PETSc initialises MPI when the caller has not, and then finalises it in PetscFinalize.
  const PetscErrorCode code =
      (argc && argv) ? PetscInitialize(argc, argv, nullptr, nullptr) : PetscInitializeNoArguments();
  if (code != 0)
    throw Failure(DEEPSOLVE_ERROR_PETSC,
                  "PetscInitialize failed with error " + std::to_string(static_cast<int>(code)));
  initialized_by_us = true;
}

std::string take_petsc_error_text() {
  std::string text;
  text.swap(petsc_error_text);
  return text;
}

PetscErrorScope::PetscErrorScope() {
  ensure_petsc_initialized(nullptr, nullptr);
  petsc_error_text.clear();
  if (PetscPushErrorHandler(record_error, nullptr) != 0)
    throw Failure(DEEPSOLVE_ERROR_PETSC, "PetscPushErrorHandler failed");
}

PetscErrorScope::~PetscErrorScope() {
  PetscPopErrorHandler();
}

}  // namespace deepsolve::capi

using deepsolve::capi::guarded;

extern "C" const char* deepsolve_version(void) {
  return DEEPSOLVE_VERSION;
}

extern "C" int deepsolve_initialize(int* argc, char*** argv) {
  return guarded("deepsolve_initialize", [&] {
    if ((argc == nullptr) != (argv == nullptr))
      throw deepsolve::capi::Failure(DEEPSOLVE_ERROR_NULL,
                                     "argc and argv must both be given or both be NULL");
    deepsolve::capi::ensure_petsc_initialized(argc, argv);
  });
}

extern "C" int deepsolve_finalize(void) {
  return guarded("deepsolve_finalize", [&] {
    if (!deepsolve::capi::initialized_by_us) return;
    deepsolve::capi::initialized_by_us = false;
    const PetscErrorCode code = PetscFinalize();
    if (code != 0)
      throw deepsolve::capi::Failure(
          DEEPSOLVE_ERROR_PETSC,
          "PetscFinalize failed with error " + std::to_string(static_cast<int>(code)));
  });
}
