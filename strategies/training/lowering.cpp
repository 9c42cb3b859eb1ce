// The lowering driver. Long by nature (one pass per phase of the iteration),
// so it is a class whose members each emit one phase; see lowering.h.
#include "strategies/training/lowering.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "strategies/training/layer_ops.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/pipeline_schedule.h"

namespace paralab {

const char* comm_class_name(CommClass c) {
  switch (c) {
    case CommClass::kNone: return "none";
    case CommClass::kTensor: return "tp";
    case CommClass::kPipeline: return "pp";
    case CommClass::kData: return "dp";
  }
  return "?";
}

namespace {

constexpr int kComputeStream = 0;
constexpr int kDataStream = 1;
constexpr int kEmbeddingStream = 8;  // tied-embedding gradient all-reduce (first <-> last stage)
constexpr int kTpAsyncStream = 9;    // TP collectives beside backward GEMMs (OpSpec::async)

class Lowerer {
 public:
  Lowerer(const TrainingPlan& p, const ModelGraph& m, const Cluster& c, const LoweringOptions& o, LoweredPlan& out)
      : plan_(p), m_(m), c_(c), opt_(o), out_(out), g_(out.graph) {
    p_ = plan_.pipeline_depth();
    v_ = plan_.schedule == PipelineSchedule::kInterleaved ? std::max(1, plan_.chunks) : 1;
    dtype_ = plan_.precision == Precision::kFp32 ? DType::kFp32
             : plan_.precision == Precision::kFp16 ? DType::kFp16 : DType::kBf16;
    mb_ = int(plan_.micro_batches);
    int ns = int(plan_.stages.size());
    single_ = opt_.symmetric && opt_.one_rank_per_stage;
    replica_size_.assign(p_, 0);
    for (int i = 0; i < p_; ++i) replica_size_[i] = explicit_devices(i);
    step_first_.assign(ns, {});
    step_last_.assign(ns, {});
    for (int j = 0; j < ns; ++j) {
      int nd = active(j);
      step_first_[j].assign(size_t(2 * mb_ * nd), -1);
      step_last_[j].assign(size_t(2 * mb_ * nd), -1);
    }
  }

  void run() {
    out_.representative.assign(c_.num_devices(), -1);
    out_.stage_of_device.assign(c_.num_devices(), -1);
    for (int i = 0; i < p_; ++i) {
      const std::vector<int>& devs = plan_.stages[i].devices;
      for (size_t k = 0; k < devs.size(); ++k) {
        // Device k stands for itself, or mirrors device k mod active(i).
        out_.representative[devs[k]] = devs[k % size_t(active(i))];
        out_.stage_of_device[devs[k]] = i;
      }
    }
    for (int i = 0; i < p_; ++i) emit_physical_stage(i);
    emit_messages();
    tied_embedding_sync();
    out_.comm_class.resize(g_.size(), CommClass::kNone);
    out_.last_backward_ops = last_bwd_;
  }

 private:
  // Active devices of stage j (the first active(j) of its device list): all;
  // with `symmetric` those of the first data-parallel replica; with
  // `one_rank_per_stage` the first device.
  int active(int j) const { return replica_size_[j % p_]; }

  // Devices of physical stage i lowered explicitly: its device count over
  // the gcd of the dp degrees of its layers (all chunks) when symmetric. A
  // layer's device index is k = di*fsdp*tp + fi*tp + ti, so the first
  // count/g devices hold replicas di < dp/g of every layer, and device k
  // mirrors device k mod (count/g).
  int explicit_devices(int i) const {
    int count = int(plan_.stages[i].devices.size());
    if (!opt_.symmetric) return count;
    if (opt_.one_rank_per_stage) return 1;
    int g = 0;
    for (int ch = 0; ch < v_; ++ch) {
      const PipelineStage& st = plan_.stages[ch * p_ + i];
      for (int l = st.first_layer; l < st.end_layer; ++l) g = std::gcd(g, plan_.layers[l].dp);
    }
    return g > 0 ? count / g : count;
  }
  int dev(int j, int k) const { return plan_.stages[j].devices[k]; }
  int64_t samples(int l) const { return plan_.micro_batch_samples() / plan_.layers[l].batch_split(); }

