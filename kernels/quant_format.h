// QuantFormat: a weight-only quantization format, named on the command line
// and priced in bits per weight and bytes per layer.
//
// Names: "rtn-b<B>-g<G>" (group-wise asymmetric uniform, round to nearest;
// B in {2,3,4,8}, G in {64,128}; rtn-b4-g128 is the usual INT4 g128) and
// "lcq-r<K>-b<B>-g<G>[-dq]" (low-rank codebook, rank K in {1,2,4}, B in
// {2,3,4}; "-dq" = double-quantized codebook coefficients). "-g<G>" may be
// left out (128).
//
// Storage, per weight matrix of rows x cols (groups along cols), all counted:
//   rtn: b-bit codes + per group an fp16 scale and an fp16 zero point
//        -> bpw = b + 32/G  (INT4 g64: 4.5, INT4 g128: 4.25, INT8 g128: 8.25).
//   lcq: b-bit codes + per group K fp16 coefficients (a column of S) and one
//        fp16 offset beta + per matrix the K x 2^B fp16 basis V
//        -> bpw = b + (16K + 16)/G + 16*K*2^B / (rows*cols).
//   lcq -dq: coefficients as int8 with one fp16 scale per block of 64
//        consecutive groups per rank row
//        -> bpw = b + (8K + 16)/G + 16*K*(2^B + ceil(groups/64)) / (rows*cols).
// Invariants: 1. layer_bytes * 8 == bits_per_weight * rows * cols exactly;
// 2. parse_quant_format(f.name()) == f.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace paralab::kernels {

enum class QuantKind { kRtn, kLcq };

constexpr int kDqBlockGroups = 64;  // groups sharing one fp16 scale under -dq

struct QuantFormat {
  QuantKind kind = QuantKind::kRtn;
  int bits = 4;
  int group = 128;
  int rank = 1;  // 1 for rtn
  bool double_quant = false;

  int levels() const { return 1 << bits; }
  std::string name() const;
  bool operator==(const QuantFormat&) const = default;
};

// InputError "unknown quantization format 'x'; valid formats are: ..." when
// the name is not one of quant_format_names() (or one without "-g<G>").
QuantFormat parse_quant_format(const std::string& name);
std::vector<std::string> quant_format_names();

// InputError when the shape cannot hold the format: a non-positive size, or
// "group size G does not divide the row length C" (rows are cols long).
void check_quant_shape(const QuantFormat& f, int64_t rows, int64_t cols);

// Every stored bit of a rows x cols matrix divided by rows * cols.
double bits_per_weight(const QuantFormat& f, int64_t rows, int64_t cols);
// Bytes a rows x cols layer occupies in this format (what a transfer moves).
int64_t layer_bytes(const QuantFormat& f, int64_t rows, int64_t cols);
// Stored bits, the numerator of bits_per_weight.
int64_t layer_bits(const QuantFormat& f, int64_t rows, int64_t cols);

// Copies of a matrix of `matrix_bytes` to rotate through so that together
// they are at least `factor` x a cache of `cache_bytes` (a GPU's L2), and at
// least 2, so consecutive calls never read the same copy: a kernel timed on
// them streams its weights from memory, not from the cache.
int rotation_copies(int64_t cache_bytes, int64_t matrix_bytes, int factor);

}  // namespace paralab::kernels
