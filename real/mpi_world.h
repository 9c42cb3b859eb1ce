// MpiWorld: the process's place in an MPI job launched by mpirun.
//
// MPI is process-global state, so this is the one place it is initialised
// (MPI_Init_thread, asking for MPI_THREAD_MULTIPLE) and finalised (at exit).
// A process not started by mpirun (no OMPI_/PMI_/PMIX_ rank variables) is a
// world of one rank and never touches MPI.
// Invariants: 1. MPI is initialised at most once, on first use, only under
// mpirun; 2. rank() < size(); 3. thread_multiple() tells whether worker
// threads may call MPI concurrently (otherwise callers serialise).
// Thread-safety: get() is thread-safe (function-local static).
#pragma once

#include <string>

namespace paralab::real {

class MpiWorld {
 public:
  static MpiWorld& get();
  bool active() const { return active_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool thread_multiple() const { return thread_multiple_; }
  // Aborts the whole job (MPI_Abort) when active; used after a fatal error on one rank.
  void abort(int code) const;

 private:
  MpiWorld();
  ~MpiWorld();
  bool active_ = false;
  int rank_ = 0, size_ = 1;
  bool thread_multiple_ = false;
};

// True when the environment says this process was launched by mpirun/srun.
bool launched_by_mpirun();

// argv prefix to launch `ranks` processes on this host ($PARALAB_MPIRUN, a
// command prefix, replaces "mpirun" when set): {"mpirun", "-np", "2",
// "--oversubscribe", "--allow-run-as-root" (as root), "--bind-to", "none"}.
std::string mpirun_prefix(int ranks);

}  // namespace paralab::real
