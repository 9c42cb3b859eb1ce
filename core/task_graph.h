// TaskGraph: the one IR every plan lowers to and every backend executes.
//
// A TaskGraph is a DAG of typed ops. Each op is bound to a device and a
// stream (a queue on that device): ops on one (device, stream) run in the
// order of their ids; ops on different streams run concurrently, subject to
// their dependencies. Op types:
//   compute    FLOPs, bytes read+written, a kind (gemm, attention, ...), a
//              dtype and, for GEMMs, the shape M x N x K. A weight-only
//              quantized GEMM (M activation rows times a stored N x K weight
//              matrix) also names the weight's storage format, e.g.
//              "rtn-b4-g128" (kernels/quant_format.h; core keeps the name
//              only); its dtype stays the activations' compute dtype.
//   transfer   bytes copied from one memory tier to another. A location is a
//              device id for TierKind::kDevice and a node index for the host
//              tiers (pinned, pageable) and the SSD. Runs on the stream of
//              the device that issues it (its copy engine).
//   collective all-reduce, all-gather, reduce-scatter, all-to-all, broadcast
//              or send/recv over a group of device ranks; `bytes` is the
//              per-rank buffer S of the nccl-tests conventions (for
//              all-gather / reduce-scatter the whole array, count x n; for
//              send/recv the message; the group of send/recv is {src, dst};
//              for broadcast the root is the group's first rank). ONE op stands
//              for the call on every rank of its group: it occupies `stream`
//              on each member device, so each member's stream order includes it.
//   alloc/free bytes on a tier at a location (same location rules as transfer).
//
// Storage is compact for graphs of ~10M ops: ops are 40-byte PODs in one
// vector; dependencies are an edge list turned into CSR by finalize();
// labels (names for traces and messages, e.g. "L12 fwd mb3") are interned
// strings shared by many ops; GEMM shapes and groups live in side tables.
//
// Invariants:
//  1. Op ids are 0..size()-1 in insertion order; group, label and shape ids
//     likewise index their tables.
//  2. After finalize() (called by validate() and by consumers), successors()
//     and num_preds() reflect every add_dep() exactly once per call.
//  3. validate() accepts a graph only if every id is in range, every device
//     exists in the cluster, and dependencies together with stream order form
//     no cycle; each rejection names the op (id and label).
// Thread-safety: a TaskGraph is a value; const methods are safe to call from
// several threads once finalize() has run.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/json_reader.h"
#include "core/units.h"

namespace paralab {

enum class OpType : uint8_t { kCompute, kTransfer, kCollective, kAlloc, kFree };
enum class ComputeKind : uint8_t { kGemm, kAttention, kElementwise, kReduction, kEmbedding, kOther };
enum class CollectiveKind : uint8_t { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kBroadcast, kSendRecv };
// kAuto lets the backend choose (the simulator: hierarchical when the group
// spans several nodes with several ranks per node, else ring).
enum class CollectiveAlgo : uint8_t { kAuto, kRing, kTree, kHierarchical };

const char* op_type_name(OpType t);
const char* compute_kind_name(ComputeKind k);
const char* collective_kind_name(CollectiveKind k);
const char* collective_algo_name(CollectiveAlgo a);
bool parse_compute_kind(std::string_view s, ComputeKind* out);
bool parse_collective_kind(std::string_view s, CollectiveKind* out);
bool parse_collective_algo(std::string_view s, CollectiveAlgo* out);

// Location of bytes: a tier and a device id (kDevice) or node index (others).
struct Place {
  TierKind tier = TierKind::kDevice;
  int32_t location = 0;
};

// A GEMM C (m x n) = A (m x k) B (k x n). `backward`: the op is the
// backward of that forward GEMM, run as the two GEMMs a framework issues,
// the data gradient dA (m x k) = dC (m x n) B^T (n x k), shape (m, k, n),
// and the weight gradient dB (k x n) = A^T (k x m) dC (m x n), shape
// (k, n, m): twice the forward's FLOPs and bytes.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  int32_t weights = -1;  // weight storage format id (TaskGraph::weight_format), -1 = the op's dtype
  bool backward = false;
};

// The GEMM kernels an op of this shape runs, as forward shapes: itself, or
// for a backward its data gradient (m, k, n) and weight gradient (k, n, m).
// Both executors issue these, and the cost model prices these.
struct GemmKernels {
  GemmShape shapes[2];
  int count = 1;
  const GemmShape* begin() const { return shapes; }
  const GemmShape* end() const { return shapes + count; }
};
inline GemmKernels gemm_kernels(const GemmShape& s) {
  if (!s.backward) return {{s, {}}, 1};
  return {{{s.m, s.k, s.n, s.weights, false}, {s.k, s.n, s.m, s.weights, false}}, 2};
}

