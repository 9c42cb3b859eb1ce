#include "strategies/training/planners/uniap_cost_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

#include "core/cost_model.h"
#include "core/gemm_work.h"
#include "sim/collectives.h"
#include "sim/compute_model.h"
#include "strategies/training/layer_ops.h"
#include "strategies/training/memory_model.h"

namespace paralab::planner {

namespace {

bool is_block(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

DType dtype_of(Precision p) {
  return p == Precision::kFp32 ? DType::kFp32 : p == Precision::kFp16 ? DType::kFp16 : DType::kBf16;
}
double weight_bytes(Precision p) { return p == Precision::kFp32 ? 4.0 : 2.0; }

double ns_to_s(TimeNs t) { return double(t) * 1e-9; }

// Everything a layer's strategies need: devices and the cost functions.
struct Ctx {
  const ModelGraph& m;
  const Cluster& c;
  const PlannerJob& job;
  CostModel cost;
  std::vector<int> accel;
  int g = 1, pp = 1;
  int64_t mb = 1;  // samples per micro-batch
  int64_t micro_batches = 1;
  ReductionPricing pricing = ReductionPricing::kBesideBackward;
  // Ranks of stage `stage`'s devices at local indices idx.
  std::vector<int> ranks(int stage, const std::vector<int>& idx) const {
    std::vector<int> r;
    for (int k : idx) r.push_back(accel[size_t(stage) * g + k]);
    return r;
  }
  // Memoised: the same (kind, group, bytes) recurs for every layer of a kind
  // and every edge between them, and a 1,024-rank group costs a route walk.
  mutable std::map<std::tuple<int, std::vector<int>, double>, TimeNs> memo{};
  TimeNs coll_ns(CollectiveKind kind, const std::vector<int>& r, double bytes) const {
    auto key = std::make_tuple(int(kind), r, bytes);
    auto it = memo.find(key);
    if (it == memo.end()) it = memo.emplace(key, sim::analytic_collective_ns(c, kind, r, bytes, CollectiveAlgo::kAuto)).first;
    return it->second;
  }
  double coll(CollectiveKind kind, const std::vector<int>& r, double bytes) const {
    if (r.size() < 2 || bytes <= 0) return 0;
    return ns_to_s(coll_ns(kind, r, bytes));
  }
  // The first group of a layout axis (device index 0's group), as lowering.cpp axis_group.
  std::vector<int> axis(const LayerStrategy& s, char a) const {
    std::vector<int> idx;
    if (a == 't') for (int x = 0; x < s.tp; ++x) idx.push_back(x);
    if (a == 'f') for (int x = 0; x < s.fsdp; ++x) idx.push_back(x * s.tp);
    if (a == 'd') for (int x = 0; x < s.dp; ++x) idx.push_back(x * s.fsdp * s.tp);
    return ranks(0, idx);
  }
  // A gradient reduction or ZeRO weight gather over a dp / fsdp axis runs in
  // every group of that axis at once (the lowering emits one per group, at
  // the same point of the layer). Where a group spanning nodes leaves its
  // node through a NIC that the stage's
  // other groups share (one NIC per node on commodity clusters; DGX gives
  // each GPU its own), they split it: the group's collective is priced as
  // moving `shared` times its bytes, `shared` = the stage's devices behind
  // that NIC / the group's own. Exact for a ring with one member per node;
  // an upper bound where intra-node phases (not shared) are scaled too.
  double shared_nic(const std::vector<int>& group) const {
    std::vector<int> stage(accel.begin(), accel.begin() + g);
    int mine = sim::behind_nic_of(c, group, group[0]);
    return mine > 0 ? std::max(1.0, double(sim::behind_nic_of(c, stage, group[0])) / mine) : 1.0;
  }
  // Every group of layout axis a (the first is axis(s, a)).
  std::vector<std::vector<int>> axis_groups(const LayerStrategy& s, char a) const {
    std::map<std::pair<int, int>, std::vector<int>> by;
    for (int k = 0; k < s.dp * s.fsdp * s.tp; ++k) {
      int d = k / (s.fsdp * s.tp), f = (k / s.tp) % s.fsdp, t = k % s.tp;
      std::pair<int, int> key = a == 'd' ? std::pair{f, t} : a == 'f' ? std::pair{d, t} : std::pair{d, f};
      by[key].push_back(accel[size_t(k)]);
    }
    std::vector<std::vector<int>> out;
    for (auto& [key, r] : by) out.push_back(std::move(r));
    return out;
  }
  // How much slower the first of `groups` runs beside the others, all at
  // once: inside a node over the node's links (a PCIe tree's switch
  // uplinks), sim::concurrent_ring_slowdown; across nodes, shared_nic.
  double concurrent_slowdown(std::vector<std::vector<int>> groups) const {
    const std::vector<int> first = groups[0];
    const int node = c.device(first[0]).node;
    bool spans = false;
    for (int d : first) spans |= c.device(d).node != node;
    if (spans) return shared_nic(first);
    // A group inside one node shares links only with the groups of that node.
    std::erase_if(groups, [&](const std::vector<int>& grp) { return c.device(grp[0]).node != node; });
    return sim::concurrent_ring_slowdown(c, groups);
  }
  // The same axis's groups run their collectives at once.
  double shared_links(const LayerStrategy& s, char a) const {
    auto key = std::make_tuple(a, s.dp, s.fsdp, s.tp);
    auto it = slowdowns.find(key);
    if (it != slowdowns.end()) return it->second;
    return slowdowns.emplace(key, concurrent_slowdown(axis_groups(s, a))).first->second;
  }
  mutable std::map<std::tuple<char, int, int, int>, double> slowdowns{};
  // Megatron's tied-embedding gradient all-reduce (lowering.cpp
  // tied_embedding_sync): with pp > 1, device k of the first stage and
  // device k of the last, every k at once, after the last backward; the g
  // pairs split what they share (concurrent_slowdown).
  double tied_embedding_sync(double bytes) const {
    std::vector<std::vector<int>> pairs;
    for (int k = 0; k < g; ++k) pairs.push_back({accel[size_t(k)], accel[size_t(pp - 1) * g + k]});
    if (tied_slowdown < 0) tied_slowdown = concurrent_slowdown(pairs);
    return coll(CollectiveKind::kAllReduce, pairs[0], bytes * tied_slowdown);
  }
  mutable double tied_slowdown = -1;
  int tied_head = -1;  // ModelGraph::tied_embedding's head, when the embedding comes before it
  // Parameters layer l's devices hold: its own, plus (pp > 1) the tied
  // output embedding's replica of the input embedding on the last stage.
  double state_params(int l) const {
    const Layer& layer = m.layer(l);
    return double(layer.params) + (pp > 1 && l == tied_head ? double(layer.matmul_params) : 0.0);
  }
  double axis_coll(CollectiveKind kind, const LayerStrategy& s, char a, double bytes) const {
    return coll(kind, axis(s, a), bytes * shared_links(s, a));
  }
  // The first resharding block of `block` devices (lowering.cpp maybe_reshard).
  const std::vector<int>& reshard_ranks(int block) const {
    auto it = blocks.find(block);
    if (it != blocks.end()) return it->second;
    std::vector<int> idx(static_cast<size_t>(block));
    std::iota(idx.begin(), idx.end(), 0);
    return blocks.emplace(block, ranks(0, idx)).first->second;
  }
  mutable std::map<int, std::vector<int>> blocks{};
};

double ops_seconds(const Ctx& x, const std::vector<OpSpec>& ops, const LayerStrategy& s, int first_device,
                   DType dt) {
  TimeNs t = 0;
  std::vector<int> tp_ranks;
  for (int k = 0; k < s.tp; ++k) tp_ranks.push_back(x.accel[size_t(first_device) + k]);
  const int device = x.accel[size_t(first_device)];
  auto compute = [&](const OpSpec& o) {
    if (o.kind != OpSpec::kGemm) return x.cost.compute(device, o.compute, o.flops, o.bytes, dt);
    GemmShape sh{o.m, o.n, o.k, -1, o.backward};
    GemmWork w = gemm_work(o.m, o.n, o.k, dt, o.backward);  // as the lowering's add_gemm
    return x.cost.compute(device, ComputeKind::kGemm, w.flops, w.bytes, dt, &sh);
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpSpec& o = ops[i];
    if (o.kind != OpSpec::kTpCollective) {
      t += compute(o).total_ns();
      continue;
    }
    if (s.tp <= 1) continue;
    const TimeNs c = x.coll_ns(o.collective, tp_ranks, o.bytes);
    if (o.async && i + 1 < ops.size() && ops[i + 1].kind != OpSpec::kTpCollective) {
      // Beside the next op, both starting when the op before ends (the
      // lowering's stream 9); the op after waits for both.
      t += sim::ComputeModel::beside_collective_ns(c, compute(ops[i + 1]), x.c.device(device).spec.collective_compute_share);
      ++i;
    } else {
      t += c;
    }
  }
  return ns_to_s(t);
}

double phase_seconds(const Ctx& x, int l, int64_t samples, const LayerStrategy& s, int first_device,
                     std::initializer_list<Phase> phases) {
  DType dt = dtype_of(x.job.precision);
  const Layer& layer = x.m.layer(l);
  double t = 0;
  for (Phase ph : phases) t += ops_seconds(x, layer_ops(layer, x.job.seq_len, samples, dt, s, ph), s, first_device, dt);
  return t;
}

double step_seconds(const Ctx& x, int l, int64_t samples, const LayerStrategy& s, int first_device) {
  return phase_seconds(x, l, samples, s, first_device, {Phase::kForward, Phase::kRecompute, Phase::kBackward});
}

struct Costed {
  LayerStrategy s;
  double time = 0, state = 0, act = 0, transient = 0;
};

Costed cost_strategy(const Ctx& x, int l, const LayerStrategy& s, double state_params) {
  Costed r;
  r.s = s;
  const Layer& layer = x.m.layer(l);
  int64_t samples = x.mb / s.batch_split();
  double c = double(x.micro_batches);
  // The lowering's data stream runs the ZeRO-3 weight gathers and the
  // gradient reductions beside compute: the forward's gathers beside the
  // forward; in the backward, the next layer's gather (prefetched one layer
  // ahead) and this layer's reductions beside the backward of the layers
  // that follow (recomputation included; UniAP's plans keep
  // overlap_grad_reduce on). Each is charged what it adds to a compute as
  // long as l's own (sim::ComputeModel::beside_collective_ns): exact where
  // the neighbouring layers are like this one. A stage's first layer, whose
  // reductions nothing follows, is under-charged by at most its backward;
  // its first gather, which nothing precedes, is over-charged by the same
  // rule the other way.
  double forward = phase_seconds(x, l, samples, s, 0, {Phase::kForward});
  double behind = phase_seconds(x, l, samples, s, 0, {Phase::kRecompute, Phase::kBackward});
  double t = forward + behind;
  double share = x.c.device(x.accel[0]).spec.collective_compute_share;
  auto beside = [&](double comm, double compute) {
    if (comm <= 0) return 0.0;
    if (x.pricing == ReductionPricing::kInLine) return comm;
    ComputeTime b{seconds_to_ns(compute), 0};
    return ns_to_s(sim::ComputeModel::beside_collective_ns(seconds_to_ns(comm), b, share)) - ns_to_s(b.work_ns);
  };
  double local = state_params / s.tp;
  double grad = local * weight_bytes(x.job.precision);
  double gather = 0;  // data-stream seconds beside the forward
  if (s.zero_stage == 3 && s.fsdp > 1)
    gather = x.axis_coll(CollectiveKind::kAllGather, s, 'f', double(layer.params) / s.tp * weight_bytes(x.job.precision));
  double rs = s.fsdp > 1 ? x.axis_coll(CollectiveKind::kReduceScatter, s, 'f', grad) : 0;
  // Beside the backward of every micro-batch (ZeRO-2/3 reduce-scatter) and
  // of the last (ZeRO-1 reduce-scatter, data-parallel all-reduce).
  double every = gather + (s.zero_stage >= 2 ? rs : 0);
  double at_last = every + (s.zero_stage < 2 ? rs : 0);
  if (s.dp > 1) at_last += x.axis_coll(CollectiveKind::kAllReduce, s, 'd', s.fsdp > 1 ? grad / s.fsdp : grad);
  t += beside(gather, forward) + beside(every, behind);
  double per_iter = beside(at_last, behind) - beside(every, behind);  // the last micro-batch's extra
  double shard = s.zero_stage >= 1 ? local / s.fsdp : local;
  // The optimizer step is one op per stage (lowering.cpp): its work is
  // shared out per layer, its launch overhead charged to the model's first
  // layer only.
  ComputeTime opt = x.cost.compute(x.accel[0], ComputeKind::kElementwise, 0,
                                    optimizer_step_bytes_per_param(x.job.precision) * shard, dtype_of(x.job.precision));
  per_iter += ns_to_s(opt.work_ns + (l == 0 ? opt.launch_ns : 0));
  if ((s.zero_stage == 1 || s.zero_stage == 2) && s.fsdp > 1)
    per_iter += x.axis_coll(CollectiveKind::kAllGather, s, 'f', local * weight_bytes(x.job.precision));
  // A tied output embedding on the last stage: its gradient is summed with
  // the first stage's once an iteration, exposed (nothing follows it). With
  // pp > 1 the embedding (the model's first layer in every builder) and the
  // head (its last) are on different stages, as the lowering requires.
  if (x.pp > 1 && l == x.tied_head)
    per_iter += x.tied_embedding_sync(double(layer.matmul_params) / s.tp * weight_bytes(x.job.precision));
  r.time = t + per_iter / c;
  r.state = model_state_bytes(state_params, x.job.precision, s);
  r.act = layer_activation_bytes(layer, x.job.seq_len, x.mb, x.job.precision, s);
  r.transient = layer_transient_bytes(layer, x.job.seq_len, x.mb, x.job.precision, s);
  return r;
}

std::vector<LayerStrategy> enumerate(const Ctx& x, int l, const StrategySpace& sp) {
  const Layer& layer = x.m.layer(l);
  const BlockShape& b = layer.shape;
  int node = std::max(1, x.c.devices_per_node());
  std::vector<LayerStrategy> out;
  for (int tp = 1; tp <= x.g; ++tp) {
    if (x.g % tp || tp > node) continue;
    if (tp > 1 && !sp.tensor_parallel) continue;
    if ((b.heads > 0 && b.heads % tp) || (b.kv_heads > 0 && b.kv_heads % tp) || (b.ffn_hidden > 0 && b.ffn_hidden % tp))
      continue;
    int rest = x.g / tp;
    for (int fsdp = 1; fsdp <= rest; ++fsdp) {
      if (rest % fsdp) continue;
      int dp = rest / fsdp;
      if (x.mb % (dp * fsdp)) continue;
      if (fsdp > 1 && !sp.sharding) continue;
      if (sp.pure_data_parallel_only && (tp != 1 || fsdp != 1)) continue;
      if (sp.full_sharding_only && (tp != 1 || fsdp != x.g)) continue;
      for (int zero = fsdp > 1 ? 1 : 0; zero <= (fsdp > 1 ? 3 : 0); ++zero) {
        if ((sp.only_zero3 || sp.full_sharding_only) && fsdp > 1 && zero != 3) continue;
        for (int seqp = 0; seqp <= (tp > 1 && sp.sequence_parallel ? 1 : 0); ++seqp) {
          if (seqp && layer.tokens(x.job.seq_len) % tp) continue;
          for (int rc = 0; rc < (is_block(layer.kind) && sp.recomputation ? 3 : 1); ++rc) {
            if (rc == int(Recompute::kSelective) && !sp.selective_recompute) continue;
            LayerStrategy s;
            s.dp = dp, s.tp = tp, s.fsdp = fsdp, s.zero_stage = zero;
            s.sequence_parallel = seqp;
            s.recompute = Recompute(rc);
            out.push_back(s);
          }
        }
      }
    }
  }
  return out;
}

// Drops strategies dominated within their (dp, tp, fsdp, sp) group.
std::vector<Costed> prune_dominated(std::vector<Costed> v) {
  std::vector<Costed> out;
  for (size_t i = 0; i < v.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < v.size() && !dominated; ++j) {
      if (i == j) continue;
      const LayerStrategy &a = v[i].s, &b = v[j].s;
      if (a.dp != b.dp || a.tp != b.tp || a.fsdp != b.fsdp || a.sequence_parallel != b.sequence_parallel) continue;
      bool no_worse = v[j].time <= v[i].time && v[j].state <= v[i].state && v[j].act <= v[i].act;
      bool equal = v[j].time == v[i].time && v[j].state == v[i].state && v[j].act == v[i].act;
      if (no_worse && (!equal || j < i)) dominated = true;  // ties: keep the first
    }
    if (!dominated) out.push_back(v[i]);
  }
  return out;
}

}  // namespace

double layer_step_seconds(const ModelGraph& m, const Cluster& c, int l, int64_t seq, int64_t samples, Precision p,
                          const LayerStrategy& s, int first_device) {
  PlannerJob job;
  job.seq_len = seq;
  job.precision = p;
  Ctx x{m, c, job, CostModel(c), c.accelerators()};
  return step_seconds(x, l, samples, s, first_device);
}

namespace {

Ctx make_ctx(const ModelGraph& m, const Cluster& c, const PlannerJob& job, int pp, int64_t micro_batches) {
  Ctx x{m, c, job, CostModel(c), c.accelerators()};
  x.pp = pp;
  x.g = int(x.accel.size()) / pp;
  x.micro_batches = micro_batches;
  x.mb = job.global_batch / micro_batches;
  auto [emb, head] = m.tied_embedding();
  if (emb >= 0 && emb < head) x.tied_head = head;
  return x;
}

// Identical layers (the Transformer blocks) share one key, their costs and
// the matrices of the edges between them.
std::string layer_key(const Ctx& x, int l) {
  const Layer& layer = x.m.layer(l);
  const double params = x.state_params(l);
  const BlockShape& b = layer.shape;
  return fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", int(layer.kind), layer.params, layer.matmul_params,
                     params, layer.token_scale, b.hidden, b.heads, b.kv_heads, b.head_dim, b.ffn_hidden, b.gated_mlp,
                     b.cross_attention, b.causal, b.window_tokens, b.vocab);
}

}  // namespace