  void tag(int op, CommClass c) {
    if (out_.comm_class.size() <= size_t(op)) out_.comm_class.resize(size_t(op) + 1, CommClass::kNone);
    out_.comm_class[op] = c;
  }

  int group_of(int j, std::vector<int> idx) {
    std::vector<int> ranks;
    ranks.reserve(idx.size());
    for (int k : idx) ranks.push_back(dev(j, k));
    return g_.add_group(ranks);
  }
  // Group of stage-device index k along one axis of layer l's layout.
  int axis_group(int j, int l, int k, char axis) {
    const LayerStrategy& s = plan_.layers[l];
    auto cache_key = std::make_tuple(j, s.tp, s.fsdp, s.dp, k, axis);
    if (auto it = group_cache_.find(cache_key); it != group_cache_.end()) return it->second;
    int tp = s.tp, f = s.fsdp, di = k / (f * tp), fi = (k / tp) % f, ti = k % tp;
    std::vector<int> idx;
    if (axis == 't')
      for (int x = 0; x < tp; ++x) idx.push_back(di * f * tp + fi * tp + x);
    else if (axis == 'f')
      for (int x = 0; x < f; ++x) idx.push_back(di * f * tp + x * tp + ti);
    else  // 'd'
      for (int x = 0; x < s.dp; ++x) idx.push_back(x * f * tp + fi * tp + ti);
    int gid = group_of(j, idx);
    group_cache_[cache_key] = gid;
    return gid;
  }

  int label(const std::string& s) { return g_.intern_label(s); }
  // "L<l> <what>", interned once per layer (what: a string literal).
  int layer_label(int l, const char* what) {
    auto [it, fresh] = layer_labels_.try_emplace({l, what}, -1);
    if (fresh) it->second = label(fmt::format("L{} {}", l, what));
    return it->second;
  }

  // Emits template ops of layer l (stage j) on every active device;
  // returns the first op id, or -1 if none. Updates last_[k].
  int emit_specs(int j, int l, const std::vector<OpSpec>& specs, const char* phase) {
    int first = -1;
    int n = active(j);
    std::vector<int>& labels = label_cache_[{l, phase}];  // phase: a string literal, compared by address
    if (labels.size() != specs.size()) {
      labels.clear();
      for (const OpSpec& o : specs) labels.push_back(label(fmt::format("L{} {} {}", l, phase, o.name)));
    }
    for (size_t oi = 0; oi < specs.size(); ++oi) {
      const OpSpec& o = specs[oi];
      int lab = labels[oi];
      if (o.kind == OpSpec::kTpCollective) {
        int id = emit_tp_collective(j, l, o.collective, o.bytes, lab, CommClass::kTensor, o.async);
        if (first < 0) first = id;
        continue;
      }
      for (int k = 0; k < n; ++k) {
        int id = o.kind == OpSpec::kGemm
                     ? g_.add_gemm(dev(j, k), kComputeStream, o.m, o.n, o.k, dtype_, lab, o.backward)
                     : g_.add_compute(dev(j, k), kComputeStream, o.compute, o.flops, o.bytes, dtype_, lab);
        if (first < 0) first = id;
        wait_async(k, id, true);
        last_[k] = id;
      }
    }
    for (int k = 0; k < n; ++k)
      if (!async_[k].empty()) throw std::logic_error("layer_ops: an async TP collective without two compute ops after it");
    return first;
  }