// One op. Field use by type (unused fields keep their defaults):
//   all:        device (collective: the group's first rank), stream, label
//   compute:    flops, bytes, sub = ComputeKind, extra = DType, shape (-1 = none)
//   transfer:   bytes, src_tier/src, dst_tier/dst
//   collective: bytes, sub = CollectiveKind, extra = CollectiveAlgo, group
//   alloc/free: bytes, src_tier/src = the place
struct Op {
  double flops = 0;
  double bytes = 0;
  int32_t device = 0;
  int32_t label = -1;
  int32_t src = 0;    // transfer source / alloc place location / collective: group id
  int32_t dst = 0;    // transfer destination location / compute: GEMM shape id (-1 none)
  uint16_t stream = 0;
  OpType type = OpType::kCompute;
  uint8_t sub = 0;    // ComputeKind or CollectiveKind
  uint8_t extra = 0;  // DType or CollectiveAlgo
  uint8_t src_tier = 0, dst_tier = 0;  // TierKind

  ComputeKind compute_kind() const { return static_cast<ComputeKind>(sub); }
  CollectiveKind collective_kind() const { return static_cast<CollectiveKind>(sub); }
  DType dtype() const { return static_cast<DType>(extra); }
  CollectiveAlgo algo() const { return static_cast<CollectiveAlgo>(extra); }
  int group() const { return src; }
  int shape() const { return dst; }
  Place src_place() const { return {static_cast<TierKind>(src_tier), src}; }
  Place dst_place() const { return {static_cast<TierKind>(dst_tier), dst}; }
};

class TaskGraph {
 public:
  // ---- builders (each returns the new id) ----
  int add_compute(int device, int stream, ComputeKind kind, double flops, double bytes,
                  DType dtype = DType::kBf16, int label = -1);
  // backward: the data and weight gradients of the forward (m, n, k), see
  // GemmShape (FLOPs and bytes doubled).
  int add_gemm(int device, int stream, int64_t m, int64_t n, int64_t k, DType dtype, int label = -1,
               bool backward = false);
  // A weight-only quantized GEMM (see compute above) with the given FLOPs
  // and bytes. REQUIRES: weights non-empty.
  int add_quantized_gemm(int device, int stream, int64_t m, int64_t n, int64_t k, std::string_view weights,
                         double flops, double bytes, DType dtype, int label = -1);
  int add_transfer(int device, int stream, Place src, Place dst, double bytes, int label = -1);
  // REQUIRES: group from add_group(). For kSendRecv the group is {src, dst}.
  int add_collective(CollectiveKind kind, int group, int stream, double bytes,
                     CollectiveAlgo algo = CollectiveAlgo::kAuto, int label = -1);
  int add_alloc(int device, int stream, Place where, double bytes, int label = -1);
  int add_free(int device, int stream, Place where, double bytes, int label = -1);
  // `after` runs only once `before` has finished.
  void add_dep(int before, int after);
  // Interned: the same ranks (same order) give the same group id.
  int add_group(std::span<const int> ranks);
  int add_group(std::initializer_list<int> ranks) { return add_group(std::span<const int>(ranks.begin(), ranks.size())); }
  // Interned: the same text gives the same label id.
  int intern_label(std::string_view text);
  void set_label(int op, int label) { ops_.at(op).label = label; }
  void reserve(size_t ops, size_t deps);

  // ---- access ----
  size_t size() const { return ops_.size(); }
  const Op& op(int id) const { return ops_[id]; }
  Op& mutable_op(int id) { return ops_.at(id); }  // for loaders and what-if edits
  const std::vector<Op>& ops() const { return ops_; }
  std::span<const int> group(int id) const;
  size_t num_groups() const { return group_offsets_.size() - 1; }
  const std::string& label(int id) const { return labels_[id]; }
  size_t num_labels() const { return labels_.size(); }
  const GemmShape* gemm_shape(const Op& o) const;  // nullptr if none
  // The weight storage format of a quantized GEMM; nullptr for other ops.
  const std::string* weight_format(const Op& o) const;
  size_t num_deps() const { return edges_.size(); }
  // "op 5 (L3 fwd mb2)" or "op 5" for messages.
  std::string describe(int op) const;
  // Devices an op occupies: its device, or every rank of a collective's group.
  std::span<const int> devices_of(int op) const;

  // Builds the CSR adjacency (idempotent; add_dep after it re-dirties it).
  void finalize() const;
  std::span<const int> successors(int op) const;  // REQUIRES: finalize()
  int num_preds(int op) const;                     // REQUIRES: finalize()
  std::span<const std::pair<int, int>> deps() const { return edges_; }

  // InputError naming the op (and `origin`, e.g. the file) on any violation.
  void validate(const Cluster& c, const std::string& origin = "task graph") const;

  Json to_json() const;

 private:
  int push(const Op& o);

  std::vector<Op> ops_;
  std::vector<std::pair<int, int>> edges_;  // (before, after)
  std::vector<int> group_ranks_;
  std::vector<int> group_offsets_{0};
  std::unordered_map<std::string, int> group_index_;
  std::vector<std::string> labels_;
  std::unordered_map<std::string, int> label_index_;
  std::vector<GemmShape> shapes_;
  std::vector<std::string> weight_formats_;  // interned; few per graph
  // CSR, built lazily.
  mutable bool csr_ready_ = false;
  mutable std::vector<int> succ_offsets_, succ_, npreds_;
};

// Parses the JSON form written by to_json(); messages name `file` and the
// JSON path. Ids are checked against the cluster only by validate().
TaskGraph task_graph_from_json(const JsonReader& j);

}  // namespace paralab
