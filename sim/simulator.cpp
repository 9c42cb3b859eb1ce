// The simulator's orchestrator: owns the models and the event loop and
// dispatches ops to them. It is the longest file of sim/ because it is the
// one place that knows every op type; each model lives in its own file.
#include "sim/simulator.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "core/cost_model.h"
#include "sim/collectives.h"
#include "sim/compute_model.h"
#include "sim/event_queue.h"
#include "sim/flow_network.h"
#include "sim/memory_tracker.h"
#include "sim/sim_events.h"
#include "sim/trace_writer.h"

namespace paralab::sim {

const char* collective_mode_name(CollectiveMode m) { return m == CollectiveMode::kFlow ? "flow" : "analytic"; }

namespace {

struct CollectiveStats {
  int64_t count = 0;
  double seconds = 0, bytes = 0, algbw_sum = 0, busbw_sum = 0;
};

class Engine {
 public:
  Engine(const Cluster& c, const TaskGraph& g, const SimOptions& o)
      : c_(c),
        g_(g),
        o_(o),
        cost_(c, o.slowdown),
        compute_(c, q_),
        net_(c, q_),
        mem_(c),
        tracing_(o.trace || o.trace_out != nullptr),
        trace_(o.trace_out ? o.trace_out : &trace_text_) {}

  SimResult run();

 private:
  struct CRun {
    int op = -1;
    const CollectiveProgram* prog = nullptr;
    std::vector<int> pending;
    int remaining = 0;
  };

  void init();
  void drain_ready();
  void start_op(int i);
  void finish_op(int i);
  void start_collective(int i);
  void start_program_flow(int run, int k);
  void kernel_begin(int d);
  void kernel_end(int d);
  void memory_op(int i);
  void trace_memory(int scope);
  void init_trace();
  void trace_flow(int flow);
  const CollectiveProgram* program(const Op& o);
  void fill_record(SimResult* r);
  void resolve_flows();
  void on_flow_finished(const FlowOwner& owner);

  const Cluster& c_;
  const TaskGraph& g_;
  const SimOptions& o_;
  CostModel cost_;
  EventQueue q_;
  ComputeModel compute_;
  FlowNetwork net_;
  MemoryTracker mem_;
  const bool tracing_;
  std::ostringstream trace_text_;  // SimOptions::trace without trace_out
  TraceWriter trace_;
  std::vector<char> tdev_, tnode_, tres_;  // drawn devices, nodes, resources
  bool trace_all_ = true;
  TimeNs now_ = 0;
  TimeNs end_ns_ = 0;  // when the last op finished

