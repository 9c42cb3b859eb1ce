// The cuda executor (see real/executor.h): one host thread issues the local
// graph in the one issue order every backend shares (core/issue_order.h:
// dependencies plus per-(device, stream) id order, the same global sequence
// on every rank, so NCCL calls on a communicator are issued in the same order
// everywhere) onto CUDA streams, one per (device, stream); dependencies become
// cudaStreamWaitEvent on the predecessor's end event; every op is bracketed
// by CUDA events. Communicators come from the one communicator plan
// (core/communicator_plan.h): every rank joins every NCCL id broadcast in one
// global order. Every op runs its full size: memory-bound ops and
// collectives loop over their buffers when those are smaller than the op.
// The host state that stream-ordered host functions touch lives as long as
// the run object, which synchronizes every device before it goes; a run
// fails as hung when no op completes for collective_timeout_seconds (a
// per-op deadline, so a long correct run is not a hang).
// Compute = cuBLAS GemmEx in the op's dtype (tensor cores for tf32/fp16/bf16)
// or a bandwidth kernel; transfers = cudaMemcpyAsync (pinned or pageable);
// SSD reads = pread into pinned memory inside cudaLaunchHostFunc (stream
// ordered); collectives = NCCL (bootstrapped through MPI across ranks);
// allocs = cudaMallocAsync, where failure is status oom.
// Without CUDA in the build it is a stub whose run() reports the reason.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <unistd.h>

#include "core/communicator_plan.h"
#include "core/error.h"
#include "core/issue_order.h"
#include "real/check.h"
#include "real/cuda_calibration.h"
#include "real/executor.h"
#include "real/host_ops.h"
#include "real/mpi_world.h"

#if PARALAB_HAVE_CUDA
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include "real/mpi_communicators.h"
#include "kernels/half.h"
#include "kernels/qmatmul_cuda.h"
#include "real/cuda_kernels.h"
#endif

namespace paralab::real {

namespace {

#if !PARALAB_HAVE_CUDA
class CudaExecutorStub : public Executor {
 public:
  RankResult run(const TaskGraph& g, const Cluster& c, const ExecOptions&) override {
    g.validate(c);
    RankResult r;
    std::string why = non_gpu_op(g, c);
    if (why.empty()) cuda_device_count(&why);
    r.status = "error";
    r.message = "cuda backend: " + why;
    return r;
  }
  std::string backend() const override { return "real-cuda"; }
};
#else

constexpr size_t kArenaCap = size_t(1) << 30;
constexpr size_t kSweepCap = size_t(256) << 20;  // per sweep buffer; larger ops loop over it

size_t round_page(double b) { return (size_t(b) + kPageBytes - 1) / kPageBytes * kPageBytes; }

struct DeviceState {
  int cuda_device = 0;
  // Weight-only quantized GEMMs: per (format, rows, cols), copies of a
  // synthetic matrix in that format, issued in turn so that together they
  // exceed twice the L2 (each layer streams its weights from HBM, as the
  // simulator prices it), and the dequantization workspace of the prefill
  // path.
  struct QuantizedCopies {
    std::vector<std::unique_ptr<kernels::DeviceQuantizedMatrix>> copies;
    size_t next = 0;
  };
  std::map<std::tuple<std::string, int64_t, int64_t>, QuantizedCopies> qweights;
  void* qwork = nullptr;
  size_t qwork_bytes = 0;
  cublasHandle_t blas = nullptr;
  std::map<int, cudaStream_t> streams;
  void* arena = nullptr;  // device-tier arena
  size_t arena_bytes = 0;
  void* a = nullptr;  // GEMM operands (sized for the largest GEMM at 4 bytes/element)
  void* b = nullptr;
  void* c = nullptr;
  size_t a_bytes = 0, b_bytes = 0, c_bytes = 0;
  void* sweep_src = nullptr;  // memory-bound ops: read one, write the other
  void* sweep_dst = nullptr;
  size_t sweep_bytes = 0;
  void* coll_send = nullptr;
  void* coll_recv = nullptr;
  size_t coll_bytes = 0;
  cudaEvent_t t0 = nullptr;
};

// One SSD request, run on the stream by cudaLaunchHostFunc: a read into or a
// write from pinned host memory.
struct SsdRequest {
  const ScratchFile* file;
  size_t offset, bytes;
  char* buf;
  std::string* error;
  bool write = false;
};

void CUDART_CB do_ssd_request(void* p) {
  auto* r = static_cast<SsdRequest*>(p);
  try {
    if (r->write)
      r->file->write(r->offset, r->bytes, r->buf);
    else
      r->file->read(r->offset, r->bytes, r->buf);
  } catch (const std::exception& e) {
    if (r->error->empty()) *r->error = e.what();
  }
}

class CudaRun {
 public:
  CudaRun(const TaskGraph& g, const Cluster& c, const ExecOptions& o) : g_(g), c_(c), o_(o) {
    rank_ = MpiWorld::get().rank();
    size_ = MpiWorld::get().size();
  }
  ~CudaRun() { release(); }

