#include "real/run_graph.h"

#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "real/launcher.h"

namespace paralab::real {

RunRecord run_graph(const TaskGraph& g, const Cluster& c, const RunGraphOptions& o, std::vector<RankResult>* out) {
  auto ex = make_executor(o.backend);
  std::vector<RankResult> ranks;
  if (o.ranks <= 1) {
    ranks.push_back(ex->run(g, c, o.exec));
  } else {
    g.validate(c);
    std::string dir = o.work_dir.empty() ? std::string(PARALAB_SOURCE_DIR) + "/results" : o.work_dir;
    std::filesystem::create_directories(dir);
    std::string gpath = dir + "/paralab-graph." + std::to_string(::getpid()) + ".json";
    write_json_file(gpath, g.to_json(), -1);
    // The ranks load the cluster by name: pass its node count too (a plan
    // scaled to N nodes would otherwise lose its devices in every rank).
    std::string args = "--backend " + o.backend + " --graph " + gpath + " --cluster " + o.cluster_arg +
                       " --nodes " + std::to_string(c.num_nodes) +
                       " --warmup " + std::to_string(o.exec.warmup_runs) + " --repetitions " +
                       std::to_string(o.exec.repetitions) + " --collective-timeout " +
                       std::to_string(o.exec.collective_timeout_seconds);
    for (const std::string& set : o.cluster_sets) {  // single-quoted for the shell
      std::string q;
      for (char ch : set) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      args += " --set '" + q + "'";
    }
    if (!o.exec.scratch_dir.empty()) args += " --scratch-dir " + o.exec.scratch_dir;
    if (o.exec.fail_rank >= 0) args += " --fail-rank " + std::to_string(o.exec.fail_rank);
    double limit = 4 * o.exec.collective_timeout_seconds + 120;
    ranks = launch_ranks(o.paralab_binary, o.ranks, args, dir, limit);
    std::filesystem::remove(gpath);
  }
  RunRecord rec = merge_rank_results(ranks, g, c, ex->backend());
  rec.config = {{"backend", o.backend}, {"ranks", o.ranks}, {"cluster", o.cluster_arg}, {"nodes", c.num_nodes},
                {"warmup_runs", o.exec.warmup_runs}, {"repetitions", o.exec.repetitions}, {"collective_timeout_seconds", o.exec.collective_timeout_seconds}};
  if (out) *out = std::move(ranks);
  return rec;
}

}  // namespace paralab::real