  // One collective per TP group of layer l's layout on stage j: in line on
  // the compute stream, or `async` (stream 9: after each member's last op,
  // beside its next compute op). Returns the first op id.
  int emit_tp_collective(int j, int l, CollectiveKind kind, double bytes, int lab, CommClass cls, bool async = false) {
    const int n = active(j), tp = plan_.layers[l].tp;
    int first = -1;
    for (int k = 0; k < n; k += single_ ? 1 : tp) {
      int id = g_.add_collective(kind, axis_group(j, l, k, 't'), async ? kTpAsyncStream : kComputeStream, bytes,
                                 CollectiveAlgo::kAuto, lab);
      tag(id, cls);
      if (first < 0) first = id;
      if (async) add_member_deps(j, id);
      for (int x = k; x < std::min(n, k + tp); ++x) {
        if (async) {
          async_[x].push_back({id, 1});
        } else {
          wait_async(x, id, x == k);  // the members' pending lists are alike: one edge each
          last_[x] = id;
        }
      }
    }
    return first;
  }

  // Compute-stream op `id` of active device k: it waits for the async
  // collectives whose overlapped op has passed (adding the edges when
  // `add_edges`), and passes the others' one.
  void wait_async(int k, int id, bool add_edges) {
    auto& pending = async_[k];
    size_t w = 0;
    for (auto& [coll, left] : pending) {
      if (left == 0) {
        if (add_edges) g_.add_dep(coll, id);
      } else {
        --left;
        pending[w++] = {coll, left};
      }
    }
    pending.resize(w);
  }

  int emit_mem(int j, bool alloc, double bytes, int lab) {
    int first = -1;
    if (bytes <= 0) return first;
    for (int k = 0; k < active(j); ++k) {
      Place here{TierKind::kDevice, dev(j, k)};
      int id = alloc ? g_.add_alloc(dev(j, k), kComputeStream, here, bytes, lab)
                     : g_.add_free(dev(j, k), kComputeStream, here, bytes, lab);
      if (first < 0) first = id;
      last_[k] = id;
    }
    return first;
  }

  const std::vector<OpSpec>& specs(int l, Phase ph) {
    auto key = std::make_pair(l, int(ph));
    auto it = spec_cache_.find(key);
    if (it != spec_cache_.end()) return it->second;
    return spec_cache_[key] = layer_ops(m_.layer(l), plan_.seq_len, samples(l), dtype_, plan_.layers[l], ph,
                                        plan_.trainable_params.empty() ? -1.0 : layer_trainable_params(plan_, m_, l),
                                        plan_.async_tensor_parallel);
  }

  double grad_bytes_per_param() const { return plan_.precision == Precision::kFp32 ? 4.0 : 2.0; }
  double weight_bytes_per_param() const { return plan_.precision == Precision::kFp32 ? 4.0 : 2.0; }

  // Resharding between layer l-1 and l of one stage when their TP degrees
  // differ. Device index k holds batch shard k / tp whatever the dp x fsdp
  // split, so equal TP degrees leave every activation in place; otherwise
  // data moves only inside aligned blocks of lcm(tp_a, tp_b) devices (TP is
  // innermost), one all-to-all per block (reshard_block). At equal TP, a
  // switch between sequence parallelism and none gathers the sequence
  // shards in line: forward into a layer without SP, backward (its input
  // gradient) out of a layer with SP (sp_switch_gathers). The tensor moved is
  // layer l-1's output plus what skip edges carry past it (chain_bytes).
  void maybe_reshard(int j, int l, bool backward) {
    const PipelineStage& st = plan_.stages[j];
    if (l <= st.first_layer) return;
    const LayerStrategy &a = plan_.layers[l - 1], &b = plan_.layers[l];
    int block = reshard_block(a, b);
    if (block <= 1) {
      if (!sp_switch_gathers(a, b, backward)) return;
      double full = chain_bytes(l - 1, l - 1) * double(samples(l - 1));
      emit_tp_collective(j, l, CollectiveKind::kAllGather, full,
                         label(fmt::format("L{} {} sequence gather", l, backward ? "bwd" : "fwd")), CommClass::kTensor);
      return;
    }
    double bytes = chain_bytes(l - 1, l - 1) * double(samples(l - 1)) / double(a.tp);
    int lab = label(fmt::format("L{} {} reshard", l, backward ? "bwd" : "fwd"));
    for (int first = 0; first < active(j); first += block) {
      std::vector<int> idx(static_cast<size_t>(block));
      std::iota(idx.begin(), idx.end(), first);
      int id = g_.add_collective(CollectiveKind::kAllToAll, group_of(j, std::move(idx)), kComputeStream, bytes,
                                 CollectiveAlgo::kAuto, lab);
      tag(id, CommClass::kTensor);
      for (int k = first; k < std::min(active(j), first + block); ++k) last_[k] = id;
    }
  }