CostedInstance cost_layers(const ModelGraph& m, const Cluster& c, const PlannerJob& job, int pp, int64_t micro_batches,
                           const StrategySpace& space, ReductionPricing pricing) {
  Ctx x = make_ctx(m, c, job, pp, micro_batches);
  x.pricing = pricing;
  CostedInstance ci;
  ci.pricing = pricing;
  ci.pipeline_degree = pp;
  ci.devices_per_stage = x.g;
  PlanInstance& in = ci.instance;
  in.num_stages = pp;
  in.micro_batches = micro_batches;
  int n = m.num_layers();
  double transient = 0;
  std::map<std::string, std::pair<int, std::vector<Costed>>> cache;
  for (int l = 0; l < n; ++l) {
    const double params = x.state_params(l);
    std::string key = layer_key(x, l);
    auto hit = cache.find(key);
    if (hit == cache.end()) {
      std::vector<LayerStrategy> ss = enumerate(x, l, space);
      std::vector<Costed> cs;
      for (const LayerStrategy& s : ss) cs.push_back(cost_strategy(x, l, s, params));
      hit = cache.emplace(key, std::make_pair(int(ss.size()), prune_dominated(std::move(cs)))).first;
    }
    ci.strategies_enumerated += hit->second.first;
    const std::vector<Costed>& cs = hit->second.second;
    ci.strategies_kept += int(cs.size());
    ci.max_strategies_per_layer = std::max(ci.max_strategies_per_layer, int(cs.size()));
    in.time_seconds.emplace_back();
    in.state_bytes.emplace_back();
    in.act_bytes.emplace_back();
    ci.strategies.emplace_back();
    for (const Costed& k : cs) {
      in.time_seconds.back().push_back(k.time);
      in.state_bytes.back().push_back(k.state);
      in.act_bytes.back().push_back(k.act);
      ci.strategies.back().push_back(k.s);
      transient = std::max(transient, k.transient);
    }
  }
  ci.transient_reserve_bytes = transient;
  for (int i = 0; i < pp; ++i) {
    double inflight = job.schedule == PipelineSchedule::kGpipe ? double(micro_batches)
                                                               : double(std::min<int64_t>(pp - i, micro_batches));
    in.in_flight.push_back(inflight);
    double cap = c.device(x.accel[size_t(i) * x.g]).spec.memory_bytes - job.reserve_bytes - transient;
    in.capacity_bytes.push_back(std::max(0.0, cap));
  }
  return ci;
}

