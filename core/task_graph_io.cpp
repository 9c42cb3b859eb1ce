// TaskGraph validation and its JSON form.
//
// JSON: {"ops": [ {"type": "compute", "device": 0, "stream": 0, "kind": "gemm",
//   "flops": 1e12, "bytes": 3e8, "dtype": "bf16", "gemm": [M, N, K],
//   "label": "L0 fwd", "deps": [ids...]}, ... ]}; beside "gemm",
// "gemm_backward": true marks the backward of that GEMM (its data and weight
// gradients, GemmShape::backward) and "weights" a weight storage format. Transfer: "src"/"dst" =
// {"tier": "device|pinned|pageable|ssd", "location": n}; collective:
// "collective": "all_reduce|...", "group": [ranks], "algorithm": "auto|ring|
// tree|hierarchical"; alloc/free: "tier", "location". "id", if present, must
// equal the op's index.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "core/gemm_work.h"
#include "core/limits.h"
#include "core/task_graph.h"

namespace paralab {

namespace {

Json place_json(Place p) { return {{"tier", tier_kind_name(p.tier)}, {"location", p.location}}; }

Place place_from(const JsonReader& r) {
  r.only_keys({"tier", "location"});
  Place p;
  std::string t = r.choice("tier", {"device", "pinned", "pageable", "ssd"});
  parse_tier_kind(t, &p.tier);
  p.location = r.int_field("location", 0);
  return p;
}

}  // namespace

void TaskGraph::validate(const Cluster& c, const std::string& origin) const {
  finalize();
  const int n = static_cast<int>(ops_.size());
  auto fail = [&](int op, const std::string& what) { throw InputError(origin + ": " + describe(op) + ": " + what); };
  auto check_place = [&](int op, Place p, const char* which) {
    if (p.tier == TierKind::kDevice) {
      if (p.location < 0 || p.location >= c.num_devices())
        fail(op, std::string(which) + " device " + std::to_string(p.location) + " does not exist; cluster '" +
                     c.name + "' has devices 0.." + std::to_string(c.num_devices() - 1));
    } else if (p.location < 0 || p.location >= c.num_nodes) {
      fail(op, std::string(which) + " node " + std::to_string(p.location) + " does not exist; cluster '" + c.name +
                   "' has nodes 0.." + std::to_string(c.num_nodes - 1));
    }
  };
  for (int i = 0; i < n; ++i) {
    const Op& o = ops_[i];
    if (o.label >= int(labels_.size())) fail(i, "label id " + std::to_string(o.label) + " out of range");
    if (!(o.bytes >= 0) || !(o.flops >= 0)) fail(i, "negative or NaN bytes/FLOPs");
    if (o.type == OpType::kCollective) {
      if (o.group() < 0 || size_t(o.group()) >= num_groups())
        fail(i, "group id " + std::to_string(o.group()) + " does not exist");
      auto g = group(o.group());
      if (g.empty()) fail(i, "empty group");
      if (o.collective_kind() == CollectiveKind::kSendRecv && g.size() != 2)
        fail(i, "send_recv needs a group of exactly 2 ranks {src, dst}, got " + std::to_string(g.size()));
      std::vector<int> sorted(g.begin(), g.end());
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) fail(i, "group lists a rank twice");
      for (int d : g)
        if (d < 0 || d >= c.num_devices())
          fail(i, "group rank " + std::to_string(d) + " is not a device of cluster '" + c.name + "' (devices 0.." +
                      std::to_string(c.num_devices() - 1) + ")");
      continue;
    }
    if (o.device < 0 || o.device >= c.num_devices())
      fail(i, "bound to device " + std::to_string(o.device) + ", but cluster '" + c.name + "' has devices 0.." +
                  std::to_string(c.num_devices() - 1));
    if (o.type == OpType::kTransfer) {
      check_place(i, o.src_place(), "source");
      check_place(i, o.dst_place(), "destination");
    } else if (o.type == OpType::kAlloc || o.type == OpType::kFree) {
      check_place(i, o.src_place(), "memory");
    }
  }
  bool forward = true;  // every dependency points to a later op
  for (auto [a, b] : edges_) {
    if (b < 0 || b >= n) throw InputError(origin + ": dependency names op " + std::to_string(b) + ", which does not exist (" + std::to_string(n) + " ops)");
    if (a < 0 || a >= n) fail(b, "depends on op " + std::to_string(a) + ", which does not exist (" + std::to_string(n) + " ops)");
    if (a == b) fail(b, "depends on itself");
    forward = forward && a < b;
  }
  // Stream order also runs from lower to higher ids, so a graph whose every
  // dependency points forward has no cycle (the lowerings build such graphs;
  // this skips Kahn's pass over millions of ops for them).
  if (forward) return;
  // Cycles through dependencies and stream order (Kahn's algorithm).
  std::vector<int> indeg(npreds_.begin(), npreds_.end());
  std::vector<int> stream_next(n, -1);  // flattened: per (op, member) next op on the stream
  std::vector<int> next_off(n + 1, 0);
  for (int i = 0; i < n; ++i) next_off[i + 1] = next_off[i] + int(devices_of(i).size());
  stream_next.assign(next_off[n], -1);
  std::unordered_map<int64_t, int> last;  // (device, stream) -> slot of the last op
  for (int i = 0; i < n; ++i) {
    auto devs = devices_of(i);
    for (size_t k = 0; k < devs.size(); ++k) {
      int64_t key = (int64_t(devs[k]) << 16) | ops_[i].stream;
      auto [it, fresh] = last.try_emplace(key, next_off[i] + int(k));
      if (!fresh) {
        stream_next[it->second] = i;
        it->second = next_off[i] + int(k);
        indeg[i]++;
      }
    }
  }
  std::vector<int> ready;
  for (int i = 0; i < n; ++i)
    if (indeg[i] == 0) ready.push_back(i);
  int done = 0;
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    ++done;
    for (int s : successors(i))
      if (--indeg[s] == 0) ready.push_back(s);
    for (int k = next_off[i]; k < next_off[i + 1]; ++k)
      if (stream_next[k] >= 0 && --indeg[stream_next[k]] == 0) ready.push_back(stream_next[k]);
  }
  if (done < n) {
    for (int i = 0; i < n; ++i)
      if (indeg[i] > 0)
        fail(i, "is on a dependency cycle (dependencies plus stream order; ops on one stream run in id order)");
  }
}

