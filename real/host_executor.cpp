// The host executor: every simulated device is a worker with one thread per
// stream. Compute = OpenBLAS SGEMM of the op's shape (one BLAS thread per
// worker) or a memory sweep of the op's bytes; a weight-only quantized GEMM
// (an op naming a weight format) runs the kernels/ CPU kernels on a
// synthetic matrix of its format and shape (kernels::qmatmul_cpu: qgemv_cpu
// for m <= kCpuGemvMaxRows rows, qgemm_cpu above), prepared once per (format, N, K) before timing; transfers = memcpy between
// per-tier arenas (pinned = mlock-ed); SSD reads/writes = O_DIRECT I/O on a
// scratch file made for the run; collectives = MPI among ranks, or an
// in-process ring (reduce-scatter + all-gather) when all members are local.
// This file is the orchestrator (setup, lanes, one execution); it is long
// because setup and execution share many small per-run tables.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "core/communicator_plan.h"
#include "core/error.h"
#include "core/issue_order.h"
#include "kernels/qmatmul_cpu.h"
#include "real/check.h"
#include "real/executor.h"
#include "real/host_ops.h"
#include "real/mpi_communicators.h"
#include "real/mpi_world.h"
#include "real/sync.h"

namespace paralab::real {

namespace {

constexpr size_t kArenaCapBytes = size_t(256) << 20;
using Clock = std::chrono::steady_clock;

std::mutex& mpi_mutex() {
  static std::mutex m;
  return m;
}

// Serialises MPI calls unless the library gave MPI_THREAD_MULTIPLE.
struct MpiLock {
  std::unique_lock<std::mutex> l;
  MpiLock() {
    if (!MpiWorld::get().thread_multiple()) l = std::unique_lock<std::mutex>(mpi_mutex());
  }
};

size_t page_round(double b) { return (static_cast<size_t>(std::ceil(b)) + kPageBytes - 1) / kPageBytes * kPageBytes; }

struct Lane {
  int device = 0, stream = 0;
  std::vector<int> ops;
  // Scratch for compute (sized at setup).
  HostBuffer a, b, c, sweep_src, sweep_dst;
  // The lane's own transfer arenas, (tier, location) -> buffer, and its
  // collective buffers: lanes run at once, so two lanes never share bytes
  // (a lane's read into a pinned buffer while another copies out of it
  // would be a data race; their contents are scratch, their sizes and
  // tiers are what is timed).
  std::map<std::pair<int, int>, HostBuffer> arenas;
  HostBuffer coll_send, coll_recv;
  size_t ssd_cursor = 0;
};

class HostRun {
 public:
  HostRun(const TaskGraph& g, const Cluster& c, const ExecOptions& o) : g_(g), c_(c), o_(o) {
    MpiWorld& w = MpiWorld::get();
    rank_ = w.rank();
    size_ = w.size();
  }

  RankResult run() {
    RankResult r;
    r.rank = rank_;
    try {
      setup(&r);
    } catch (const RealError& e) {
      r.status = "error";
      r.message = "rank " + std::to_string(rank_) + ": " + e.what();
      return r;
    }
    for (int i = 0; i < o_.warmup_runs && r.status == "ok"; ++i) execute_once(&r, false);
    // Timed executions: keep the one with the shortest makespan (best-of, as
    // calibration does, so noise from other jobs does not bias the comparison).
    double best = -1;
    for (int i = 0; i < std::max(1, o_.repetitions) && r.status == "ok"; ++i) {
      RankResult trial;
      execute_once(&trial, true);
      if (trial.status != "ok") {
        r.status = trial.status;
        r.message = trial.message;
        break;
      }
      double span = 0;
      for (const auto& t : trial.timings) span = std::max(span, t.end_seconds);
      if (best < 0 || span < best) {
        best = span;
        r.timings = std::move(trial.timings);
      }
    }
    for (const auto& [key, peak] : peaks_)
      r.peak_memory.push_back({key.first, key.second, peak});
    return r;
  }