void add_edges(const ModelGraph& m, const Cluster& c, const PlannerJob& job, CostedInstance* ci) {
  Ctx x = make_ctx(m, c, job, ci->pipeline_degree, ci->instance.micro_batches);
  int pp = x.pp, n = m.num_layers();
  PlanInstance& in = ci->instance;
  in.edges.clear();
  std::vector<std::string> keys;
  for (int l = 0; l < n; ++l) keys.push_back(layer_key(x, l));
  // Equal layer keys and carried bytes: equal matrices, shared.
  std::map<std::tuple<std::string, std::string, double>, EdgeCosts> cache;
  Zeros zeros;  // the skip edges', one per shape
  const DType act = dtype_of(job.precision);
  // Edges: the model's in-edges (a chain adds (u-1, u)). A skip edge (v >
  // u + 1) costs nothing of its own: its tensor rides on the chain edges up
  // to v, which price it with their own (ModelGraph::carried_bytes), as the
  // lowering moves it. It stays an edge for the order and contiguity rules.
  for (int v = 0; v < n; ++v)
    for (int u : m.inputs_of(v)) {
      const auto& su = ci->strategies[u];
      const auto& sv = ci->strategies[v];
      EdgeCosts e;
      e.u = u, e.v = v;
      if (v > u + 1) {
        e.same_stage = e.cross_stage = zeros.get(int(su.size()), int(sv.size()));
        in.edges.push_back(std::move(e));
        continue;
      }
      const double carried = m.carried_bytes(u, job.seq_len, act);
      auto hit = cache.find({keys[u], keys[v], carried});
      if (hit != cache.end()) {
        e = hit->second;
        e.u = u, e.v = v;
        in.edges.push_back(std::move(e));
        continue;
      }
      double out_u = m.layer(u).output_bytes(job.seq_len, act) + carried;
      double out_v = m.layer(v).output_bytes(job.seq_len, act) + carried;
      // Per-strategy parts (O(K) collectives per edge; the matrices are sums).
      std::vector<double> send_u(su.size()), gather_u(su.size()), send_v(sv.size()), gather_v(sv.size());
      std::vector<int> pair = pp > 1 ? std::vector<int>{x.accel[0], x.accel[size_t(x.g)]} : std::vector<int>{};
      for (size_t k = 0; k < su.size(); ++k) {
        const LayerStrategy& a = su[k];
        double bytes = out_u * double(x.mb / a.batch_split());
        if (pp > 1) {
          send_u[k] = x.coll(CollectiveKind::kSendRecv, pair, bytes / a.tp);
          if (a.tp > 1 && !a.sequence_parallel) gather_u[k] = x.coll(CollectiveKind::kAllGather, x.axis(a, 't'), bytes);
        }
      }
      for (size_t l = 0; l < sv.size(); ++l) {
        const LayerStrategy& b = sv[l];
        double bytes = out_v * double(x.mb / b.batch_split());
        if (pp > 1) {
          send_v[l] = x.coll(CollectiveKind::kSendRecv, pair, bytes / b.tp);
          if (b.tp > 1 && !b.sequence_parallel) gather_v[l] = x.coll(CollectiveKind::kAllGather, x.axis(b, 't'), bytes);
        }
      }
      // Same-stage resharding, forward and backward: it depends on u's bytes
      // and the two TP degrees only, so it is costed per (k, TP degree of v).
      std::vector<int> tps, tp_index(sv.size());
      for (size_t l = 0; l < sv.size(); ++l) {
        auto it = std::find(tps.begin(), tps.end(), sv[l].tp);
        tp_index[l] = int(it - tps.begin());
        if (it == tps.end()) tps.push_back(sv[l].tp);
      }
      std::vector<double> reshard(su.size() * tps.size());
      for (size_t k = 0; k < su.size(); ++k) {
        const double bytes = out_u * double(x.mb / su[k].batch_split()) / su[k].tp;
        LayerStrategy b = su[k];
        for (size_t t = 0; t < tps.size(); ++t) {
          b.tp = tps[t];
          int block = reshard_block(su[k], b);
          reshard[k * tps.size() + t] =
              block > 1 ? 2 * x.coll(CollectiveKind::kAllToAll, x.reshard_ranks(block), bytes) : 0.0;
        }
      }
      // At equal TP, a switch of sequence parallelism gathers u's output
      // once (forward or backward: sp_switch_gathers).
      std::vector<double> sp_gather(su.size(), 0.0);
      for (size_t k = 0; k < su.size(); ++k)
        if (su[k].tp > 1)
          sp_gather[k] = x.coll(CollectiveKind::kAllGather, x.axis(su[k], 't'), out_u * double(x.mb / su[k].batch_split()));
      std::vector<double> same, cross;
      same.reserve(su.size() * sv.size());
      cross.reserve(su.size() * sv.size());
      for (size_t k = 0; k < su.size(); ++k)
        for (size_t l = 0; l < sv.size(); ++l) {
          const bool gathers = sp_switch_gathers(su[k], sv[l], false) || sp_switch_gathers(su[k], sv[l], true);
          same.push_back(reshard[k * tps.size() + size_t(tp_index[l])] + (gathers ? sp_gather[k] : 0.0));
          cross.push_back(pp > 1 ? ((send_u[k] + send_v[l]) + gather_v[l]) + gather_u[k] : 0.0);
        }
      e.same_stage = std::move(same);
      e.cross_stage = std::move(cross);
      cache.emplace(std::make_tuple(keys[u], keys[v], carried), e);
      in.edges.push_back(std::move(e));
    }
}

