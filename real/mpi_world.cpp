#include "real/mpi_world.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>

#include "real/check.h"

namespace paralab::real {

bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

MpiWorld& MpiWorld::get() {
  static MpiWorld w;
  return w;
}

MpiWorld::MpiWorld() {
  if (!launched_by_mpirun()) return;
  int provided = 0;
  MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided));
  // Errors come back as codes (checked by MPI_CHECK), not as an abort.
  MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  active_ = true;
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
}

MpiWorld::~MpiWorld() {
  int fin = 0;
  if (active_ && MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Finalize();
}

void MpiWorld::abort(int code) const {
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

std::string mpirun_prefix(int ranks) {
  // $PARALAB_MPIRUN replaces "mpirun" (a command prefix: real/gpu_check.sh
  // runs the bundled mpirun through the bundled dynamic loader).
  const char* env = std::getenv("PARALAB_MPIRUN");
  std::string s = std::string(env && *env ? env : "mpirun") + " -np " + std::to_string(ranks) +
                  " --oversubscribe --bind-to none";
  if (::geteuid() == 0) s += " --allow-run-as-root";
  return s;
}

}  // namespace paralab::real