  void forward_layer(int j, int l) {
    const LayerStrategy& s = plan_.layers[l];
    maybe_reshard(j, l, false);
    double act = layer_activation_bytes(m_.layer(l), plan_.seq_len, plan_.micro_batch_samples(), plan_.precision, s);
    emit_mem(j, true, act, layer_label(l, "act"));
    double gathered = zero3_gather_bytes(l);
    if (gathered > 0) land_zero3_gather(j, gathered, issue_zero3_gather(j, l, "fwd"), l);
    emit_specs(j, l, specs(l, Phase::kForward), "fwd");
    if (gathered > 0) emit_mem(j, false, gathered, layer_label(l, "gathered"));
  }

  double zero3_gather_bytes(int l) const {
    const LayerStrategy& s = plan_.layers[l];
    if (s.zero_stage != 3 || s.fsdp <= 1) return 0;
    return double(m_.layer(l).params) / s.tp * weight_bytes_per_param() * (1.0 - 1.0 / s.fsdp);
  }

  // ZeRO-3 weight all-gather of layer l, one per fsdp group, on the data
  // stream: it waits for nothing but the stream's earlier collectives, so it
  // runs ahead of the compute that needs it (the forward's gathers all run
  // ahead; the backward's one layer ahead, below). Returns the op ids.
  std::vector<int> issue_zero3_gather(int j, int l, const char* phase) {
    const LayerStrategy& s = plan_.layers[l];
    double full = double(m_.layer(l).params) / s.tp * weight_bytes_per_param();
    std::vector<int> ids;
    for (int k = 0; k < active(j); ++k) {
      if (!single_ && (k / s.tp) % s.fsdp != 0) continue;  // one op per fsdp group
      int id = g_.add_collective(CollectiveKind::kAllGather, axis_group(j, l, k, 'f'), kDataStream, full,
                                 CollectiveAlgo::kAuto, label(fmt::format("L{} {} zero3 gather", l, phase)));
      tag(id, CommClass::kData);
      ids.push_back(id);
    }
    return ids;
  }

  // The gathered weights land where layer l's compute starts: allocated
  // there (memory counts one layer's gathered weights at a time), and the
  // compute waits for the gathers.
  void land_zero3_gather(int j, double gathered, const std::vector<int>& ids, int l) {
    emit_mem(j, true, gathered, layer_label(l, "gathered"));
    for (int id : ids)
      for (int k = 0; k < active(j); ++k) g_.add_dep(id, last_[k]);
  }

  // The backward prefetches one layer ahead, as FSDP's default
  // BACKWARD_PRE and DeepSpeed's ZeRO-3 prefetch do: layer l - 1's gather is
  // issued before layer l's backward, so on the data stream it comes before
  // l's gradient reduction and the backward never waits for a reduction.
  // `prefetched_` holds the gather issued for the next backward layer.
  void backward_gathers(int j, int l, int first_layer, double gathered) {
    std::vector<int> mine;
    if (gathered > 0) mine = prefetched_layer_ == l ? prefetched_ : issue_zero3_gather(j, l, "bwd");
    prefetched_layer_ = -1;
    prefetched_.clear();
    if (l > first_layer && zero3_gather_bytes(l - 1) > 0) {
      prefetched_ = issue_zero3_gather(j, l - 1, "bwd");
      prefetched_layer_ = l - 1;
    }
    if (gathered > 0) land_zero3_gather(j, gathered, mine, l);
  }

