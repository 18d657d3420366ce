// Errors under MPI without hangs. Inputs are replicated, so every rank reaches the same verdict on
// them; deepsolve::learned::collectively (training/distributed.hpp) makes that explicit at a few
// checkpoints and turns any rank's failure into the same UsageError on every rank. An exception
// that escapes elsewhere may have hit only some ranks while the rest wait in a collective call:
// all_ranks_failed() finds out without blocking forever, so main() can either exit cleanly or
// abort the job.
#pragma once

#include <mpi.h>

#include "deepsolve/learned/training/distributed.hpp"

namespace poisson_solve {

/// A problem every rank knows about (bad input, an unsolvable problem): rank 0 prints it once.
using UsageError = deepsolve::learned::CollectiveError;

/// Called after an unexpected exception on this rank. True when every rank of `comm` calls it
/// within `timeout_s` seconds (they all failed: a clean exit is safe); false otherwise (some rank
/// is busy or waiting in a collective call that will never complete: the caller must MPI_Abort).
/// `comm` must be used for nothing but these error checks.
bool all_ranks_failed(MPI_Comm comm, double timeout_s);

int rank_of(MPI_Comm comm);
int size_of(MPI_Comm comm);

}  // namespace poisson_solve
