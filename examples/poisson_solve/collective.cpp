#include "collective.hpp"

#include <chrono>
#include <thread>

namespace poisson_solve {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

int size_of(MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  return size;
}

bool all_ranks_failed(MPI_Comm comm, double timeout_s) {
  if (size_of(comm) == 1) return true;
  int one = 1, sum = 0, done = 0;
  MPI_Request request;
  MPI_Iallreduce(&one, &sum, 1, MPI_INT, MPI_SUM, comm, &request);
  const double start = MPI_Wtime();
  while (!done) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (MPI_Wtime() - start > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace poisson_solve