  RankResult run() {
    RankResult r;
    r.rank = rank_;
    try {
      setup(&r);
      for (int i = 0; i < o_.warmup_runs; ++i) {
        RankResult w;
        execute(&w);
        if (w.status != "ok") return fail(r, w);
      }
      double best = -1;
      for (int i = 0; i < std::max(1, o_.repetitions); ++i) {
        RankResult t;
        execute(&t);
        if (t.status != "ok") return fail(r, t);
        double span = 0;
        for (const auto& x : t.timings) span = std::max(span, x.end_seconds);
        if (best < 0 || span < best) {
          best = span;
          r.timings = std::move(t.timings);
          r.nvml = std::move(t.nvml);
          r.notes = std::move(t.notes);
        }
      }
    } catch (const RealError& e) {
      r.status = std::string(e.what()).rfind("oom:", 0) == 0 ? "oom" : "error";
      r.message = "rank " + std::to_string(rank_) + ": " + e.what();
    } catch (const std::exception& e) {
      // A kernel's or a loader's own error (KernelError, InputError,
      // invalid_argument, bad_alloc): this graph's run failed, not the
      // whole validation, and the peers hear of it through the result.
      r.status = dynamic_cast<const std::bad_alloc*>(&e) ? "oom" : "error";
      r.message = "rank " + std::to_string(rank_) + ": " + e.what();
    }
    return finished(std::move(r));
  }

 private:
  // A failed execution's status, message and notes, then what every result carries.
  RankResult fail(RankResult r, RankResult& t) const {
    r.status = t.status;
    r.message = t.message;
    r.notes = std::move(t.notes);
    return finished(std::move(r));
  }
  // Peak memory and the run's own notes (set-up, kernels used), however it ended.
  RankResult finished(RankResult r) const {
    for (const auto& [k, v] : peaks_) r.peak_memory.push_back({k.first, k.second, v});
    r.notes.insert(r.notes.end(), notes_.begin(), notes_.end());
    return r;
  }
  bool local(int d) const { return d % size_ == rank_; }

  void setup(RankResult* r) {
    int count = 0;
    CUDA_CHECK(cudaGetDeviceCount(&count));
    const size_t n = g_.size();
    // Devices, streams and buffer sizes.
    std::map<int, double> arena_need, coll_need, sweep_need;
    std::map<int, std::array<size_t, 3>> gemm_need;
    double pinned_need = 0, pageable_need = 0, ssd_total = 0;
    for (int id = 0; id < int(n); ++id) {
      const Op& o = g_.op(id);
      for (int d : g_.devices_of(id)) {
        if (!local(d)) continue;
        if (!devs_.count(d)) devs_[d].cuda_device = d % std::max(count, 1);
        DeviceState& ds = devs_[d];
        if (!ds.streams.count(o.stream)) {
          CUDA_CHECK(cudaSetDevice(ds.cuda_device));
          cudaStream_t s;
          CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
          ds.streams[o.stream] = s;
        }
        if (o.type == OpType::kCollective) coll_need[d] = std::max(coll_need[d], o.bytes);
      }
      if (!std::any_of(g_.devices_of(id).begin(), g_.devices_of(id).end(), [&](int d) { return local(d); })) continue;
      if (o.type == OpType::kCompute) {
        GemmShape shape_of_op = shape(id);
        if (shape_of_op.m == 0)
          sweep_need[o.device] = std::max(sweep_need[o.device], std::min<double>(o.bytes / 2, kSweepCap));
        auto& need = gemm_need[o.device];
        for (const GemmShape& s : gemm_kernels(shape_of_op)) {
          need[0] = std::max<size_t>(need[0], size_t(s.m * s.k * 4));
          need[1] = std::max<size_t>(need[1], size_t(s.k * s.n * 4));
          need[2] = std::max<size_t>(need[2], std::max<size_t>(size_t(s.m * s.n * 4), s.m ? 0 : size_t(o.bytes)));
        }
      }
      if (o.type == OpType::kTransfer) {
        for (Place p : {o.src_place(), o.dst_place()}) {
          double b = std::min<double>(o.bytes, kArenaCap);
          if (p.tier == TierKind::kDevice) arena_need[p.location] = std::max(arena_need[p.location], b);
          if (p.tier == TierKind::kPinnedHost) pinned_need = std::max(pinned_need, double(round_page(b)));
          if (p.tier == TierKind::kPageableHost) pageable_need = std::max(pageable_need, double(round_page(b)));
          if (p.tier == TierKind::kSsd) ssd_total += o.bytes;
        }
      }
    }
    if (count == 0) throw RealError("no CUDA device");
    for (auto& [d, ds] : devs_) {
      CUDA_CHECK(cudaSetDevice(ds.cuda_device));
      CUBLAS_CHECK(cublasCreate(&ds.blas));
      CUBLAS_CHECK(cublasSetMathMode(ds.blas, CUBLAS_DEFAULT_MATH));
      auto alloc = [&](void** p, size_t bytes) {
        bytes = std::max<size_t>(bytes, 256);
        CUDA_CHECK(cudaMalloc(p, bytes));
        CUDA_CHECK(cudaMemset(*p, 0, bytes));
        return bytes;
      };
      ds.arena_bytes = alloc(&ds.arena, size_t(arena_need[d]));
      auto need = gemm_need[d];
      ds.a_bytes = alloc(&ds.a, need[0]);
      ds.b_bytes = alloc(&ds.b, need[1]);
      ds.c_bytes = alloc(&ds.c, std::max(need[2], need[0]));
      if (sweep_need[d] > 0) {
        ds.sweep_bytes = alloc(&ds.sweep_src, size_t(sweep_need[d]));
        alloc(&ds.sweep_dst, ds.sweep_bytes);
      }
      ds.coll_bytes = std::min<size_t>(size_t(coll_need[d]) + 256, kArenaCap);
      alloc(&ds.coll_send, ds.coll_bytes);
      alloc(&ds.coll_recv, ds.coll_bytes);
      CUDA_CHECK(cudaEventCreate(&ds.t0));
    }
    if (pinned_need > 0) CUDA_CHECK(cudaHostAlloc(&pinned_, size_t(pinned_need), cudaHostAllocPortable));
    pinned_bytes_ = size_t(pinned_need);
    if (pageable_need > 0) pageable_ = HostBuffer(size_t(pageable_need), false);
    if (ssd_total > 0) {
      std::string dir = o_.scratch_dir.empty() ? std::string(PARALAB_SOURCE_DIR) + "/results" : o_.scratch_dir;
      std::filesystem::create_directories(dir);
      ssd_ = std::make_unique<ScratchFile>(dir + "/paralab-cuda-scratch." + std::to_string(::getpid()),
                                           std::max(round_page(std::min(ssd_total, 1024.0 * kMiB)), pinned_bytes_));
      if (!ssd_->o_direct()) notes_.push_back("ssd: " + ssd_->note());
    }
    setup_int4();
    for (const auto& o : g_.ops())
      if (o.type == OpType::kCompute && (o.dtype() == DType::kInt8 || o.dtype() == DType::kFp8)) {
        notes_.push_back("int8/fp8 GEMMs run as fp16 cuBLAS GEMMs of the same shape");
        break;
      }
    IssuePlan plan = plan_issue(g_, [this](int d) { return local(d); });
    order_ = std::move(plan.order);
    preds_ = std::move(plan.preds);
    setup_nccl();
    (void)r;
  }