  ~HostRun() {
    MpiLock l;
    for (auto& comm : comms_)
      if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }

 private:
  bool local(int device) const { return device % size_ == rank_; }

  int local_members(int op) const {
    int n = 0;
    for (int d : g_.devices_of(op)) n += local(d);
    return n;
  }

  static char* arena(Lane& lane, Place p, size_t* cap) {
    auto it = lane.arenas.find({int(p.tier), p.location});
    assert(it != lane.arenas.end());
    *cap = it->second.bytes();
    return it->second.data();
  }

  void setup(RankResult* r) {
    set_blas_single_thread();
    const size_t n = g_.size();
    remaining_.assign(n, 0);
    // Lanes, their id order and the local predecessors: the one issue plan
    // every backend shares (core/issue_order.h).
    IssuePlan plan = plan_issue(g_, [this](int d) { return local(d); });
    for (auto& l : plan.lanes) {
      lanes_.push_back(std::make_unique<Lane>());
      lanes_.back()->device = l.device;
      lanes_.back()->stream = l.stream;
      lanes_.back()->ops = std::move(l.ops);
      for (int id : lanes_.back()->ops) ++remaining_[id];
    }
    preds_ = std::move(plan.preds);
    double ssd_total = 0, ssd_max = 0;
    for (int id = 0; id < int(n); ++id) {
      const Op& o = g_.op(id);
      if (remaining_[id] == 0) continue;
      if (o.type == OpType::kTransfer && (o.src_place().tier == TierKind::kSsd || o.dst_place().tier == TierKind::kSsd)) {
        ssd_total += o.bytes;
        ssd_max = std::max(ssd_max, o.bytes);
      }
      if (o.type == OpType::kCollective) {
        int members = int(g_.devices_of(id).size());
        int loc = local_members(id);
        if (loc > 1 && loc < members)
          throw RealError("collective " + g_.describe(id) + " has " + std::to_string(loc) + " of its " +
                          std::to_string(members) + " members on rank " + std::to_string(rank_) +
                          "; the host backend needs one member per rank or all members in one process");
      }
    }
    prepare_quantized(r);
    // Lane scratch for compute.
    for (auto& lane : lanes_) {
      size_t amax = 0, bmax = 0, cmax = 0, smax = 0;
      for (int id : lane->ops) {
        const Op& o = g_.op(id);
        if (o.type != OpType::kCompute) continue;
        GemmShape shape = compute_shape(id);
        if (shape.m > 0) {
          for (const GemmShape& s : gemm_kernels(shape)) {
            amax = std::max<size_t>(amax, s.m * s.k * 4);
            if (!qop_[id]) bmax = std::max<size_t>(bmax, s.k * s.n * 4);  // quantized: the prepared matrix
            cmax = std::max<size_t>(cmax, s.m * s.n * 4);
          }
        } else {
          smax = std::max<size_t>(smax, std::min<size_t>(kArenaCapBytes, size_t(o.bytes / 2) + 64));
        }
      }
      lane->a = HostBuffer(amax, false);
      lane->b = HostBuffer(bmax, false);
      lane->c = HostBuffer(cmax, false);
      lane->sweep_src = HostBuffer(smax, false);
      lane->sweep_dst = HostBuffer(smax, false);
      for (size_t i = 0; i < lane->a.bytes() / 4; ++i) lane->a.floats()[i] = 0.001f * float(i % 13);
      for (size_t i = 0; i < lane->b.bytes() / 4; ++i) lane->b.floats()[i] = 0.002f * float(i % 7);
    }
    // Each lane's arenas and collective buffers, sized by its own ops.
    bool mlock_refused = false;
    for (auto& lane : lanes_) {
      std::map<std::pair<int, int>, double> arena_need;  // (tier, location) -> bytes
      double coll_need = 0;
      for (int id : lane->ops) {
        const Op& o = g_.op(id);
        if (o.type == OpType::kTransfer) {
          for (Place p : {o.src_place(), o.dst_place()}) {
            if (p.tier == TierKind::kSsd) continue;
            double& need = arena_need[{int(p.tier), p.location}];
            need = std::max(need, double(page_round(o.bytes)));
          }
        }
        if (o.type == OpType::kCollective) {
          coll_need = std::max(coll_need, o.bytes);
          lane_of_[{id, lane->device}] = lane.get();
        }
      }
      for (auto& [key, bytes] : arena_need) {
        bool pin = key.first == int(TierKind::kPinnedHost);
        HostBuffer& b = lane->arenas.emplace(key, HostBuffer(std::min<size_t>(page_round(bytes), kArenaCapBytes), pin))
                            .first->second;
        mlock_refused |= pin && !b.pinned();
      }
      if (coll_need > 0) {
        size_t b = std::min<size_t>(page_round(coll_need), kArenaCapBytes);
        lane->coll_send = HostBuffer(b, false);
        lane->coll_recv = HostBuffer(b, false);
        for (size_t i = 0; i < b / 4; ++i) lane->coll_send.floats()[i] = float(lane->device + 1);
      }
    }
    if (mlock_refused)
      r->notes.push_back("mlock refused for a pinned arena (RLIMIT_MEMLOCK); pinned copies used pageable memory");
    if (ssd_total > 0) {
      std::string dir = o_.scratch_dir.empty() ? std::string(PARALAB_SOURCE_DIR) + "/results" : o_.scratch_dir;
      std::filesystem::create_directories(dir);
      size_t file = std::max(page_round(std::min(ssd_total, 512.0 * kMiB)), page_round(std::min<double>(ssd_max, kArenaCapBytes)));
      ssd_ = std::make_unique<ScratchFile>(dir + "/paralab-run-scratch." + std::to_string(::getpid()) + "." +
                                               std::to_string(rank_),
                                           file);
      if (!ssd_->o_direct()) r->notes.push_back("ssd: " + ssd_->note());
    }
    bool gemm_lowp = false;
    for (int id = 0; id < int(n); ++id)
      gemm_lowp |= g_.op(id).type == OpType::kCompute && g_.op(id).dtype() != DType::kFp32 && !qop_[id];
    if (gemm_lowp) r->notes.push_back("host backend computes every dtype in fp32 (OpenBLAS SGEMM)");
    // Communicators from the graph's groups: every rank takes part in every
    // split, in the one global order (core/communicator_plan.h).
    if (size_ > 1) {
      comm_plan_ = communicator_plan(g_, size_);
      MpiLock l;
      comms_ = split_communicators(comm_plan_, rank_);
    }
  }

