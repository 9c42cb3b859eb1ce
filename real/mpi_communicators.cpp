#include "real/mpi_communicators.h"

#include <algorithm>

#include "real/check.h"

namespace paralab::real {

std::vector<MPI_Comm> split_communicators(const std::vector<CommunicatorSpec>& plan, int rank) {
  std::vector<MPI_Comm> out(plan.size(), MPI_COMM_NULL);
  for (size_t e = 0; e < plan.size(); ++e) {
    const CommunicatorSpec& s = plan[e];
    if (!s.spans_processes()) continue;  // the same answer on every process: no call anywhere
    std::vector<int> mine = s.members_of(rank);
    // One member per process of a spanning group (the executors check this
    // before); key = member index, so communicator rank i is member i.
    int color = mine.empty() ? MPI_UNDEFINED : 0, key = mine.empty() ? 0 : mine.front();
    MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, color, key, &out[e]));
  }
  return out;
}

std::vector<std::string> broadcast_from_roots(const std::vector<CommunicatorSpec>& plan, int rank, size_t bytes,
                                              const std::function<std::string(const CommunicatorSpec&)>& make_root_bytes) {
  std::vector<std::string> out(plan.size());
  for (size_t e = 0; e < plan.size(); ++e) {
    const CommunicatorSpec& s = plan[e];
    if (!s.spans_processes()) continue;
    std::string buf(bytes, '\0');
    if (rank == s.root_process) {
      std::string b = make_root_bytes(s);
      buf.replace(0, std::min(bytes, b.size()), b.substr(0, bytes));
    }
    MPI_CHECK(MPI_Bcast(buf.data(), int(bytes), MPI_BYTE, s.root_process, MPI_COMM_WORLD));
    out[e] = std::move(buf);
  }
  return out;
}

}  // namespace paralab::real