  // Group size of the INT4 format for a reduction length: the largest of
  // 128, 64, 32 dividing it (the kernels' requirement), 0 if none does.
  static int int4_group(int64_t k) {
    for (int g : {128, 64, 32})
      if (k % g == 0) return g;
    return 0;
  }

  // The weight format an op's GEMM runs in: the graph's own (a weight-only
  // quantized GEMM, add_quantized_gemm: offloaded inference), or RTN INT4 for
  // an op of dtype int4 with a group dividing its k; empty otherwise.
  std::string quantized_format(int id) const {
    const Op& o = g_.op(id);
    if (o.type != OpType::kCompute) return "";
    if (const std::string* w = g_.weight_format(o)) return *w;
    if (o.dtype() != DType::kInt4) return "";
    int group = int4_group(shape(id).k);
    return group ? "rtn-b4-g" + std::to_string(group) : "";
  }

  // Weight-quantized GEMMs with a GEMM shape (m tokens, n output rows, k
  // input columns) run the project's kernels: the fused dequantize-GEMV for
  // m <= 32 (decode), dequantize + cuBLAS for more tokens (prefill), on
  // synthetic matrices of the op's format (the kernels' time depends on the
  // bytes, not on the values).
  void setup_int4() {
    bool fallback = false;
    qformat_.assign(g_.size(), "");
    std::map<std::string, int> ops_by_format;
    for (int id = 0; id < int(g_.size()); ++id) {
      const Op& o = g_.op(id);
      if (o.type != OpType::kCompute) continue;
      GemmShape sh = shape(id);
      if (sh.m <= 0 || sh.backward) continue;
      std::string w = quantized_format(id);
      if (w.empty()) {
        fallback = fallback || o.dtype() == DType::kInt4;
        continue;
      }
      bool here = false;
      for (int d : g_.devices_of(id)) {
        if (!local(d)) continue;
        here = true;
        DeviceState& ds = devs_.at(d);
        CUDA_CHECK(cudaSetDevice(ds.cuda_device));
        auto& q = ds.qweights[std::make_tuple(w, sh.n, sh.k)];
        if (q.copies.empty()) {
          int l2 = 0;
          CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, ds.cuda_device));
          q.copies = kernels::device_rotation_copies(synthetic_weights_for(g_, id, w, sh.n, sh.k), l2, 2);
        }
        if (sh.m > 32) ds.qwork_bytes = std::max(ds.qwork_bytes, size_t(sh.n * sh.k * 4));
      }
      if (here) {
        qformat_[id] = w;
        ++ops_by_format[w];
      }
    }
    for (auto& [d, ds] : devs_)
      if (ds.qwork_bytes > 0) {
        CUDA_CHECK(cudaSetDevice(ds.cuda_device));
        CUDA_CHECK(cudaMalloc(&ds.qwork, ds.qwork_bytes));
      }
    for (const auto& [w, count] : ops_by_format)
      notes_.push_back(std::to_string(count) + " weight-quantized GEMMs (" + w +
                       ") ran the kernels/ CUDA kernels (qgemv_cuda for m <= 32, else qgemm_cuda), each shape's "
                       "synthetic matrix in copies that exceed twice the L2");
    if (fallback) notes_.push_back("int4 GEMMs whose k is not a multiple of 32 run as fp16 cuBLAS GEMMs");
  }