  std::vector<int32_t> wait_, next_off_, stream_next_;
  std::vector<int> ready_;
  size_t ready_head_ = 0;
  std::vector<TimeNs> start_ns_;
  std::vector<int> active_kernels_;
  std::vector<TimeNs> busy_since_, busy_ns_;
  std::vector<CRun> runs_;
  std::vector<int> free_runs_;
  std::unordered_map<int, int> run_of_op_;
  std::unordered_map<int, TimeNs> coll_start_;
  // Per (group, kind, algo, bytes): a collective's flow program, or its
  // closed-form time (a 256-rank ring costs 256 route look-ups to price).
  using CollectiveKey = std::tuple<int, int, int, double>;
  static CollectiveKey collective_key(const Op& o) { return {o.group(), int(o.sub), int(o.extra), o.bytes}; }
  std::map<CollectiveKey, std::unique_ptr<CollectiveProgram>> programs_;
  std::map<CollectiveKey, TimeNs> analytic_ns_;
  std::map<int, CollectiveStats> coll_stats_;
  std::vector<int> done_scratch_;
  std::vector<FlowOwner> flows_done_;
  bool oom_ = false;
  std::string oom_message_;
  uint64_t done_ = 0, events_ = 0;
  int pid_links_ = 0, pid_disks_ = 0, pid_nodes_ = 0;
};

void Engine::init() {
  g_.finalize();
  const int n = int(g_.size());
  wait_.resize(n);
  next_off_.resize(n + 1);
  next_off_[0] = 0;
  for (int i = 0; i < n; ++i) {
    wait_[i] = g_.num_preds(i);
    next_off_[i + 1] = next_off_[i] + int32_t(g_.devices_of(i).size());
  }
  stream_next_.assign(next_off_[n], -1);
  std::vector<std::vector<int>> last(c_.num_devices());  // [device][stream] -> slot of the last op
  for (int i = 0; i < n; ++i) {
    auto devs = g_.devices_of(i);
    const int stream = g_.op(i).stream;
    for (size_t k = 0; k < devs.size(); ++k) {
      auto& per = last[devs[k]];
      if (per.size() <= size_t(stream)) per.resize(stream + 1, -1);
      int& slot = per[stream];
      if (slot >= 0) {
        stream_next_[slot] = i;
        wait_[i]++;
      }
      slot = next_off_[i] + int(k);
    }
  }
  for (int i = 0; i < n; ++i)
    if (wait_[i] == 0) ready_.push_back(i);
  const int D = c_.num_devices();
  active_kernels_.assign(D, 0);
  busy_since_.assign(D, 0);
  busy_ns_.assign(D, 0);
  if (tracing_ || o_.observer) start_ns_.assign(n, 0);
  if (tracing_) init_trace();
}

void Engine::init_trace() {
  const int D = c_.num_devices();
  const int n = int(g_.size());
  net_.track_loads(true);
  trace_all_ = o_.trace_devices.empty();
  tdev_.assign(D, 1);
  if (!trace_all_)
    for (int d = 0; d < D; ++d) tdev_[d] = d < int(o_.trace_devices.size()) && o_.trace_devices[d];
  tnode_.assign(c_.num_nodes, trace_all_);
  for (int d = 0; d < D; ++d)
    if (tdev_[d] && c_.device(d).node >= 0 && c_.device(d).node < c_.num_nodes) tnode_[c_.device(d).node] = 1;
  pid_links_ = D;
  pid_disks_ = D + 1;
  pid_nodes_ = D + 2;
  std::map<int64_t, bool> streams;
  for (int i = 0; i < n; ++i)
    for (int d : g_.devices_of(i))
      if (tdev_[d]) streams[(int64_t(d) << 16) | g_.op(i).stream] = true;
  auto named = [](const std::vector<std::string>& names, int k) {
    return k < int(names.size()) && !names[k].empty() ? &names[k] : nullptr;
  };
  for (int d = 0; d < D; ++d) {
    if (!tdev_[d]) continue;
    const std::string* name = named(o_.trace_device_names, d);
    trace_.process_name(d, name ? *name : fmt::format("device {} ({})", d, c_.device(d).vertex_name));
  }
  for (const auto& [key, unused] : streams) {
    const int stream = int(key & 0xffff);
    const std::string* name = named(o_.trace_stream_names, stream);
    trace_.thread_name(int(key >> 16), stream, name ? *name : fmt::format("stream {}", stream));
  }
  trace_.process_name(pid_links_, "links");
  trace_.process_name(pid_disks_, "disks");
  for (int node = 0; node < c_.num_nodes; ++node)
    if (tnode_[node]) trace_.process_name(pid_nodes_ + node, fmt::format("node {} host memory / ssd", node));
}

// Marks the resources of a flow whose ends are drawn devices, so their load
// counters are drawn.
void Engine::trace_flow(int flow) {
  for (int r : net_.flow_resources(flow)) {
    if (r >= int(tres_.size())) tres_.resize(size_t(r) + 1, 0);
    tres_[r] = 1;
  }
}

void Engine::kernel_begin(int d) {
  if (active_kernels_[d]++ == 0) busy_since_[d] = now_;
}

void Engine::kernel_end(int d) {
  if (--active_kernels_[d] == 0) busy_ns_[d] += now_ - busy_since_[d];
}

void Engine::drain_ready() {
  while (ready_head_ < ready_.size() && !oom_) start_op(ready_[ready_head_++]);
  if (ready_head_ == ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
  }
}

void Engine::start_op(int i) {
  const Op& o = g_.op(i);
  if (!start_ns_.empty()) start_ns_[i] = now_;
  switch (o.type) {
    case OpType::kCompute:
      kernel_begin(o.device);
      compute_.start(now_, o.device, i, cost_.compute(o, g_.gemm_shape(o), g_.weight_format(o)));
      break;
    case OpType::kTransfer: {
      int f = net_.start_transfer(now_, o.src_place(), o.dst_place(), o.bytes, FlowOwner{i, -1});
      if (tracing_ && !trace_all_ && tdev_[o.device]) trace_flow(f);
      break;
    }
    case OpType::kCollective:
      for (int d : g_.group(o.group())) {
        kernel_begin(d);
        compute_.collective(now_, d, +1);
      }
      coll_start_[i] = now_;
      start_collective(i);
      break;
    case OpType::kAlloc:
    case OpType::kFree:
      memory_op(i);
      break;
  }
}

void Engine::memory_op(int i) {
  const Op& o = g_.op(i);
  int scope = mem_.scope_of(o.src_place());
  if (o.type == OpType::kFree) {
    mem_.free(scope, o.bytes);
  } else if (!mem_.alloc(scope, o.bytes)) {
    oom_ = true;
    end_ns_ = now_;
    oom_message_ = fmt::format(
        "out of memory on {} tier {}: {} allocates {} bytes at t={} ns with {} bytes live of {} bytes capacity",
        mem_.scope_name(scope), mem_.tier_name(scope), g_.describe(i), o.bytes, now_, mem_.live(scope),
        mem_.capacity(scope));
    return;
  }
  if (tracing_) trace_memory(scope);
  finish_op(i);
}

void Engine::trace_memory(int scope) {
  int pid;
  if (scope < c_.num_devices()) {
    if (!tdev_[scope]) return;
    pid = scope;
  } else {
    int node = std::stoi(mem_.scope_name(scope).substr(4));
    if (!tnode_[node]) return;
    pid = pid_nodes_ + node;
  }
  trace_.counter(pid, fmt::format("memory {}", mem_.tier_name(scope)), now_, "bytes", mem_.live(scope));
}

const CollectiveProgram* Engine::program(const Op& o) {
  auto& slot = programs_[collective_key(o)];
  if (!slot)
    slot = std::make_unique<CollectiveProgram>(
        build_collective(c_, o.collective_kind(), g_.group(o.group()), o.bytes, o.algo(), o_.chunks,
                         o_.max_ring_steps));
  return slot.get();
}

void Engine::start_collective(int i) {
  const Op& o = g_.op(i);
  if (o_.collectives == CollectiveMode::kAnalytic) {
    auto [it, fresh] = analytic_ns_.try_emplace(collective_key(o), 0);
    if (fresh) it->second = analytic_collective_ns(c_, o.collective_kind(), g_.group(o.group()), o.bytes, o.algo(), o_.chunks);
    q_.push(now_ + it->second, kOpDone, i);
    return;
  }
  const CollectiveProgram* p = program(o);
  if (p->flows.empty()) {
    q_.push(now_, kOpDone, i);
    return;
  }
  int r;
  if (!free_runs_.empty()) {
    r = free_runs_.back();
    free_runs_.pop_back();
  } else {
    r = int(runs_.size());
    runs_.emplace_back();
  }
  CRun& run = runs_[r];
  run.op = i;
  run.prog = p;
  run.pending.assign(p->num_deps.begin(), p->num_deps.end());
  run.remaining = int(p->flows.size());
  run_of_op_[i] = r;
  for (int k = 0; k < int(p->flows.size()); ++k)
    if (run.pending[k] == 0) start_program_flow(r, k);
}

void Engine::start_program_flow(int r, int k) {
  const CollectiveFlow& f = runs_[r].prog->flows[k];
  int id = net_.start_between_devices(now_, f.src_device, f.dst_device, f.bytes, FlowOwner{runs_[r].op, k}, f.steps);
  if (tracing_ && !trace_all_ && (tdev_[f.src_device] || tdev_[f.dst_device])) trace_flow(id);
}

void Engine::finish_op(int i) {
  const Op& o = g_.op(i);
  std::span<const int> devs = o.type == OpType::kCollective ? g_.group(o.group()) : std::span<const int>(&o.device, 1);
  if (o.type == OpType::kCompute || o.type == OpType::kCollective)
    for (int d : devs) kernel_end(d);
  if (o.type == OpType::kCollective) {
    for (int d : devs) compute_.collective(now_, d, -1);
    auto it = coll_start_.find(i);
    double t = ns_to_seconds(now_ - it->second);
    coll_start_.erase(it);
    CollectiveStats& st = coll_stats_[o.sub];
    st.count++;
    st.seconds += t;
    st.bytes += o.bytes;
    if (t > 0) {
      st.algbw_sum += o.bytes / t;
      st.busbw_sum += o.bytes / t * busbw_factor(o.collective_kind(), int(devs.size()));
    }
  }
  if (o_.observer) o_.observer->op_done(i, start_ns_[i], now_);
  if (tracing_) {
    std::string_view name = o.label >= 0 ? std::string_view(g_.label(o.label))
                            : o.type == OpType::kCompute    ? compute_kind_name(o.compute_kind())
                            : o.type == OpType::kCollective ? collective_kind_name(o.collective_kind())
                                                            : op_type_name(o.type);
    for (int d : devs)
      if (tdev_[d]) trace_.slice(d, o.stream, name, start_ns_[i], now_ - start_ns_[i], op_type_name(o.type));
  }
  ++done_;
  end_ns_ = now_;
  for (int s : g_.successors(i))
    if (--wait_[s] == 0) ready_.push_back(s);
  for (int k = next_off_[i]; k < next_off_[i + 1]; ++k) {
    int s = stream_next_[k];
    if (s >= 0 && --wait_[s] == 0) ready_.push_back(s);
  }
}

void Engine::on_flow_finished(const FlowOwner& owner) {
  if (owner.tag < 0) {
    finish_op(owner.op);
    return;
  }
  int r = run_of_op_.at(owner.op);
  CRun& run = runs_[r];
  for (int s : run.prog->successors(owner.tag))
    if (--run.pending[s] == 0) start_program_flow(r, s);
  if (--run.remaining == 0) {
    run_of_op_.erase(owner.op);
    free_runs_.push_back(r);
    finish_op(owner.op);
  }
}

void Engine::resolve_flows() {
  net_.resolve(now_);
  if (tracing_)
    for (auto [res, load] : net_.load_changes())
      if (trace_all_ || (res < int(tres_.size()) && tres_[res]))
        trace_.counter(net_.is_disk_resource(res) ? pid_disks_ : pid_links_, net_.resource_name(res), now_,
                     "bytes_per_s", load);
}

SimResult Engine::run() {
  init();
  drain_ready();
  resolve_flows();  // flows started at t = 0 with no latency
  while (!q_.empty() && !oom_) {
    now_ = q_.top().time_ns;
    while (!q_.empty() && q_.top().time_ns == now_ && !oom_) {
      Event e = q_.pop();
      if ((++events_ & 0xffff) == 0 && o_.progress) o_.progress(done_, g_.size(), now_);
      switch (e.kind()) {
        case kComputeTick:
          done_scratch_.clear();
          compute_.on_tick(now_, e.target, e.version, &done_scratch_);
          for (int i : done_scratch_) finish_op(i);
          break;
        case kFlowLatencyDone:
          net_.on_latency_done(now_, e.target);
          break;
        case kFlowDone:
          flows_done_.clear();
          net_.on_flows_done(now_, e.version, &flows_done_);
          for (const FlowOwner& owner : flows_done_) on_flow_finished(owner);
          break;
        case kOpDone:
          finish_op(e.target);
          break;
      }
      drain_ready();
    }
    resolve_flows();
  }
  // Stale (cancelled) events may pop after the last op: the makespan is the
  // last op's end.
  now_ = end_ns_;
  SimResult r;
  r.makespan_ns = now_;
  r.events = events_;
  r.ops_done = done_;
  r.flows = net_.flows_started();
  r.flow_solves = net_.solves();
  r.flows_visited = net_.solver().flows_visited();
  r.rate_changes = net_.rate_changes();
  fill_record(&r);
  if (tracing_) {
    r.trace_ok = trace_.finish();
    if (!o_.trace_out) r.trace_json = trace_text_.str();
  }
  return r;
}

void Engine::fill_record(SimResult* r) {
  RunRecord& rec = r->record;
  rec.backend = "sim";
  rec.set_cluster(c_);
  rec.step_seconds = ns_to_seconds(now_);
  rec.config = {{"collectives", collective_mode_name(o_.collectives)}, {"chunks", o_.chunks}};
  if (o_.max_ring_steps > 0) rec.config["max_ring_steps"] = o_.max_ring_steps;
  if (!o_.slowdown.empty()) rec.config["slowdown"] = o_.slowdown;
  if (oom_) {
    rec.status = "oom";
    rec.message = oom_message_;
  } else if (done_ < g_.size()) {
    int first = -1;
    for (size_t i = 0; i < g_.size() && first < 0; ++i)
      if (wait_[i] > 0) first = int(i);
    rec.status = "error";
    rec.message = fmt::format("deadlock: {} of {} ops never ran (first: {})", g_.size() - done_, g_.size(),
                              first >= 0 ? g_.describe(first) : std::string("?"));
  }
  const double span = double(now_);
  for (int d = 0; d < c_.num_devices(); ++d) {
    TimeNs busy = busy_ns_[d] + (active_kernels_[d] > 0 ? now_ - busy_since_[d] : 0);
    rec.device_utilization.push_back(span > 0 ? double(busy) / span : 0.0);
  }
  rec.peak_memory = mem_.peaks();
  Json links = Json::array();
  for (const ResourceUsage& u : net_.usage())
    links.push_back({{"name", u.name},
                     {"kind", u.kind},
                     {"capacity_bytes_per_s", u.capacity_bytes_per_s},
                     {"bytes", u.bytes},
                     {"utilization", span > 0 ? u.bytes / (u.capacity_bytes_per_s * span * 1e-9) : 0.0}});
  Json colls = Json::object();
  for (const auto& [kind, st] : coll_stats_)
    colls[collective_kind_name(static_cast<CollectiveKind>(kind))] = {
        {"count", st.count},
        {"seconds", st.seconds},
        {"bytes", st.bytes},
        {"mean_algbw_bytes_per_s", st.count ? st.algbw_sum / double(st.count) : 0.0},
        {"mean_busbw_bytes_per_s", st.count ? st.busbw_sum / double(st.count) : 0.0}};
  rec.metrics = {{"makespan_ns", now_},
                 {"ops", g_.size()},
                 {"ops_done", done_},
                 {"events", events_},
                 {"flows", net_.flows_started()},
                 {"link_utilization", std::move(links)},
                 {"collectives", std::move(colls)}};
}

}  // namespace

SimResult simulate(const Cluster& cluster, const TaskGraph& graph, const SimOptions& options) {
  Engine e(cluster, graph, options);
  return e.run();
}

}  // namespace paralab::sim