  // One synthetic matrix per (format, N, K) of the local weight-quantized
  // GEMMs; qop_[id] points to op id's (nullptr for other ops). A format
  // name kernels/ does not know, or a shape it cannot hold, is bad input.
  void prepare_quantized(RankResult* r) {
    qop_.assign(g_.size(), nullptr);
    std::map<std::string, int> ops_by_format;
    for (int id = 0; id < int(g_.size()); ++id) {
      const Op& o = g_.op(id);
      const std::string* w = g_.weight_format(o);
      if (!w || remaining_[id] == 0) continue;
      const GemmShape& s = *g_.gemm_shape(o);
      auto key = std::make_tuple(*w, s.n, s.k);
      auto it = qweights_.find(key);
      if (it == qweights_.end())
        it = qweights_.emplace(key, std::make_unique<kernels::QuantizedMatrix>(synthetic_weights_for(g_, id, *w, s.n, s.k)))
                 .first;
      qop_[id] = it->second.get();
      ++ops_by_format[*w];
    }
    for (const auto& [w, count] : ops_by_format)
      r->notes.push_back(std::to_string(count) + " weight-quantized GEMMs (" + w +
                         ") ran the kernels/ CPU kernels (qgemv_cpu for m <= " +
                         std::to_string(kernels::kCpuGemvMaxRows) + ", else qgemm_cpu)");
  }