  void backward_layer(int j, int l, int first_layer, bool last_micro_batch) {
    const LayerStrategy& s = plan_.layers[l];
    double gathered = zero3_gather_bytes(l);
    backward_gathers(j, l, first_layer, gathered);
    double act = layer_activation_bytes(m_.layer(l), plan_.seq_len, plan_.micro_batch_samples(), plan_.precision, s);
    double rec = layer_transient_bytes(m_.layer(l), plan_.seq_len, plan_.micro_batch_samples(), plan_.precision, s) -
                 gathered;
    if (rec > 0) emit_mem(j, true, rec, layer_label(l, "recompute"));
    emit_specs(j, l, specs(l, Phase::kRecompute), "rec");
    emit_specs(j, l, specs(l, Phase::kBackward), "bwd");
    if (rec > 0) emit_mem(j, false, rec, layer_label(l, "recompute"));
    emit_mem(j, false, act, layer_label(l, "act"));
    if (gathered > 0) emit_mem(j, false, gathered, layer_label(l, "gathered"));
    grad_sync(j, l, last_micro_batch);
    maybe_reshard(j, l, true);
  }

  // Gradient reduction of layer l: reduce-scatter over fsdp (ZeRO-2/3 every
  // micro-batch, ZeRO-1 at the last), all-reduce over dp at the last.
  void grad_sync(int j, int l, bool last) {
    if (last && !plan_.overlap_grad_reduce) {
      deferred_sync_.emplace_back(j, l);  // reduced after the stage's whole backward
      return;
    }
    emit_grad_sync(j, l, last);
  }

  void emit_grad_sync(int j, int l, bool last) {
    const LayerStrategy& s = plan_.layers[l];
    double full = layer_trainable_params(plan_, m_, l) / s.tp * grad_bytes_per_param();
    if (full <= 0) return;  // a frozen layer without adapters has no gradient
    bool rs = s.fsdp > 1 && (s.zero_stage >= 2 || last);
    bool ar = s.dp > 1 && last;
    if (!rs && !ar) return;
    for (int k = 0; k < active(j); ++k) {
      int di = k / (s.fsdp * s.tp), fi = (k / s.tp) % s.fsdp;
      if (rs && (single_ || fi == 0)) {
        int id = g_.add_collective(CollectiveKind::kReduceScatter, axis_group(j, l, k, 'f'), kDataStream, full,
                                   CollectiveAlgo::kAuto, label(fmt::format("L{} grad reduce-scatter", l)));
        tag(id, CommClass::kData);
        add_member_deps(j, id);
        sync_ops_.push_back(id);
      }
      if (ar && (single_ || di == 0)) {
        int id = g_.add_collective(CollectiveKind::kAllReduce, axis_group(j, l, k, 'd'), kDataStream,
                                   s.fsdp > 1 ? full / s.fsdp : full, CollectiveAlgo::kAuto,
                                   label(fmt::format("L{} grad all-reduce", l)));
        tag(id, CommClass::kData);
        add_member_deps(j, id);
        sync_ops_.push_back(id);
      }
    }
  }

  // Collective `id` waits for the last op of each of its active members
  // (a mirrored member's stand-in is the active member of the same group).
  void add_member_deps(int j, int id) {
    if (single_) {
      g_.add_dep(last_[0], id);
      return;
    }
    for (int r : g_.group(g_.op(id).group())) {
      int kk = index_in_stage(j, r);
      if (kk >= 0 && kk < active(j)) g_.add_dep(last_[kk], id);
    }
  }

  int index_in_stage(int j, int device) const {
    const auto& d = plan_.stages[j].devices;
    auto it = std::find(d.begin(), d.end(), device);
    return it == d.end() ? -1 : int(it - d.begin());
  }

