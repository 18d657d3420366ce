#include "errors.hpp"

#include <new>
#include <vector>

#include "deepsolve/learned/memory.hpp"
#include "deepsolve/solvers/petsc/error.hpp"
#include "runtime.hpp"

namespace deepsolve::capi {

namespace {

thread_local std::string last_error;

}  // namespace

void set_error_message(const std::string& message) {
  last_error = message;
}

Failure current_failure() {
  try {
    throw;
  } catch (const Failure& f) {
    return f;
  } catch (const petsc::Error& e) {
    // Our message names the call; PETSc's handler saw the reason (e.g. an unknown type name).
    const std::string text = take_petsc_error_text();
    return Failure(DEEPSOLVE_ERROR_PETSC,
                   text.empty() ? std::string(e.what()) : std::string(e.what()) + ": " + text);
  } catch (const learned::MemoryEstimateError& e) {
    return Failure(DEEPSOLVE_ERROR_MEMORY, e.what());
  } catch (const std::bad_alloc&) {
    return Failure(DEEPSOLVE_ERROR_MEMORY, "out of memory");
  } catch (const std::invalid_argument& e) {
    return Failure(DEEPSOLVE_ERROR_ARGUMENT, e.what());
  } catch (const std::exception& e) {
    return Failure(DEEPSOLVE_ERROR_INTERNAL, e.what());
  } catch (...) {
    return Failure(DEEPSOLVE_ERROR_INTERNAL, "unknown exception");
  }
}

void throw_agreed(MPI_Comm comm, bool failed, const Failure& failure) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  // The lowest failing rank: MPI_MAXLOC picks the smallest index among equal maxima.
  struct {
    int failed;
    int rank;
  } mine{failed ? 1 : 0, rank}, first{0, 0};
  MPI_Allreduce(&mine, &first, 1, MPI_2INT, MPI_MAXLOC, comm);
  if (!first.failed) return;
  // The rank is named only when the others were fine (a message of all ranks needs no rank).
  int failing = failed ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_SUM, comm);

  int header[2] = {failure.status(), static_cast<int>(std::string(failure.what()).size())};
  MPI_Bcast(header, 2, MPI_INT, first.rank, comm);
  std::vector<char> text(static_cast<std::size_t>(header[1]));
  if (rank == first.rank) text.assign(failure.what(), failure.what() + header[1]);
  MPI_Bcast(text.data(), header[1], MPI_CHAR, first.rank, comm);
  std::string message(text.begin(), text.end());
  if (failing < size) message = "rank " + std::to_string(first.rank) + ": " + message;
  throw Failure(header[0], message);
}

}  // namespace deepsolve::capi

extern "C" const char* deepsolve_error_message(void) {
  return deepsolve::capi::last_error.c_str();
}