  // Communicators from the one plan (core/communicator_plan.h): entries
  // inside this process use ncclCommInitAll; entries spanning processes get
  // their NCCL id by one MPI_Bcast per entry that every rank joins, member or
  // not, in plan order, then ncclCommInitRank on each member.
  void setup_nccl() {
    comm_plan_ = communicator_plan(g_, size_);
    comms_.assign(comm_plan_.size(), {});
    if (comm_plan_.empty()) return;
#if PARALAB_HAVE_NCCL
    for (const CommunicatorSpec& e : comm_plan_) {
      auto mine = e.members_of(rank_);
      if (e.spans_processes() && mine.size() > 1)
        throw RealError("NCCL group {" + join(e.devices) + "} has " + std::to_string(mine.size()) +
                        " members on rank " + std::to_string(rank_) +
                        "; run one rank per GPU, or all of a group's members in one process");
    }
    const NcclApi& nccl = nccl_api();  // throws with the reason when NCCL is missing
    std::vector<std::string> ids;
    if (size_ > 1)
      ids = broadcast_from_roots(comm_plan_, rank_, sizeof(ncclUniqueId), [&](const CommunicatorSpec&) {
        ncclUniqueId uid;
        NCCL_CHECK(nccl.GetUniqueId(&uid));
        return std::string(reinterpret_cast<const char*>(&uid), sizeof uid);
      });
    for (size_t k = 0; k < comm_plan_.size(); ++k) {
      const CommunicatorSpec& e = comm_plan_[k];
      auto mine = e.members_of(rank_);
      if (mine.empty()) continue;
      std::vector<ncclComm_t>& comms = comms_[k];
      comms.assign(e.devices.size(), nullptr);
      if (!e.spans_processes()) {
        std::vector<int> devlist;
        for (int d : e.devices) devlist.push_back(devs_.at(d).cuda_device);
        if (std::set<int>(devlist.begin(), devlist.end()).size() != devlist.size())
          throw RealError("NCCL group {" + join(e.devices) + "} needs " + std::to_string(devlist.size()) +
                          " distinct GPUs in this process; run one rank per GPU under mpirun");
        NCCL_CHECK(nccl.CommInitAll(comms.data(), int(devlist.size()), devlist.data()));
        continue;
      }
      ncclUniqueId uid;
      std::memcpy(&uid, ids[k].data(), sizeof uid);
      int i = mine.front();
      CUDA_CHECK(cudaSetDevice(devs_.at(e.devices[i]).cuda_device));
      NCCL_CHECK(nccl.CommInitRank(&comms[i], int(e.devices.size()), uid, i));
    }
#else
    throw RealError("collectives over " + std::to_string(comm_plan_.size()) +
                    " group(s) need NCCL: this paralab was built without nccl.h");
#endif
  }

  static std::string join(const std::vector<int>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
  }

  GemmShape shape(int id) const {
    const Op& o = g_.op(id);
    if (const GemmShape* s = g_.gemm_shape(o)) return *s;
    const DeviceSpec& spec = c_.device(o.device).spec;
    double peak = spec.peak(dtype_name(o.dtype()));
    double tc = peak > 0 ? o.flops / (peak * spec.gemm_efficiency_at(o.flops)) : 0;
    double tm = spec.memory_bandwidth_bytes_per_s > 0
                    ? o.bytes / (spec.memory_bandwidth_bytes_per_s * spec.memory_efficiency_at(o.bytes))
                    : 0;
    if (o.flops <= 0 || tm > tc) return {};
    int64_t e = std::max<int64_t>(1, int64_t(std::cbrt(o.flops / 2)));
    return {e, e, e};
  }