  // Bytes per sample on the chain edge (w, w + 1) in layer l's shape: l's
  // output plus the skip tensors carried past w (ModelGraph::carried_bytes).
  double chain_bytes(int l, int w) const {
    return m_.layer(l).output_bytes(plan_.seq_len, dtype_) + m_.carried_bytes(w, plan_.seq_len, dtype_);
  }

  // Pipeline-boundary all-gather (scatter/gather optimisation without SP) at
  // layer l: a stage's first layer forward, its last layer backward.
  void boundary_gather(int j, int l, bool backward) {
    const LayerStrategy& s = plan_.layers[l];
    if (s.tp <= 1 || s.sequence_parallel) return;
    double bytes = chain_bytes(l, backward ? l : l - 1) * double(samples(l));
    emit_tp_collective(j, l, CollectiveKind::kAllGather, bytes, label(backward ? "p2p bwd gather" : "p2p fwd gather"),
                       CommClass::kPipeline);
  }

  void emit_physical_stage(int i) {
    int n = active(i);
    last_.assign(n, -1);
    async_.assign(size_t(n), {});
    std::vector<int> init(n, -1);
    // Reserve and model states (all chunks of this device group).
    double states = 0;
    for (int ch = 0; ch < v_; ++ch) {
      const PipelineStage& st = plan_.stages[ch * p_ + i];
      for (int l = st.first_layer; l < st.end_layer; ++l)
        states += layer_model_state_bytes(plan_, m_, l);
    }
    emit_mem(i, true, plan_.reserve_bytes, label("reserve"));
    emit_mem(i, true, states, label("model states"));
    std::vector<int> bwd_done(v_, 0);
    sync_ops_.clear();
    for (const ScheduleStep& st : stage_schedule(plan_.schedule, p_, v_, mb_, i)) {
      int j = st.chunk * p_ + i;
      const PipelineStage& stage = plan_.stages[j];
      std::vector<int> before = last_;
      size_t slot = size_t((st.backward ? mb_ : 0) + st.micro_batch) * n;
      if (!st.backward) {
        if (j > 0) boundary_gather(j, stage.first_layer, false);
        for (int l = stage.first_layer; l < stage.end_layer; ++l) forward_layer(j, l);
      } else {
        bool last = ++bwd_done[st.chunk] == mb_;
        if (j + 1 < int(plan_.stages.size())) boundary_gather(j, stage.end_layer - 1, true);
        for (int l = stage.end_layer - 1; l >= stage.first_layer; --l) backward_layer(j, l, stage.first_layer, last);
      }
      // First op of the step = the op after `before` on device k; recorded as
      // the first op id created after the previous last op.
      for (int k = 0; k < n; ++k) {
        step_last_[j][slot + k] = last_[k];
        step_first_[j][slot + k] = first_after(before[k], k, i);
      }
    }
    // Without overlap, the last micro-batch's gradient reductions wait for
    // the stage's whole backward (each waits for its members' last op).
    for (auto [j, l] : deferred_sync_) emit_grad_sync(j, l, true);
    deferred_sync_.clear();
    last_bwd_.insert(last_bwd_.end(), last_.begin(), last_.end());
    last_bwd_by_stage_.push_back(last_);
    optimizer(i);
  }

  // The first compute-stream op of active device k created after `prev`.
  int first_after(int prev, int k, int i) const {
    int d = dev(i, k);
    for (size_t id = size_t(prev + 1); id < g_.size(); ++id) {
      const Op& o = g_.op(int(id));
      if (o.stream != kComputeStream) continue;
      if (o.device == d) return int(id);
      if (o.type == OpType::kCollective) {
        for (int r : g_.group(o.group()))
          if (r == d) return int(id);
      }
    }
    return -1;
  }

