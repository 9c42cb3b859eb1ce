#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include "real/launcher.h"

#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "real/check.h"
#include "real/mpi_world.h"

namespace paralab::real {

std::string rank_result_path(const std::string& dir, int rank) {
  return dir + "/rank" + std::to_string(rank) + ".json";
}

std::vector<RankResult> launch_ranks(const std::string& binary, int ranks, const std::string& args,
                                     const std::string& work_dir, double timeout_seconds) {
  std::string dir = work_dir + "/paralab-ranks." + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string log = dir + "/mpirun.log";
  std::string cmd = "timeout " + std::to_string(int(timeout_seconds) + 1) + " " + mpirun_prefix(ranks) + " " + binary +
                    " run " + args + " --rank-output " + dir + " >" + log + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::stringstream out;
  if (std::ifstream in(log); in) out << in.rdbuf();
  // Ranks mpirun names as failed ("Process name: [[12345,1],1]").
  std::set<int> named;
  std::string text = out.str();
  std::regex re(R"(\[\[\d+,\d+\],(\d+)\])");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    named.insert(std::stoi((*it)[1]));
  std::vector<RankResult> res;
  for (int r = 0; r < ranks; ++r) {
    std::string p = rank_result_path(dir, r);
    if (std::filesystem::exists(p)) {
      try {
        res.push_back(RankResult::from_json(read_json_file(p)));
        continue;
      } catch (const std::exception& e) {
        // fall through: unreadable = missing
      }
    }
    RankResult m;
    m.rank = r;
    m.status = "error";
    if (named.count(r))
      m.message = "rank " + std::to_string(r) + " died (mpirun reported its process as failed; exit " +
                  std::to_string(WEXITSTATUS(rc)) + ")";
    else
      m.message = "rank " + std::to_string(r) + " left no result (mpirun exit " + std::to_string(WEXITSTATUS(rc)) + ")";
    res.push_back(m);
  }
  // When every rank failed without a file, keep mpirun's last words for the message.
  bool any = false;
  for (const auto& r : res) any |= r.status == "ok" || !r.timings.empty() || r.message.find("timed out") != std::string::npos;
  if (!any && !text.empty()) {
    std::string tail = text.size() > 600 ? text.substr(text.size() - 600) : text;
    res[0].notes.push_back("mpirun output: " + tail);
  }
  std::filesystem::remove_all(dir);
  return res;
}

std::vector<RankResult> gather_rank_results(const RankResult& mine) {
  MpiWorld& w = MpiWorld::get();
  if (!w.active() || w.size() == 1) return {mine};
  std::string s = mine.to_json().dump();
  int len = int(s.size());
  std::vector<int> lens(w.size()), displs(w.size());
  MPI_CHECK(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD));
  std::string all;
  if (w.rank() == 0) {
    int total = 0;
    for (int i = 0; i < w.size(); ++i) displs[i] = total, total += lens[i];
    all.resize(total);
  }
  MPI_CHECK(MPI_Gatherv(s.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD));
  std::vector<RankResult> out;
  if (w.rank() != 0) return out;
  for (int i = 0; i < w.size(); ++i) out.push_back(RankResult::from_json(Json::parse(all.substr(displs[i], lens[i]))));
  return out;
}

}  // namespace paralab::real
