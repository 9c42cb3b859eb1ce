#include "core/task_graph.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"
#include "core/gemm_work.h"

namespace paralab {

namespace {

constexpr std::array<const char*, 5> kOpTypes = {"compute", "transfer", "collective", "alloc", "free"};
constexpr std::array<const char*, 6> kComputeKinds = {"gemm",      "attention", "elementwise",
                                                      "reduction", "embedding", "other"};
constexpr std::array<const char*, 6> kCollectiveKinds = {"all_reduce", "all_gather", "reduce_scatter",
                                                         "all_to_all", "broadcast",  "send_recv"};
constexpr std::array<const char*, 4> kAlgos = {"auto", "ring", "tree", "hierarchical"};

template <typename E, size_t N>
bool parse_enum(const std::array<const char*, N>& names, std::string_view s, E* out) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  return false;
}

template <size_t N>
std::vector<std::string> names_of(const std::array<const char*, N>& a) {
  return std::vector<std::string>(a.begin(), a.end());
}

}  // namespace

const char* op_type_name(OpType t) { return kOpTypes.at(static_cast<size_t>(t)); }
const char* compute_kind_name(ComputeKind k) { return kComputeKinds.at(static_cast<size_t>(k)); }
const char* collective_kind_name(CollectiveKind k) { return kCollectiveKinds.at(static_cast<size_t>(k)); }
const char* collective_algo_name(CollectiveAlgo a) { return kAlgos.at(static_cast<size_t>(a)); }
bool parse_compute_kind(std::string_view s, ComputeKind* out) { return parse_enum(kComputeKinds, s, out); }
bool parse_collective_kind(std::string_view s, CollectiveKind* out) { return parse_enum(kCollectiveKinds, s, out); }
bool parse_collective_algo(std::string_view s, CollectiveAlgo* out) { return parse_enum(kAlgos, s, out); }

int TaskGraph::push(const Op& o) {
  ops_.push_back(o);
  csr_ready_ = false;
  return static_cast<int>(ops_.size() - 1);
}

int TaskGraph::add_compute(int device, int stream, ComputeKind kind, double flops, double bytes, DType dtype,
                           int label) {
  Op o;
  o.type = OpType::kCompute;
  o.device = device;
  o.stream = static_cast<uint16_t>(stream);
  o.sub = static_cast<uint8_t>(kind);
  o.extra = static_cast<uint8_t>(dtype);
  o.flops = flops;
  o.bytes = bytes;
  o.dst = -1;
  o.label = label;
  return push(o);
}

int TaskGraph::add_gemm(int device, int stream, int64_t m, int64_t n, int64_t k, DType dtype, int label,
                        bool backward) {
  GemmWork w = gemm_work(m, n, k, dtype, backward);
  int id = add_compute(device, stream, ComputeKind::kGemm, w.flops, w.bytes, dtype, label);
  shapes_.push_back({m, n, k, -1, backward});
  ops_[id].dst = static_cast<int32_t>(shapes_.size() - 1);
  return id;
}

int TaskGraph::add_quantized_gemm(int device, int stream, int64_t m, int64_t n, int64_t k, std::string_view weights,
                                  double flops, double bytes, DType dtype, int label) {
  int id = add_compute(device, stream, ComputeKind::kGemm, flops, bytes, dtype, label);
  auto it = std::find(weight_formats_.begin(), weight_formats_.end(), weights);
  if (it == weight_formats_.end()) it = weight_formats_.insert(weight_formats_.end(), std::string(weights));
  shapes_.push_back({m, n, k, static_cast<int32_t>(it - weight_formats_.begin())});
  ops_[id].dst = static_cast<int32_t>(shapes_.size() - 1);
  return id;
}

int TaskGraph::add_transfer(int device, int stream, Place src, Place dst, double bytes, int label) {
  Op o;
  o.type = OpType::kTransfer;
  o.device = device;
  o.stream = static_cast<uint16_t>(stream);
  o.bytes = bytes;
  o.src_tier = static_cast<uint8_t>(src.tier);
  o.src = src.location;
  o.dst_tier = static_cast<uint8_t>(dst.tier);
  o.dst = dst.location;
  o.label = label;
  return push(o);
}

