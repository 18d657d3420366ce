// How the C API (deepsolve/deepsolve.h) reports failures: every entry point runs its body through
// guarded(), which turns any exception into a status code and the thread's last error message,
// so that nothing crosses the C boundary; and under MPI, agree() makes every rank return the same
// failure when one rank's arguments are bad, before any collective work that would otherwise hang.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

#include "deepsolve/deepsolve.h"

namespace deepsolve::capi {

/// A failure with its status code (DEEPSOLVE_ERROR_*), thrown inside an entry point.
class Failure : public std::runtime_error {
 public:
  Failure(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// Sets the calling thread's last error message.
void set_error_message(const std::string& message);

/// The status and message of the exception being handled (call inside a catch block): Failure
/// keeps its own, petsc::Error is DEEPSOLVE_ERROR_PETSC (with PETSc's own text when the error
/// handler caught one), memory estimates and bad_alloc DEEPSOLVE_ERROR_MEMORY, invalid_argument
/// DEEPSOLVE_ERROR_ARGUMENT, anything else DEEPSOLVE_ERROR_INTERNAL.
Failure current_failure();

/// Runs body(): DEEPSOLVE_SUCCESS, or the status of what it threw, with the message
/// "<function>: <what>" as the thread's last error.
template <class Body>
int guarded(const char* function, Body&& body) noexcept {
  try {
    try {
      body();
      return DEEPSOLVE_SUCCESS;
    } catch (...) {
      const Failure f = current_failure();
      set_error_message(std::string(function) + ": " + f.what());
      return f.status();
    }
  } catch (...) {  // building the message itself failed (out of memory)
    return DEEPSOLVE_ERROR_MEMORY;
  }
}

/// Every rank throws the Failure of the lowest rank where `failed` is true, its message prefixed
/// with "rank R: " unless every rank failed; returns when no rank failed. Collective.
void throw_agreed(MPI_Comm comm, bool failed, const Failure& failure);

/// Runs local() (checks without communication) on every rank of comm and agrees on the outcome
/// (throw_agreed), so that one rank's bad argument makes every rank fail instead of leaving the
/// others waiting in a collective call. Collective.
template <class Local>
void agree(MPI_Comm comm, Local&& local) {
  bool failed = false;
  Failure failure(DEEPSOLVE_SUCCESS, "");
  try {
    local();
  } catch (...) {
    failed = true;
    failure = current_failure();
  }
  throw_agreed(comm, failed, failure);
}

}  // namespace deepsolve::capi