  void execute(RankResult* r) {
    // Everything that is set-up, not work, happens before the clock starts:
    // NVML's set-up (dlopen, nvmlInit) and every op's events; the sampler
    // thread itself starts right before the clock, so its mean is the run's.
    NvmlSampler nvml;
    std::vector<std::string> pci;
    std::vector<int> pci_device;
    for (auto& [d, ds] : devs_) {
      char bus[32] = {0};
      if (cudaDeviceGetPCIBusId(bus, sizeof bus, ds.cuda_device) == cudaSuccess) {
        pci.push_back(bus);
        pci_device.push_back(d);
      }
    }
    std::vector<Ev> evs;                       // issue order
    EventGuard guard{evs};                     // destroys them however execute() ends
    std::map<int, std::vector<size_t>> ev_of;  // op -> its events
    for (int id : order_)
      for (int d : g_.devices_of(id)) {
        if (!local(d)) continue;
        CUDA_CHECK(cudaSetDevice(devs_.at(d).cuda_device));
        ev_of[id].push_back(evs.size());
        evs.push_back({id, d, g_.op(id).stream, devs_.at(d).cuda_device, nullptr, nullptr});
        CUDA_CHECK(cudaEventCreate(&evs.back().start));
        CUDA_CHECK(cudaEventCreate(&evs.back().end));
      }
    // Start together: every device idle, every rank at the barrier.
    for (auto& [d, ds] : devs_) {
      CUDA_CHECK(cudaSetDevice(ds.cuda_device));
      CUDA_CHECK(cudaDeviceSynchronize());
    }
    if (size_ > 1) MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    nvml.start(pci);
    for (auto& [d, ds] : devs_) {
      CUDA_CHECK(cudaSetDevice(ds.cuda_device));
      auto s0 = ds.streams.begin()->second;
      CUDA_CHECK(cudaEventRecord(ds.t0, s0));
      for (auto& [sid, s] : ds.streams)
        if (s != s0) CUDA_CHECK(cudaStreamWaitEvent(s, ds.t0, 0));
    }
    // Host functions queued below (SSD requests) point into ssd_requests_ and
    // io_error_, members that outlive every queued call: the next execute()
    // and release() synchronize every device before touching them.
    ssd_requests_.clear();
    io_error_.clear();
    if (ssd_ && !ssd_->o_direct()) ssd_->drop_cache();  // buffered reads: from the disk, not the cache
    size_t ssd_cursor = 0;
    for (int id : order_) {
      std::vector<int> members;
      for (size_t k : ev_of[id]) {
        Ev& e = evs[k];
        members.push_back(e.device);
        DeviceState& ds = devs_.at(e.device);
        CUDA_CHECK(cudaSetDevice(ds.cuda_device));
        cudaStream_t s = ds.streams.at(e.stream);
        // A predecessor on this same stream is already ahead of the op (the
        // issue order is a topological order): only other streams' events
        // are waited for, which keeps the host's calls per op few.
        for (int p : preds_[id])
          for (size_t q : ev_of[p])
            if (evs[q].device != e.device || evs[q].stream != e.stream)
              CUDA_CHECK(cudaStreamWaitEvent(s, evs[q].end, 0));
        CUDA_CHECK(cudaEventRecord(e.start, s));
      }
      issue(id, members, &ssd_cursor);
      for (size_t k : ev_of[id]) {
        DeviceState& ds = devs_.at(evs[k].device);
        CUDA_CHECK(cudaSetDevice(ds.cuda_device));
        CUDA_CHECK(cudaEventRecord(evs[k].end, ds.streams.at(evs[k].stream)));
      }
    }
    if (!wait_all(evs, r)) return;
    for (NvmlUtilization u : nvml.stop()) {
      for (size_t i = 0; i < pci.size(); ++i)
        if (pci[i] == u.pci_bus_id) u.device = pci_device[i];
      r->nvml.push_back(u);
    }
    if (!nvml.reason().empty()) r->notes.push_back(nvml.reason());
    if (!io_error_.empty()) throw RealError(io_error_);
    for (Ev& e : evs) {
      DeviceState& ds = devs_.at(e.device);
      CUDA_CHECK(cudaSetDevice(ds.cuda_device));
      float s_ms = 0, e_ms = 0;
      CUDA_CHECK(cudaEventElapsedTime(&s_ms, ds.t0, e.start));
      CUDA_CHECK(cudaEventElapsedTime(&e_ms, ds.t0, e.end));
      r->timings.push_back({e.op, e.device, e.stream, s_ms * 1e-3, e_ms * 1e-3});
    }
  }

  struct Ev {
    int op, device, stream, cuda_device;
    cudaEvent_t start, end;
  };
  // Destroys a vector's events at scope exit: an early return (a hang) or a
  // throw (a CUDA or kernel error, which run() reports and survives) must not
  // leak two events per op into the next graph's run.
  struct EventGuard {
    std::vector<Ev>& evs;
    ~EventGuard() {
      for (Ev& e : evs) {
        cudaSetDevice(e.cuda_device);
        if (e.start) cudaEventDestroy(e.start);
        if (e.end) cudaEventDestroy(e.end);
      }
    }
  };

  // Waits for every event in issue order. A run is hung when no event
  // completes for collective_timeout_seconds: the deadline restarts at every
  // completion (per op), so a long correct run is not mistaken for a hang.
  bool wait_all(const std::vector<Ev>& evs, RankResult* r) {
    const auto limit = std::chrono::duration<double>(o_.collective_timeout_seconds);
    auto last_progress = std::chrono::steady_clock::now();
    for (const Ev& e : evs) {
      CUDA_CHECK(cudaSetDevice(devs_.at(e.device).cuda_device));
      for (auto poll = std::chrono::microseconds(20);;) {
        cudaError_t q = cudaEventQuery(e.end);
        if (q == cudaSuccess) break;
        if (q != cudaErrorNotReady) CUDA_CHECK(q);
        if (std::chrono::steady_clock::now() - last_progress > limit) {
          std::string async = nccl_async_errors();
          abort_comms();
          r->status = "error";
          r->message = "rank " + std::to_string(rank_) + ": " + g_.describe(e.op) + " on device " +
                       std::to_string(e.device) + " did not finish within " +
                       std::to_string(o_.collective_timeout_seconds) + " s of the previous op" + async;
          return false;
        }
        std::this_thread::sleep_for(poll);
        poll = std::min(2 * poll, std::chrono::microseconds(1000));
      }
      last_progress = std::chrono::steady_clock::now();
    }
    return true;
  }

