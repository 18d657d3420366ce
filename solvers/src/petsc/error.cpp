#include "deepsolve/solvers/petsc/error.hpp"

namespace deepsolve::petsc {

void throw_error(PetscErrorCode code, const char* expression, const char* file, int line) {
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  throw Error(code, std::string("PETSc error ") + std::to_string(static_cast<int>(code)) + " (" +
                        (text ? text : "unknown") + ") in " + expression + " at " + file + ":" +
                        std::to_string(line));
}

}  // namespace deepsolve::petsc