CostedInstance build_instance(const ModelGraph& m, const Cluster& c, const PlannerJob& job, int pp,
                              int64_t micro_batches, const StrategySpace& space) {
  CostedInstance ci = cost_layers(m, c, job, pp, micro_batches, space);
  add_edges(m, c, job, &ci);
  return ci;
}

TrainingPlan plan_from_assignment(const ModelGraph& m, const PlannerJob& job, const CostedInstance& ci,
                                  const Assignment& a, const std::string& source) {
  TrainingPlan p;
  p.model = job.model;
  p.cluster = job.cluster;
  p.nodes = job.nodes;
  p.seq_len = job.seq_len;
  p.global_batch = job.global_batch;
  p.micro_batches = ci.instance.micro_batches;
  p.precision = job.precision;
  p.schedule = job.schedule;
  p.reserve_bytes = job.reserve_bytes;
  p.source = source;
  int n = m.num_layers(), g = ci.devices_per_stage;
  for (int i = 0; i < ci.pipeline_degree; ++i) {
    PipelineStage st;
    st.first_layer = int(std::find(a.stage.begin(), a.stage.end(), i) - a.stage.begin());
    st.end_layer = int(std::find_if(a.stage.begin(), a.stage.end(), [i](int s) { return s > i; }) - a.stage.begin());
    for (int k = 0; k < g; ++k) st.devices.push_back(i * g + k);
    p.stages.push_back(std::move(st));
  }
  for (int l = 0; l < n; ++l) p.layers.push_back(ci.strategies[l][a.strategy[l]]);
  return p;
}

}  // namespace paralab::planner