  std::string nccl_async_errors() {
    std::string out;
#if PARALAB_HAVE_NCCL
    for (size_t k = 0; k < comms_.size(); ++k)
      for (size_t i = 0; i < comms_[k].size(); ++i) {
        if (!comms_[k][i]) continue;
        const NcclApi& nccl = nccl_api();
        ncclResult_t async = ncclSuccess;
        if (nccl.CommGetAsyncError(comms_[k][i], &async) == ncclSuccess && async != ncclSuccess)
          out += "; NCCL group {" + join(comm_plan_[k].devices) + "} member " + std::to_string(i) + ": " +
                 nccl_error_string(async);
      }
#endif
    return out;
  }

  // Ends every communicator: ncclCommAbort after a hang or an error (it
  // does not wait for the peers), ncclCommDestroy after a clean run.
  void end_comms(bool abort) {
#if PARALAB_HAVE_NCCL
    for (auto& comms : comms_)
      for (auto& c : comms)
        if (c) {
          const NcclApi& nccl = nccl_api();
          abort ? nccl.CommAbort(c) : nccl.CommDestroy(c);
          c = nullptr;
        }
#else
    (void)abort;
#endif
  }
  void abort_comms() { end_comms(true); }

  cublasComputeType_t compute_type(DType t, cudaDataType_t* data) const {
    switch (t) {
      case DType::kFp32: *data = CUDA_R_32F; return CUBLAS_COMPUTE_32F;
      case DType::kTf32: *data = CUDA_R_32F; return CUBLAS_COMPUTE_32F_FAST_TF32;
      case DType::kBf16: *data = CUDA_R_16BF; return CUBLAS_COMPUTE_32F;
      default: *data = CUDA_R_16F; return CUBLAS_COMPUTE_32F;
    }
  }

  void issue(int id, const std::vector<int>& members, size_t* ssd_cursor) {
    const Op& o = g_.op(id);
    DeviceState& ds = devs_.at(members.front());
    CUDA_CHECK(cudaSetDevice(ds.cuda_device));
    cudaStream_t s = ds.streams.at(o.stream);
    switch (o.type) {
      case OpType::kCompute: {
        GemmShape sh = shape(id);
        if (sh.m > 0 && !sh.backward && !qformat_[id].empty()) {
          auto& qc = ds.qweights.at(std::make_tuple(qformat_[id], sh.n, sh.k));
          const kernels::QuantizedMatrixView& q = qc.copies[qc.next++ % qc.copies.size()]->view();
          const float* x = static_cast<const float*>(ds.a);
          float* y = static_cast<float*>(ds.c);
          if (sh.m <= 32)
            kernels::qgemv_cuda(q, x, int(sh.m), y, s);
          else
            kernels::qgemm_cuda(q, x, sh.m, y, static_cast<float*>(ds.qwork), s);
        } else if (sh.m > 0) {
          cudaDataType_t dt;
          cublasComputeType_t ct = compute_type(o.dtype(), &dt);
          float alpha = 1, beta = 0;
          CUBLAS_CHECK(cublasSetStream(ds.blas, s));
          for (const GemmShape& g : gemm_kernels(sh))  // a backward: its data and weight gradients
            CUBLAS_CHECK(cublasGemmEx(ds.blas, CUBLAS_OP_N, CUBLAS_OP_N, int(g.m), int(g.n), int(g.k), &alpha, ds.a,
                                      dt, int(g.m), ds.b, dt, int(g.k), &beta, ds.c, dt, int(g.m), ct,
                                      CUBLAS_GEMM_DEFAULT));
        } else {
          // Memory sweep of the op's full bytes (half read, half written),
          // looping over the sweep buffers when the op is larger than they are.
          const size_t cap_floats = ds.sweep_bytes / 4;
          for (double left = o.bytes; left > 0 && cap_floats > 0;) {
            size_t floats = std::min<size_t>(cap_floats, size_t(left / 8) + 1);
            launch_memory_sweep(static_cast<float*>(ds.sweep_dst), static_cast<const float*>(ds.sweep_src), floats, s);
            left -= 8.0 * double(floats);
          }
        }
        return;
      }
      case OpType::kTransfer: return transfer(o, ds, s, ssd_cursor);
      case OpType::kCollective: return collective(id, members);
      case OpType::kAlloc:
      case OpType::kFree: return memory(o, ds, s);
    }
  }