  // The GEMM an op runs: its shape, or for a compute-bound op without one a
  // cube of equal FLOPs; m = 0 for a memory-bound op.
  GemmShape compute_shape(int id) const {
    const Op& o = g_.op(id);
    if (const GemmShape* s = g_.gemm_shape(o)) return *s;
    const DeviceSpec& spec = c_.device(o.device).spec;
    double peak = spec.peak("fp32") > 0 ? spec.peak("fp32") : spec.peak(dtype_name(o.dtype()));
    double t_compute = peak > 0 ? o.flops / peak : 0;
    double t_memory = spec.memory_bandwidth_bytes_per_s > 0 ? o.bytes / spec.memory_bandwidth_bytes_per_s : 0;
    if (o.flops <= 0 || t_memory > t_compute) return {};
    int64_t e = std::max<int64_t>(1, std::llround(std::cbrt(o.flops / 2)));
    return {e, e, e};
  }

  void execute_once(RankResult* r, bool timed) {
    RunControl rc(remaining_);
    ctl_ = &rc;
    rendezvous_.clear();
    for (int id = 0; id < int(g_.size()); ++id) {
      const Op& o = g_.op(id);
      if (o.type != OpType::kCollective || local_members(id) < 2) continue;
      auto members = g_.devices_of(id);
      auto rv = std::make_unique<Rendezvous>(int(members.size()));
      for (int d : members) {
        Lane* lane = lane_of_.at({id, d});
        rv->bufs.push_back(lane->coll_send.data());
        rv->recv.push_back(lane->coll_recv.data());
      }
      rendezvous_[id] = std::move(rv);
    }
    std::vector<std::vector<OpTiming>> per_lane(lanes_.size());
    if (size_ > 1) {
      MpiLock l;
      MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    }
    t0_ = Clock::now();
    std::vector<std::thread> threads;
    for (size_t i = 0; i < lanes_.size(); ++i)
      threads.emplace_back([this, i, &per_lane] { run_lane(*lanes_[i], &per_lane[i]); });
    for (auto& t : threads) t.join();
    ctl_ = nullptr;
    if (rc.failed()) {
      r->status = rc.status();
      r->message = rc.message();
    }
    if (timed)
      for (auto& v : per_lane) r->timings.insert(r->timings.end(), v.begin(), v.end());
  }

  double now() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

  void run_lane(Lane& lane, std::vector<OpTiming>* out) {
    for (int id : lane.ops) {
      if (!ctl_->wait_all(preds_[id])) return;
      double s = now();
      try {
        execute(lane, id);
      } catch (const RealError& e) {
        ctl_->fail(status_of(e.what()), "rank " + std::to_string(rank_) + ": " + g_.describe(id) + ": " + e.what());
        return;
      } catch (const std::exception& e) {
        ctl_->fail("error", "rank " + std::to_string(rank_) + ": " + g_.describe(id) + ": " + e.what());
        return;
      }
      if (ctl_->failed()) return;
      out->push_back({id, lane.device, lane.stream, s, now()});
      ctl_->finish(id);
    }
  }

  static std::string status_of(const std::string& what) { return what.rfind("oom:", 0) == 0 ? "oom" : "error"; }

  void execute(Lane& lane, int id) {
    const Op& o = g_.op(id);
    switch (o.type) {
      case OpType::kCompute: return compute(lane, id);
      case OpType::kTransfer: return transfer(lane, o);
      case OpType::kCollective: return collective(lane, id);
      case OpType::kAlloc:
      case OpType::kFree: return memory(o);
    }
  }

