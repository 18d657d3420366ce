// Errors under MPI without hangs. Inputs are replicated, so every rank reaches the same verdict on
// them; agree() makes that explicit at a few checkpoints (all ranks call it) and turns any rank's
// failure into a UsageError on every rank. An exception that escapes elsewhere may have hit only
// some ranks while the rest wait in a collective call: all_ranks_failed() finds out without
// blocking forever, so main() can either exit cleanly or abort the job.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace poisson_solve {

/// A problem every rank knows about (bad input, an unsolvable problem): rank 0 prints it once.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Called by every rank of `comm` at the same point. If `error` is non-empty on any rank, throws a
/// UsageError carrying the message of the lowest such rank on every rank.
void agree(MPI_Comm comm, const std::string& error);

/// Runs f() on every rank and agree()s on whether it threw.
template <class F>
void collectively(MPI_Comm comm, F&& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  agree(comm, error);
}

/// Called after an unexpected exception on this rank. True when every rank of `comm` calls it
/// within `timeout_s` seconds (they all failed: a clean exit is safe); false otherwise (some rank
/// is busy or waiting in a collective call that will never complete: the caller must MPI_Abort).
/// `comm` must be used for nothing but these error checks.
bool all_ranks_failed(MPI_Comm comm, double timeout_s);

int rank_of(MPI_Comm comm);
int size_of(MPI_Comm comm);

}  // namespace poisson_solve