  void* place_ptr(Place p, DeviceState& ds, size_t* cap) {
    switch (p.tier) {
      case TierKind::kDevice: {
        DeviceState& t = devs_.count(p.location) ? devs_.at(p.location) : ds;
        *cap = t.arena_bytes;
        return t.arena;
      }
      case TierKind::kPinnedHost: *cap = pinned_bytes_; return pinned_;
      case TierKind::kPageableHost: *cap = pageable_.bytes(); return pageable_.data();
      case TierKind::kSsd: *cap = 0; return nullptr;
    }
    return nullptr;
  }

  void transfer(const Op& o, DeviceState& ds, cudaStream_t s, size_t* cursor) {
    Place sp = o.src_place(), dp = o.dst_place();
    size_t scap = 0, dcap = 0;
    void* src = place_ptr(sp, ds, &scap);
    void* dst = place_ptr(dp, ds, &dcap);
    if (sp.tier == TierKind::kSsd || dp.tier == TierKind::kSsd) {
      // SSD requests between the file and host memory, run in stream order
      // by cudaLaunchHostFunc, page-rounded, at the run's cursor.
      const bool write = dp.tier == TierKind::kSsd;
      const Place host = write ? sp : dp;
      if (host.tier != TierKind::kPinnedHost && host.tier != TierKind::kPageableHost)
        throw RealError(write ? "SSD writes come from host memory (pinned or pageable), after a copy from the device"
                              : "SSD reads go to host memory (pinned or pageable), then to the device");
      const size_t cap = write ? scap : dcap;
      char* buf = static_cast<char*>(write ? src : dst);
      for (size_t left = round_page(o.bytes); left > 0;) {
        size_t chunk = std::min(left, cap);
        if (*cursor + chunk > ssd_->size()) *cursor = 0;
        ssd_requests_.push_back(SsdRequest{ssd_.get(), *cursor, chunk, buf, &io_error_, write});
        CUDA_CHECK(cudaLaunchHostFunc(s, do_ssd_request, &ssd_requests_.back()));
        *cursor += chunk;
        left -= chunk;
      }
      return;
    }
    size_t left = size_t(o.bytes), cap = std::min(scap, dcap);
    if (cap == 0) throw RealError("transfer between unsized arenas");
    while (left > 0) {
      size_t chunk = std::min(left, cap);
      CUDA_CHECK(cudaMemcpyAsync(dst, src, chunk, cudaMemcpyDefault, s));
      left -= chunk;
    }
  }

  // The op's full bytes, in rounds of at most the collective buffer (1 GiB
  // cap): a 1T model's gradient all-reduce runs as several all-reduces of the
  // buffer, never truncated. Per round, `count` floats are the per-rank
  // buffer S of the TaskGraph's conventions (all-gather / reduce-scatter: the
  // whole array, each rank contributing or keeping count / n).
  void collective(int id, const std::vector<int>& members) {
#if PARALAB_HAVE_NCCL
    const Op& o = g_.op(id);
    auto all = g_.devices_of(id);
    const int n = int(all.size());
    if (n < 2) return;
    const NcclApi& nccl = nccl_api();
    std::vector<ncclComm_t>& comms = comms_.at(communicator_index(comm_plan_, g_, id));
    // The round size depends on the op alone (not on a member's buffer, which
    // is sized by that device's largest collective), so every member runs the
    // same rounds; each member's buffer holds min(op bytes, kArenaCap).
    const size_t cap_floats = kArenaCap / 4;
    size_t total = size_t(o.bytes / 4);
    if (total == 0) total = 1;
    for (size_t done = 0; done < total;) {
      size_t count = std::min(cap_floats, total - done);
      size_t per = std::max<size_t>(1, count / n);
      done += count;
      NCCL_CHECK(nccl.GroupStart());
      for (int d : members) {
        int i = int(std::find(all.begin(), all.end(), d) - all.begin());
        DeviceState& ds = devs_.at(d);
        CUDA_CHECK(cudaSetDevice(ds.cuda_device));
        cudaStream_t s = ds.streams.at(o.stream);
        ncclComm_t c = comms.at(i);
        float* send = static_cast<float*>(ds.coll_send);
        float* recv = static_cast<float*>(ds.coll_recv);
        switch (o.collective_kind()) {
          case CollectiveKind::kAllReduce:
            NCCL_CHECK(nccl.AllReduce(send, recv, count, ncclFloat, ncclSum, c, s));
            break;
          case CollectiveKind::kAllGather:
            NCCL_CHECK(nccl.AllGather(send, recv, per, ncclFloat, c, s));
            break;
          case CollectiveKind::kReduceScatter:
            NCCL_CHECK(nccl.ReduceScatter(send, recv, per, ncclFloat, ncclSum, c, s));
            break;
          case CollectiveKind::kBroadcast:
            NCCL_CHECK(nccl.Broadcast(send, recv, count, ncclFloat, 0, c, s));
            break;
          case CollectiveKind::kAllToAll:
            for (int j = 0; j < n; ++j) {
              NCCL_CHECK(nccl.Send(send + j * per, per, ncclFloat, j, c, s));
              NCCL_CHECK(nccl.Recv(recv + j * per, per, ncclFloat, j, c, s));
            }
            break;
          case CollectiveKind::kSendRecv:
            if (i == 0) NCCL_CHECK(nccl.Send(send, count, ncclFloat, 1, c, s));
            else NCCL_CHECK(nccl.Recv(recv, count, ncclFloat, 0, c, s));
            break;
        }
      }
      NCCL_CHECK(nccl.GroupEnd());
    }
#else
    (void)id;
    (void)members;
#endif
  }