  void compute(Lane& lane, int id) {
    const Op& o = g_.op(id);
    GemmShape s = compute_shape(id);
    if (const kernels::QuantizedMatrix* q = qop_[id]) {
      kernels::qmatmul_cpu(*q, lane.a.floats(), s.m, lane.c.floats());
      return;
    }
    if (s.m > 0) {
      for (const GemmShape& g : gemm_kernels(s))
        host_sgemm(g.m, g.n, g.k, lane.a.floats(), lane.b.floats(), lane.c.floats());
      return;
    }
    double left = o.bytes;  // memory sweep: half read, half written
    size_t cap_floats = lane.sweep_src.bytes() / 4;
    while (left > 0) {
      size_t floats = std::min<size_t>(cap_floats, size_t(left / 8) + 1);
      memory_sweep(lane.sweep_dst.floats(), lane.sweep_src.floats(), floats);
      left -= 8.0 * double(floats);
    }
  }

  void transfer(Lane& lane, const Op& o) {
    Place s = o.src_place(), t = o.dst_place();
    size_t bytes = static_cast<size_t>(o.bytes);
    if (s.tier == TierKind::kSsd || t.tier == TierKind::kSsd) {
      // SSD requests of up to the host arena's size, page-rounded, at the
      // lane's cursor into the scratch file (wrapping at its end).
      const bool write = t.tier == TierKind::kSsd;
      size_t cap = 0;
      char* buf = arena(lane, write ? s : t, &cap);
      for (size_t left = page_round(o.bytes); left > 0;) {
        size_t chunk = std::min(left, cap);
        if (lane.ssd_cursor + chunk > ssd_->size()) lane.ssd_cursor = 0;
        if (write)
          ssd_->write(lane.ssd_cursor, chunk, buf);
        else
          ssd_->read(lane.ssd_cursor, chunk, buf);
        lane.ssd_cursor += chunk;
        left -= chunk;
      }
      return;
    }
    size_t scap = 0, dcap = 0;
    char* src = arena(lane, s, &scap);
    char* dst = arena(lane, t, &dcap);
    size_t cap = std::min(scap, dcap);
    while (bytes > 0) {
      size_t chunk = std::min(bytes, cap);
      std::memcpy(dst, src, chunk);
      bytes -= chunk;
    }
  }

  void memory(const Op& o) {
    Place p = o.src_place();
    std::string scope = p.tier == TierKind::kDevice ? "device" + std::to_string(p.location) : "node" + std::to_string(p.location);
    std::lock_guard<std::mutex> l(mem_mu_);
    auto key = std::make_pair(scope, std::string(tier_kind_name(p.tier)));
    double& used = in_use_[key];
    if (o.type == OpType::kFree) {
      used = std::max(0.0, used - o.bytes);
      return;
    }
    double cap = c_.tier_capacity_bytes(o.device, p.tier);
    if (cap > 0 && used + o.bytes > cap)
      throw RealError("oom: alloc of " + std::to_string(o.bytes) + " bytes on " + key.second + " of " + scope +
                      " exceeds its capacity of " + std::to_string(cap) + " bytes (" + std::to_string(used) +
                      " in use)");
    used += o.bytes;
    peaks_[key] = std::max(peaks_[key], used);
  }

  void collective(Lane& lane, int id) {
    auto members = g_.devices_of(id);
    int n = int(members.size());
    if (o_.fail_rank == rank_) {
      // Fault injection: this rank stops answering (as a hung or dead rank would).
      std::this_thread::sleep_for(std::chrono::duration<double>(o_.collective_timeout_seconds + 30));
      std::_Exit(3);
    }
    if (n == 1) return;
    if (auto it = rendezvous_.find(id); it != rendezvous_.end()) return local_collective(lane, id, *it->second);
    MPI_Comm comm = comms_.at(communicator_index(comm_plan_, g_, id));
    assert(comm != MPI_COMM_NULL);  // a spanning group with a local member: split gave us a communicator
    mpi_collective(lane, id, comm);
  }