  void optimizer(int i) {
    double shard_params = 0, gather_bytes = 0;
    int zero_group_layer = -1;
    for (int ch = 0; ch < v_; ++ch) {
      const PipelineStage& st = plan_.stages[ch * p_ + i];
      for (int l = st.first_layer; l < st.end_layer; ++l) {
        const LayerStrategy& s = plan_.layers[l];
        double local = layer_trainable_params(plan_, m_, l) / s.tp;
        shard_params += s.zero_stage >= 1 ? local / s.fsdp : local;
        if ((s.zero_stage == 1 || s.zero_stage == 2) && s.fsdp > 1) {
          gather_bytes += local * weight_bytes_per_param();
          zero_group_layer = l;
        }
      }
    }
    int n = active(i);
    std::vector<int> step(n);
    for (int k = 0; k < n; ++k) {
      step[k] = g_.add_compute(dev(i, k), kComputeStream, ComputeKind::kElementwise, 0, optimizer_step_bytes_per_param(plan_.precision) * shard_params, dtype_,
                               label("optimizer step"));
      last_[k] = step[k];
    }
    optimizer_by_stage_.push_back(step);
    for (int id : sync_ops_) {
      for (int k = 0; k < n; ++k)
        for (int r : g_.group(g_.op(id).group()))
          if (r == dev(i, k)) g_.add_dep(id, step[k]);
    }
    std::vector<int> ends = step;
    if (gather_bytes > 0) {
      const LayerStrategy& s = plan_.layers[zero_group_layer];
      for (int k = 0; k < n; ++k) {
        if (!single_ && (k / s.tp) % s.fsdp != 0) continue;
        int id = g_.add_collective(CollectiveKind::kAllGather, axis_group(i, zero_group_layer, k, 'f'), kDataStream,
                                   gather_bytes, CollectiveAlgo::kAuto, label("zero weight all-gather"));
        tag(id, CommClass::kData);
        for (int r : g_.group(g_.op(id).group())) {
          int kk = index_in_stage(i, r);
          if (kk >= 0 && kk < n) {
            g_.add_dep(step[kk], id);
            ends[kk] = id;
          }
        }
      }
    }
    int lab = label("release");
    for (int k = 0; k < n; ++k) {
      Place here{TierKind::kDevice, dev(i, k)};
      double states = 0;
      for (int ch = 0; ch < v_; ++ch) {
        const PipelineStage& st = plan_.stages[ch * p_ + i];
        for (int l = st.first_layer; l < st.end_layer; ++l)
          states += layer_model_state_bytes(plan_, m_, l);
      }
      int f1 = g_.add_free(dev(i, k), kComputeStream, here, states, lab);
      if (ends[k] != step[k]) g_.add_dep(ends[k], f1);
      if (plan_.reserve_bytes > 0) g_.add_free(dev(i, k), kComputeStream, here, plan_.reserve_bytes, lab);
    }
  }

  // Megatron's word-embedding gradient all-reduce: a tied output embedding
  // on another stage than the input embedding sums its gradient with the
  // input embedding's before either optimizer step. Created last, on its own
  // stream, so it never sits in front of an op it waits for.
  void tied_embedding_sync() {
    std::vector<int> stage = plan_.stage_of_layers(m_.num_layers());
    auto [emb, head] = m_.tied_embedding();
    if (emb < 0 || stage[emb] % p_ == stage[head] % p_) return;
    int a = stage[emb] % p_, b = stage[head] % p_;
    const LayerStrategy& s = plan_.layers[head];
    double bytes = double(m_.layer(head).matmul_params) / s.tp * grad_bytes_per_param();
    int na = active(a), nb = active(b);
    for (int x = 0; x < std::max(na, nb); ++x) {
      int ka = x % na, kb = x % nb;
      int id = g_.add_collective(CollectiveKind::kAllReduce, g_.add_group({dev(a, ka), dev(b, kb)}), kEmbeddingStream,
                                 bytes, CollectiveAlgo::kAuto, label("tied embedding grad all-reduce"));
      tag(id, CommClass::kData);
      g_.add_dep(last_bwd_by_stage_[a][ka], id);
      g_.add_dep(last_bwd_by_stage_[b][kb], id);
      g_.add_dep(id, optimizer_by_stage_[a][ka]);
      g_.add_dep(id, optimizer_by_stage_[b][kb]);
    }
  }