  void memory(const Op& o, DeviceState& ds, cudaStream_t s) {
    Place p = o.src_place();
    std::string scope = p.tier == TierKind::kDevice ? "device" + std::to_string(p.location) : "node" + std::to_string(p.location);
    auto key = std::make_pair(scope, std::string(tier_kind_name(p.tier)));
    double& used = in_use_[key];
    if (p.tier == TierKind::kDevice) {
      auto& stack = allocs_[{p.location, size_t(o.bytes)}];
      if (o.type == OpType::kAlloc) {
        void* ptr = nullptr;
        cudaError_t rc = cudaMallocAsync(&ptr, size_t(o.bytes), s);
        if (rc == cudaErrorMemoryAllocation) {
          cudaGetLastError();  // clear the sticky-free error state
          throw RealError("oom: cudaMallocAsync of " + std::to_string(o.bytes) + " bytes on " + scope + " failed (" +
                          std::to_string(used) + " bytes allocated by this graph)");
        }
        CUDA_CHECK(rc);
        stack.push_back(ptr);
      } else if (!stack.empty()) {
        CUDA_CHECK(cudaFreeAsync(stack.back(), s));
        stack.pop_back();
      }
    } else if (o.type == OpType::kAlloc) {
      double cap = c_.tier_capacity_bytes(o.device, p.tier);
      if (cap > 0 && used + o.bytes > cap)
        throw RealError("oom: alloc of " + std::to_string(o.bytes) + " bytes on " + key.second + " of " + scope +
                        " exceeds its capacity of " + std::to_string(cap) + " bytes");
    }
    used = o.type == OpType::kAlloc ? used + o.bytes : std::max(0.0, used - o.bytes);
    peaks_[key] = std::max(peaks_[key], used);
  }

  // Every device is synchronized before anything a queued host function or
  // kernel may touch is freed (ssd_requests_ and io_error_ are members, so
  // they outlive this too).
  void release() {
    abort_comms();
    for (auto& [d, ds] : devs_) {
      cudaSetDevice(ds.cuda_device);
      cudaDeviceSynchronize();
    }
    for (auto& [k, stack] : allocs_)
      for (void* p : stack) cudaFree(p);
    for (auto& [d, ds] : devs_) {
      cudaSetDevice(ds.cuda_device);
      for (void* p : {ds.arena, ds.a, ds.b, ds.c, ds.sweep_src, ds.sweep_dst, ds.coll_send, ds.coll_recv, ds.qwork})
        if (p) cudaFree(p);
      ds.qweights.clear();
      if (ds.blas) cublasDestroy(ds.blas);
      for (auto& [sid, s] : ds.streams) cudaStreamDestroy(s);
      if (ds.t0) cudaEventDestroy(ds.t0);
    }
    if (pinned_) cudaFreeHost(pinned_);
  }

  const TaskGraph& g_;
  const Cluster& c_;
  const ExecOptions& o_;
  int rank_ = 0, size_ = 1;
  std::map<int, DeviceState> devs_;
  std::vector<int> order_;                // local ops in the shared issue order
  std::vector<std::vector<int>> preds_;   // per op: local explicit predecessors
  std::deque<SsdRequest> ssd_requests_;   // read by host functions on the streams
  std::string io_error_;                  // written by them
  std::vector<CommunicatorSpec> comm_plan_;
  void* pinned_ = nullptr;
  size_t pinned_bytes_ = 0;
  HostBuffer pageable_;
  std::unique_ptr<ScratchFile> ssd_;
#if PARALAB_HAVE_NCCL
  std::vector<std::vector<ncclComm_t>> comms_;  // per comm_plan_ entry, per member (local ones set)
#else
  std::vector<std::vector<void*>> comms_;
#endif
  std::map<std::pair<int, size_t>, std::vector<void*>> allocs_;
  std::map<std::pair<std::string, std::string>, double> in_use_, peaks_;
  std::vector<std::string> notes_;
  std::vector<std::string> qformat_;  // per op: the weight format its GEMM runs in (empty: none)
};

class CudaExecutor : public Executor {
 public:
  RankResult run(const TaskGraph& g, const Cluster& c, const ExecOptions& o) override {
    g.validate(c);
    g.finalize();
    std::string why = non_gpu_op(g, c);
    if (!why.empty() || cuda_device_count(&why) == 0) {
      RankResult r;
      r.status = "error";
      r.message = "cuda backend: " + why;
      return r;
    }
    CudaRun run(g, c, o);
    return run.run();
  }
  std::string backend() const override { return "real-cuda"; }
};
#endif

}  // namespace

std::unique_ptr<Executor> make_cuda_executor() {
#if PARALAB_HAVE_CUDA
  return std::make_unique<CudaExecutor>();
#else
  return std::make_unique<CudaExecutorStub>();
#endif
}

}  // namespace paralab::real