  // In-process: each member i works on its own chunk i (reduce-scatter), then
  // gathers the others' chunks (all-gather).
  void local_collective(Lane& lane, int id, Rendezvous& rv) {
    const Op& o = g_.op(id);
    auto members = g_.devices_of(id);
    int n = int(members.size());
    int me = int(std::find(members.begin(), members.end(), lane.device) - members.begin());
    size_t cap = lane.coll_send.bytes();
    size_t count = std::min<size_t>(size_t(o.bytes), cap) / 4;
    size_t chunk = count / n;
    auto timeout = std::chrono::duration<double>(o_.collective_timeout_seconds);
    auto sync = [&] {
      if (!rv.wait(*ctl_, timeout))
        throw RealError("in-process collective timed out after " + std::to_string(o_.collective_timeout_seconds) + " s");
    };
    auto f = [&](int member, bool recv) { return reinterpret_cast<float*>(recv ? rv.recv[member] : rv.bufs[member]); };
    sync();
    switch (o.collective_kind()) {
      case CollectiveKind::kAllReduce:
      case CollectiveKind::kReduceScatter: {
        float* mine = f(me, false) + me * chunk;
        for (int j = 0; j < n; ++j)
          if (j != me) {
            const float* other = f(j, false) + me * chunk;
            for (size_t i = 0; i < chunk; ++i) mine[i] += other[i];
          }
        if (o.collective_kind() == CollectiveKind::kReduceScatter) break;
        sync();
        for (int j = 0; j < n; ++j)
          if (j != me) std::memcpy(f(me, false) + j * chunk, f(j, false) + j * chunk, chunk * 4);
        break;
      }
      case CollectiveKind::kAllGather:
        for (int j = 0; j < n; ++j)
          if (j != me) std::memcpy(f(me, true) + j * chunk, f(j, false) + j * chunk, chunk * 4);
        break;
      case CollectiveKind::kAllToAll:
        for (int j = 0; j < n; ++j)
          if (j != me) std::memcpy(f(me, true) + j * chunk, f(j, false) + me * chunk, chunk * 4);
        break;
      case CollectiveKind::kBroadcast:
      case CollectiveKind::kSendRecv:
        if (me != 0) std::memcpy(f(me, true), f(0, false), count * 4);
        break;
    }
    sync();
    (void)lane;
  }

