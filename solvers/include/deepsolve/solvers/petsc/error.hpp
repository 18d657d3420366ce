// Turning PETSc error codes into C++ exceptions, and small version shims (we build against PETSc
// 3.18 from Debian 12 and newer releases).
#pragma once

#include <petscsys.h>

#include <stdexcept>
#include <string>

#ifndef PETSC_SUCCESS
#define PETSC_SUCCESS 0  // arrived in PETSc 3.19
#endif

namespace deepsolve::petsc {

/// A PETSc call returned an error code.
class Error : public std::runtime_error {
 public:
  Error(PetscErrorCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  PetscErrorCode code() const { return code_; }

 private:
  PetscErrorCode code_;
};

[[noreturn]] void throw_error(PetscErrorCode code, const char* expression, const char* file,
                              int line);

/// Throws petsc::Error when the PETSc expression fails.
#define DEEPSOLVE_PETSC_CALL(...)                                                         \
  do {                                                                                    \
    const PetscErrorCode deepsolve_ierr_ = (__VA_ARGS__);                                 \
    if (deepsolve_ierr_ != 0)                                                             \
      ::deepsolve::petsc::throw_error(deepsolve_ierr_, #__VA_ARGS__, __FILE__, __LINE__); \
  } while (0)

}  // namespace deepsolve::petsc