Json TaskGraph::to_json() const {
  finalize();
  std::vector<std::vector<int>> preds(ops_.size());
  for (auto [a, b] : edges_) preds[b].push_back(a);
  Json ops = Json::array();
  for (size_t i = 0; i < ops_.size(); ++i) {
    const Op& o = ops_[i];
    Json j = {{"id", i}, {"type", op_type_name(o.type)}};
    if (o.label >= 0) j["label"] = labels_[o.label];
    switch (o.type) {
      case OpType::kCompute:
        j["device"] = o.device;
        j["stream"] = o.stream;
        j["kind"] = compute_kind_name(o.compute_kind());
        j["flops"] = o.flops;
        j["bytes"] = o.bytes;
        j["dtype"] = dtype_name(o.dtype());
        if (const GemmShape* s = gemm_shape(o)) {
          j["gemm"] = {s->m, s->n, s->k};
          if (s->backward) j["gemm_backward"] = true;
        }
        if (const std::string* w = weight_format(o)) j["weights"] = *w;
        break;
      case OpType::kTransfer:
        j["device"] = o.device;
        j["stream"] = o.stream;
        j["bytes"] = o.bytes;
        j["src"] = place_json(o.src_place());
        j["dst"] = place_json(o.dst_place());
        break;
      case OpType::kCollective: {
        auto g = group(o.group());
        j["collective"] = collective_kind_name(o.collective_kind());
        j["group"] = std::vector<int>(g.begin(), g.end());
        j["stream"] = o.stream;
        j["bytes"] = o.bytes;
        j["algorithm"] = collective_algo_name(o.algo());
        break;
      }
      case OpType::kAlloc:
      case OpType::kFree:
        j["device"] = o.device;
        j["stream"] = o.stream;
        j["bytes"] = o.bytes;
        j["tier"] = tier_kind_name(o.src_place().tier);
        j["location"] = o.src;
        break;
    }
    if (!preds[i].empty()) j["deps"] = preds[i];
    ops.push_back(std::move(j));
  }
  return {{"ops", std::move(ops)}};
}

namespace {

// The keys an op of each type may carry (with id, type, label, stream, deps).
const std::vector<std::string>& op_keys(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> keys = [] {
    std::map<std::string, std::vector<std::string>> k = {
        {"compute", {"device", "kind", "dtype", "gemm", "gemm_backward", "weights", "flops", "bytes"}},
        {"transfer", {"device", "src", "dst", "bytes"}},
        {"collective", {"collective", "algorithm", "group", "bytes"}},
        {"alloc", {"device", "tier", "location", "bytes"}},
        {"free", {"device", "tier", "location", "bytes"}}};
    for (auto& [t, v] : k) v.insert(v.end(), {"id", "type", "label", "stream", "deps"});
    return k;
  }();
  return keys.at(type);
}

}  // namespace