  void mpi_collective(Lane& lane, int id, MPI_Comm comm) {
    const Op& o = g_.op(id);
    auto members = g_.devices_of(id);
    int n = int(members.size());
    int me = 0;
    {
      MpiLock l;
      MPI_CHECK(MPI_Comm_rank(comm, &me));
    }
    float* send = lane.coll_send.floats();
    float* recv = lane.coll_recv.floats();
    int count = int(std::min<size_t>(size_t(o.bytes), lane.coll_send.bytes()) / 4);
    int per = count / n;
    // Arrival notes: who reached this collective (names the missing rank on a time-out).
    std::vector<MPI_Request> arrive(2 * n, MPI_REQUEST_NULL);
    static int token = 1;
    std::vector<int> got(n, 0);
    MPI_Request req = MPI_REQUEST_NULL, req2 = MPI_REQUEST_NULL;
    {
      MpiLock l;
      for (int j = 0; j < n; ++j)
        if (j != me) {
          MPI_CHECK(MPI_Irecv(&got[j], 1, MPI_INT, j, 99, comm, &arrive[2 * j]));
          MPI_CHECK(MPI_Isend(&token, 1, MPI_INT, j, 99, comm, &arrive[2 * j + 1]));
        }
      switch (o.collective_kind()) {
        case CollectiveKind::kAllReduce:
          MPI_CHECK(MPI_Iallreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm, &req));
          break;
        case CollectiveKind::kAllGather:
          MPI_CHECK(MPI_Iallgather(send, per, MPI_FLOAT, recv, per, MPI_FLOAT, comm, &req));
          break;
        case CollectiveKind::kReduceScatter:
          MPI_CHECK(MPI_Ireduce_scatter_block(send, recv, per, MPI_FLOAT, MPI_SUM, comm, &req));
          break;
        case CollectiveKind::kAllToAll:
          MPI_CHECK(MPI_Ialltoall(send, per, MPI_FLOAT, recv, per, MPI_FLOAT, comm, &req));
          break;
        case CollectiveKind::kBroadcast:
          MPI_CHECK(MPI_Ibcast(send, count, MPI_FLOAT, 0, comm, &req));
          break;
        case CollectiveKind::kSendRecv:
          if (me == 0) MPI_CHECK(MPI_Isend(send, count, MPI_FLOAT, 1, 100, comm, &req));
          else MPI_CHECK(MPI_Irecv(recv, count, MPI_FLOAT, 0, 100, comm, &req2));
          break;
      }
    }
    auto deadline = Clock::now() + std::chrono::duration<double>(o_.collective_timeout_seconds);
    auto poll = std::chrono::microseconds(10);
    for (;;) {
      int flag = 0;
      {
        MpiLock l;
        MPI_Request& r = req != MPI_REQUEST_NULL ? req : req2;
        MPI_CHECK(MPI_Test(&r, &flag, MPI_STATUS_IGNORE));
      }
      if (flag) break;
      if (ctl_->failed()) return;
      if (Clock::now() > deadline) {
        std::string missing;
        MpiLock l;
        for (int j = 0; j < n; ++j) {
          if (j == me) continue;
          int f = 0;
          MPI_Test(&arrive[2 * j], &f, MPI_STATUS_IGNORE);
          if (!f) missing += (missing.empty() ? "" : ", ") + std::string("rank ") + std::to_string(members[j] % size_) +
                             " (device " + std::to_string(members[j]) + ")";
        }
        throw RealError("collective timed out after " + std::to_string(o_.collective_timeout_seconds) + " s; " +
                        (missing.empty() ? std::string("all members arrived") : missing + " did not arrive"));
      }
      // Sleep-poll with back-off (10 us doubling to 250 us): a busy poll
      // would take a core from the compute lanes, and even a fixed 20 us poll
      // wakes the thread often enough to slow the compute sharing its core by
      // 10-15% (pp2 validation on 2 cores). The back-off keeps the detection
      // delay of a short wait within about its own length and a long wait
      // under 4k wake-ups/s. (OpenMPI progresses non-blocking collectives
      // only inside MPI calls, so the cap also bounds how long a transfer
      // idles between progress calls.)
      std::this_thread::sleep_for(poll);
      poll = std::min(2 * poll, std::chrono::microseconds(250));
    }
    MpiLock l;
    MPI_CHECK(MPI_Waitall(int(arrive.size()), arrive.data(), MPI_STATUSES_IGNORE));
  }

  const TaskGraph& g_;
  const Cluster& c_;
  const ExecOptions& o_;
  int rank_ = 0, size_ = 1;
  std::vector<int> remaining_;
  std::vector<std::vector<int>> preds_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::map<std::pair<int, int>, Lane*> lane_of_;  // (collective op, local device) -> the lane that runs it
  std::unique_ptr<ScratchFile> ssd_;
  std::map<std::tuple<std::string, int64_t, int64_t>, std::unique_ptr<kernels::QuantizedMatrix>> qweights_;
  std::vector<const kernels::QuantizedMatrix*> qop_;  // per op: its prepared matrix, or nullptr
  std::vector<CommunicatorSpec> comm_plan_;
  std::vector<MPI_Comm> comms_;  // per comm_plan_ entry; MPI_COMM_NULL where this rank is no member
  std::map<int, std::unique_ptr<Rendezvous>> rendezvous_;
  RunControl* ctl_ = nullptr;
  Clock::time_point t0_;
  std::mutex mem_mu_;
  std::map<std::pair<std::string, std::string>, double> in_use_, peaks_;
};

class HostExecutor : public Executor {
 public:
  RankResult run(const TaskGraph& g, const Cluster& c, const ExecOptions& o) override {
    g.validate(c);
    g.finalize();
    HostRun r(g, c, o);
    return r.run();
  }
  std::string backend() const override { return "real-host"; }
};

}  // namespace

std::unique_ptr<Executor> make_host_executor() { return std::make_unique<HostExecutor>(); }

}  // namespace paralab::real