  int p2p_stream(int from_phys, bool backward) const {
    if (!backward) return from_phys == p_ - 1 ? 4 : 2 + from_phys % 2;
    return from_phys == 0 ? 7 : 5 + from_phys % 2;
  }

  // Send/recv between adjacent stages, created in each sender's schedule order.
  void emit_messages() {
    int ns = int(plan_.stages.size());
    for (int i = 0; i < p_; ++i) {
      for (const ScheduleStep& st : stage_schedule(plan_.schedule, p_, v_, mb_, i)) {
        int j = st.chunk * p_ + i;
        int to = st.backward ? j - 1 : j + 1;
        if (to < 0 || to >= ns) continue;
        int l = st.backward ? plan_.stages[j].first_layer : plan_.stages[j].end_layer - 1;
        const LayerStrategy& s = plan_.layers[l];
        double bytes = chain_bytes(l, st.backward ? l - 1 : l) * double(samples(l)) / s.tp;
        int ns_from = active(j), ns_to = active(to);
        int pairs = std::max(ns_from, ns_to);
        int lab = label(st.backward ? "p2p bwd" : "p2p fwd");
        for (int x = 0; x < pairs; ++x) {
          int a = x % ns_from, b = x % ns_to;
          size_t slot_from = size_t((st.backward ? mb_ : 0) + st.micro_batch) * ns_from + a;
          size_t slot_to = size_t((st.backward ? mb_ : 0) + st.micro_batch) * ns_to + b;
          int grp = g_.add_group({dev(j, a), dev(to, b)});
          int id = g_.add_collective(CollectiveKind::kSendRecv, grp, p2p_stream(i, st.backward), bytes,
                                     CollectiveAlgo::kAuto, lab);
          tag(id, CommClass::kPipeline);
          if (step_last_[j][slot_from] >= 0) g_.add_dep(step_last_[j][slot_from], id);
          if (step_first_[to][slot_to] >= 0) g_.add_dep(id, step_first_[to][slot_to]);
        }
      }
    }
  }

  const TrainingPlan& plan_;
  std::vector<std::pair<int, int>> deferred_sync_;  // (stage, layer) reductions after the backward
  const ModelGraph& m_;
  const Cluster& c_;
  LoweringOptions opt_;
  LoweredPlan& out_;
  TaskGraph& g_;
  int p_ = 1, v_ = 1, mb_ = 1;
  bool single_ = false;            // symmetric with one_rank_per_stage
  std::vector<int> replica_size_;  // per physical stage: active devices
  DType dtype_ = DType::kBf16;
  std::vector<int> last_;        // last compute-stream op per active device of the current stage
  // Per active device: async TP collectives still to be waited for, with the
  // number of compute-stream ops that run beside them before that.
  std::vector<std::vector<std::pair<int, int>>> async_;
  std::vector<int> sync_ops_;    // gradient collectives of the current physical stage
  std::vector<int> prefetched_;   // ZeRO-3 gathers issued ahead for layer prefetched_layer_'s backward
  int prefetched_layer_ = -1;
  std::vector<int> last_bwd_;
  std::vector<std::vector<int>> last_bwd_by_stage_, optimizer_by_stage_;  // per physical stage, per active device
  std::vector<std::vector<int>> step_first_, step_last_;  // [stage][(dir*m + mb)*active + k]
  std::map<std::tuple<int, int, int, int, int, char>, int> group_cache_;
  std::map<std::pair<int, int>, std::vector<OpSpec>> spec_cache_;
  std::map<std::pair<int, const char*>, std::vector<int>> label_cache_;
  std::map<std::pair<int, const char*>, int> layer_labels_;
};

}  // namespace

LoweredPlan lower_plan(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c, const LoweringOptions& opt) {
  LoweredPlan out;
  Lowerer(plan, m, c, opt, out).run();
  return out;
}

}  // namespace paralab
