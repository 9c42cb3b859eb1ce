#include "tests/simgrid/simgrid_mirror.h"

#include <simgrid/s4u.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "sim/simulator.h"

namespace paralab::simgrid_mirror {
namespace sg = simgrid::s4u;

namespace {

double cpu_now_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// In the child: builds the platform, runs, fills `out`.
void run_in_this_process(const bench::FlowWorkload& w, bool lazy, MirrorRun* out) {
  const double t0 = cpu_now_seconds();
  std::vector<std::string> args = {"paralab-simgrid-mirror",
                                   "--cfg=network/model:CM02",
                                   "--cfg=network/crosstraffic:0",
                                   "--cfg=network/TCP-gamma:1e30",
                                   "--cfg=network/weight-S:0",
                                   lazy ? "--cfg=network/optim:Lazy" : "--cfg=network/optim:Full",
                                   "--log=root.thresh:critical"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  int argc = int(argv.size());
  sg::Engine e(&argc, argv.data());
  const Cluster& c = w.cluster;
  sg::NetZone* zone = sg::create_full_zone("world");
  std::vector<sg::Host*> hosts;
  for (const Device& d : c.devices()) hosts.push_back(zone->create_host(d.vertex_name, 1e9));
  std::vector<sg::Link*> directed;  // index Hop::directed()
  for (const Link& l : c.links())
    for (int dir = 0; dir < 2; ++dir) {
      sg::Link* s = zone->create_link("l" + std::to_string(l.id) + (dir == 0 ? "f" : "b"), l.bandwidth_bytes_per_s);
      s->set_latency(l.latency_seconds);
      s->seal();
      directed.push_back(s);
    }
  std::map<std::pair<int, int>, bool> routed;
  for (const bench::ChainedTransfer& t : w.transfers) {
    if (!routed.emplace(std::make_pair(t.device, t.dst), true).second) continue;
    std::vector<sg::LinkInRoute> links;
    for (const Hop& h : c.route(c.device(t.device).vertex, c.device(t.dst).vertex))
      links.emplace_back(directed.at(size_t(h.directed())));
    zone->add_route(hosts[t.device]->get_netpoint(), hosts[t.dst]->get_netpoint(), nullptr, nullptr, links,
                    false);
  }
  zone->seal();
  // One actor per chain, in order of first appearance.
  std::map<std::pair<int, int>, std::vector<int>> chains;
  for (size_t i = 0; i < w.transfers.size(); ++i)
    chains[{w.transfers[i].device, w.transfers[i].stream}].push_back(int(i));
  out->finish_seconds.assign(w.transfers.size(), 0.0);
  for (const auto& [key, ops] : chains) {
    sg::Actor::create("chain", hosts[key.first], [&w, &hosts, out, ops = ops] {
      for (int i : ops) {
        const bench::ChainedTransfer& t = w.transfers[size_t(i)];
        sg::Comm::sendto(hosts[t.device], hosts[t.dst], uint64_t(t.bytes));
        out->finish_seconds[size_t(i)] = sg::Engine::get_clock();
      }
    });
  }
  e.run();
  out->makespan_seconds = sg::Engine::get_clock();
  out->cpu_seconds = cpu_now_seconds() - t0;
}

// Moves all n bytes through read() or write(), however many calls it takes.
template <typename Byte, typename Io>
bool all_bytes(Io io, int fd, Byte* p, size_t n) {
  while (n > 0) {
    ssize_t k = io(fd, p, n);
    if (k <= 0) return false;
    p += k;
    n -= size_t(k);
  }
  return true;
}
bool write_all(int fd, const void* p, size_t n) { return all_bytes(::write, fd, static_cast<const char*>(p), n); }
bool read_all(int fd, void* p, size_t n) { return all_bytes(::read, fd, static_cast<char*>(p), n); }

}  // namespace

MirrorRun simgrid_run(const bench::FlowWorkload& w, bool lazy) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("simgrid_run: pipe() failed");
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("simgrid_run: fork() failed");
  if (pid == 0) {
    close(fds[0]);
    MirrorRun r;
    run_in_this_process(w, lazy, &r);
    bool ok = write_all(fds[1], &r.makespan_seconds, sizeof(double)) &&
              write_all(fds[1], &r.cpu_seconds, sizeof(double)) &&
              write_all(fds[1], r.finish_seconds.data(), r.finish_seconds.size() * sizeof(double));
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  MirrorRun r;
  r.finish_seconds.assign(w.transfers.size(), 0.0);
  bool ok = read_all(fds[0], &r.makespan_seconds, sizeof(double)) &&
            read_all(fds[0], &r.cpu_seconds, sizeof(double)) &&
            read_all(fds[0], r.finish_seconds.data(), r.finish_seconds.size() * sizeof(double));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("simgrid_run: the SimGrid child failed (status " + std::to_string(status) + ")");
  return r;
}

namespace {
class FinishRecorder : public sim::OpObserver {
 public:
  explicit FinishRecorder(std::vector<double>* out) : out_(out) {}
  void op_done(int op, TimeNs, TimeNs end_ns) override { (*out_)[size_t(op)] = ns_to_seconds(end_ns); }

 private:
  std::vector<double>* out_;
};
}  // namespace

MirrorRun paralab_run(const bench::FlowWorkload& w) {
  const double t0 = cpu_now_seconds();
  TaskGraph g = bench::to_task_graph(w);
  g.validate(w.cluster);
  MirrorRun r;
  r.finish_seconds.assign(w.transfers.size(), 0.0);
  FinishRecorder rec(&r.finish_seconds);
  sim::SimOptions o;
  o.observer = &rec;
  sim::SimResult s = sim::simulate(w.cluster, g, o);
  r.makespan_seconds = ns_to_seconds(s.makespan_ns);
  r.cpu_seconds = cpu_now_seconds() - t0;
  return r;
}

}  // namespace paralab::simgrid_mirror