int TaskGraph::add_collective(CollectiveKind kind, int group, int stream, double bytes, CollectiveAlgo algo,
                              int label) {
  Op o;
  o.type = OpType::kCollective;
  o.sub = static_cast<uint8_t>(kind);
  o.extra = static_cast<uint8_t>(algo);
  o.src = group;
  o.device = (group >= 0 && size_t(group) < num_groups() && !this->group(group).empty()) ? this->group(group)[0] : -1;
  o.stream = static_cast<uint16_t>(stream);
  o.bytes = bytes;
  o.label = label;
  return push(o);
}

int TaskGraph::add_alloc(int device, int stream, Place where, double bytes, int label) {
  Op o;
  o.type = OpType::kAlloc;
  o.device = device;
  o.stream = static_cast<uint16_t>(stream);
  o.src_tier = static_cast<uint8_t>(where.tier);
  o.src = where.location;
  o.bytes = bytes;
  o.label = label;
  return push(o);
}

int TaskGraph::add_free(int device, int stream, Place where, double bytes, int label) {
  int id = add_alloc(device, stream, where, bytes, label);
  ops_[id].type = OpType::kFree;
  return id;
}

void TaskGraph::add_dep(int before, int after) {
  edges_.emplace_back(before, after);
  csr_ready_ = false;
}

int TaskGraph::add_group(std::span<const int> ranks) {
  std::string key(reinterpret_cast<const char*>(ranks.data()), ranks.size() * sizeof(int));
  auto it = group_index_.find(key);
  if (it != group_index_.end()) return it->second;
  group_ranks_.insert(group_ranks_.end(), ranks.begin(), ranks.end());
  group_offsets_.push_back(static_cast<int>(group_ranks_.size()));
  int id = static_cast<int>(group_offsets_.size() - 2);
  group_index_.emplace(std::move(key), id);
  return id;
}

int TaskGraph::intern_label(std::string_view text) {
  std::string key(text);
  auto it = label_index_.find(key);
  if (it != label_index_.end()) return it->second;
  labels_.push_back(key);
  int id = static_cast<int>(labels_.size() - 1);
  label_index_.emplace(std::move(key), id);
  return id;
}

void TaskGraph::reserve(size_t ops, size_t deps) {
  ops_.reserve(ops);
  edges_.reserve(deps);
}

std::span<const int> TaskGraph::group(int id) const {
  return std::span<const int>(group_ranks_.data() + group_offsets_[id],
                              size_t(group_offsets_[id + 1] - group_offsets_[id]));
}

const GemmShape* TaskGraph::gemm_shape(const Op& o) const {
  if (o.type != OpType::kCompute || o.dst < 0 || size_t(o.dst) >= shapes_.size()) return nullptr;
  return &shapes_[o.dst];
}

const std::string* TaskGraph::weight_format(const Op& o) const {
  const GemmShape* s = gemm_shape(o);
  return s && s->weights >= 0 ? &weight_formats_[size_t(s->weights)] : nullptr;
}

std::string TaskGraph::describe(int op) const {
  std::string s = "op " + std::to_string(op);
  if (op >= 0 && size_t(op) < ops_.size() && ops_[op].label >= 0 && size_t(ops_[op].label) < labels_.size())
    s += " (" + labels_[ops_[op].label] + ")";
  return s;
}

std::span<const int> TaskGraph::devices_of(int op) const {
  const Op& o = ops_[op];
  if (o.type == OpType::kCollective) return group(o.group());
  return std::span<const int>(&o.device, 1);
}

void TaskGraph::finalize() const {
  if (csr_ready_) return;
  size_t n = ops_.size();
  succ_offsets_.assign(n + 1, 0);
  npreds_.assign(n, 0);
  for (auto [a, b] : edges_) {
    if (a < 0 || b < 0 || size_t(a) >= n || size_t(b) >= n) continue;  // validate() reports these
    succ_offsets_[a + 1]++;
    npreds_[b]++;
  }
  for (size_t i = 0; i < n; ++i) succ_offsets_[i + 1] += succ_offsets_[i];
  succ_.assign(succ_offsets_[n], 0);
  std::vector<int> fill(succ_offsets_.begin(), succ_offsets_.end() - 1);
  for (auto [a, b] : edges_) {
    if (a < 0 || b < 0 || size_t(a) >= n || size_t(b) >= n) continue;
    succ_[fill[a]++] = b;
  }
  csr_ready_ = true;
}

std::span<const int> TaskGraph::successors(int op) const {
  return std::span<const int>(succ_.data() + succ_offsets_[op], size_t(succ_offsets_[op + 1] - succ_offsets_[op]));
}

int TaskGraph::num_preds(int op) const { return npreds_[op]; }

}  // namespace paralab