TaskGraph task_graph_from_json(const JsonReader& root) {
  root.only_keys({"ops"});
  JsonReader ops = root.at("ops");
  ops.require_array();
  TaskGraph g;
  size_t n = ops.size();
  g.reserve(n, n);
  for (size_t i = 0; i < n; ++i) {
    JsonReader r = ops.at(i);
    r.require_object();
    if (r.has("id") && r.integer("id") != int64_t(i)) r.fail_field("id", "the op's index " + std::to_string(i));
    std::string type = r.choice("type", {"compute", "transfer", "collective", "alloc", "free"});
    r.only_keys(op_keys(type));
    int label = r.has("label") ? g.intern_label(r.str("label")) : -1;
    int stream = r.int_field_or("stream", 0, 0, kMaxStream);
    auto device = [&] { return r.int_field("device", 0); };
    int id = 0;
    if (type == "compute") {
      ComputeKind kind;
      parse_compute_kind(r.choice_or("kind", {"gemm", "attention", "elementwise", "reduction", "embedding", "other"}, "other"), &kind);
      DType dt = DType::kBf16;
      std::string dts = r.str_or("dtype", "bf16");
      if (!parse_dtype(dts.c_str(), &dt)) r.fail_field("dtype", std::string("one of ") + dtype_names());
      if (r.has("gemm")) {
        JsonReader s = r.at("gemm");
        if (!s.json().is_array() || s.size() != 3) r.fail_field("gemm", "[M, N, K]");
        int64_t mnk[3];
        for (size_t k = 0; k < 3; ++k) mnk[k] = s.at(k).as_integer(1, kMaxGemmDim);
        bool backward = r.boolean_or("gemm_backward", false);
        if (backward && r.has("weights"))
          r.fail_field("gemm_backward", "absent or false: a weight-quantized GEMM has no backward here");
        if (r.has("weights")) {
          std::string w = r.str("weights");
          if (w.empty()) r.fail_field("weights", "a weight format name such as rtn-b4-g128");
          // Defaults as add_gemm's (the JSON's flops/bytes override them).
          GemmWork work = gemm_work(mnk[0], mnk[1], mnk[2], dt, false);
          id = g.add_quantized_gemm(device(), stream, mnk[0], mnk[1], mnk[2], w, work.flops, work.bytes, dt, label);
        } else {
          id = g.add_gemm(device(), stream, mnk[0], mnk[1], mnk[2], dt, label, backward);
        }
        Op& o = g.mutable_op(id);  // explicit flops/bytes override the shape's
        o.flops = r.number_or("flops", o.flops, 0);
        o.bytes = r.number_or("bytes", o.bytes, 0);
        o.sub = static_cast<uint8_t>(kind);
      } else {
        if (r.has("weights")) r.fail_field("weights", "absent: a weight format needs a \"gemm\" shape");
        if (r.has("gemm_backward")) r.fail_field("gemm_backward", "absent: it needs a \"gemm\" shape");
        id = g.add_compute(device(), stream, kind, r.number_or("flops", 0, 0), r.number_or("bytes", 0, 0), dt, label);
      }
    } else if (type == "transfer") {
      id = g.add_transfer(device(), stream, place_from(r.at("src")), place_from(r.at("dst")), r.non_negative("bytes"),
                          label);
    } else if (type == "collective") {
      CollectiveKind kind;
      parse_collective_kind(r.choice("collective", {"all_reduce", "all_gather", "reduce_scatter", "all_to_all",
                                                    "broadcast", "send_recv"}),
                            &kind);
      CollectiveAlgo algo;
      parse_collective_algo(r.choice_or("algorithm", {"auto", "ring", "tree", "hierarchical"}, "auto"), &algo);
      JsonReader gr = r.at("group");
      gr.require_array();
      std::vector<int> ranks;
      for (size_t k = 0; k < gr.size(); ++k) {
        ranks.push_back(static_cast<int>(gr.at(k).as_integer(INT_MIN, INT_MAX)));
      }
      if (ranks.empty()) r.fail_field("group", "a non-empty array of device ids");
      id = g.add_collective(kind, g.add_group(ranks), stream, r.non_negative("bytes"), algo, label);
    } else {
      Place p;
      std::string t = r.choice("tier", {"device", "pinned", "pageable", "ssd"});
      parse_tier_kind(t, &p.tier);
      p.location = r.int_field("location", 0);
      id = type == "alloc" ? g.add_alloc(device(), stream, p, r.non_negative("bytes"), label)
                           : g.add_free(device(), stream, p, r.non_negative("bytes"), label);
    }
    if (r.has("deps")) {
      JsonReader d = r.at("deps");
      d.require_array();
      for (size_t k = 0; k < d.size(); ++k) {
        int64_t dep = d.at(k).as_integer();
        if (dep < 0 || dep >= int64_t(n))
          d.at(k).fail("op " + std::to_string(i) + " depends on op " + std::to_string(dep) + ", which does not exist (" +
                       std::to_string(n) + " ops)");
        g.add_dep(static_cast<int>(dep), id);
      }
    }
  }
  return g;
}

}  // namespace paralab
