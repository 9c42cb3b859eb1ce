// CUDA kernels for quantized weights (see qmatmul_cuda.h for the contract,
// packing.h for the layout, qmatmul_cpu.h for the references).
//
// Work decomposition: a "chunk" is 32 consecutive codes of one row; it lies in
// one group (group % 32 == 0) and occupies exactly BITS 32-bit words, so a
// thread fetches it with one 128-bit load (BITS = 4), two (8), one 64-bit
// load (2) or three 32-bit loads (3). Consecutive lanes take consecutive
// chunks, so a warp reads 32 * 4 * BITS contiguous bytes per step.
//   qgemv_kernel  one warp owns kRowsPerWarp rows; each lane walks the row's
//                 chunks with stride 32, dequantizes them into registers,
//                 multiplies with the activations (fp32, read through the
//                 read-only cache, reused across the warp's rows) and the
//                 warp reduces with shuffles. Batch tiles BT = 1, 8, 32.
//   dequantize_kernel one thread per chunk, writes 32 floats (8 x float4).
//   qgemm = dequantize into a workspace + cublasSgemm (fp32).
// Levels: rtn s * (q - z) in registers; lcq builds the group's 2^BITS-entry
// table in the lane's own shared-memory slot (only that lane touches it, so
// no barrier is needed) and gathers from it.
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include "kernels/cuda_check.h"
#include "kernels/qmatmul_cuda.h"

namespace paralab::kernels {

namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kRowsPerWarp = 2;
constexpr int kDequantThreads = 256;

__device__ __forceinline__ float h2f(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }

// The BITS words of one chunk.
template <int BITS>
__device__ __forceinline__ void load_chunk(const uint32_t* __restrict__ p, uint32_t (&w)[BITS]) {
  if constexpr (BITS == 4) {
    uint4 v = __ldg(reinterpret_cast<const uint4*>(p));
    w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
  } else if constexpr (BITS == 8) {
    uint4 a = __ldg(reinterpret_cast<const uint4*>(p)), b = __ldg(reinterpret_cast<const uint4*>(p) + 1);
    w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w, w[4] = b.x, w[5] = b.y, w[6] = b.z, w[7] = b.w;
  } else if constexpr (BITS == 2) {
    uint2 v = __ldg(reinterpret_cast<const uint2*>(p));
    w[0] = v.x, w[1] = v.y;
  } else {
#pragma unroll
    for (int i = 0; i < BITS; ++i) w[i] = __ldg(p + i);
  }
}

// Code i (0..31) of a chunk; all shifts are compile-time after unrolling.
template <int BITS>
__device__ __forceinline__ uint32_t chunk_code(const uint32_t (&w)[BITS], int i) {
  const int p = i * BITS, wi = p >> 5, off = p & 31;
  uint32_t v = w[wi] >> off;
  if (off + BITS > 32) v |= w[wi + 1] << (32 - off);
  return v & ((1u << BITS) - 1u);
}

// Fills the lane's table with group g's levels (LCQ), as group_levels does.
template <int BITS>
__device__ __forceinline__ void build_lut(const QuantizedMatrixView& q, const float* basis_s, int64_t g,
                                          float* lut) {
  constexpr int L = 1 << BITS;
  float acc[L];
#pragma unroll
  for (int u = 0; u < L; ++u) acc[u] = 0.0f;
  const int64_t blocks = (q.rows * (q.cols / q.group) + 63) / 64;
  for (int r = 0; r < q.rank; ++r) {
    float c = q.double_quant ? float(q.coef_int8[g * q.rank + r]) * h2f(q.dq_scale[r * blocks + g / 64])
                             : h2f(q.coef[g * q.rank + r]);
#pragma unroll
    for (int u = 0; u < L; ++u) acc[u] += c * basis_s[r * L + u];
  }
  const float beta = h2f(q.offset[g]);
#pragma unroll
  for (int u = 0; u < L; ++u) lut[u] = acc[u] - beta;
}

// Pointer to the BITS words of chunk `c` of `row`.
template <int BITS>
__device__ __forceinline__ const uint32_t* chunk_ptr(const QuantizedMatrixView& q, int64_t row, int64_t c) {
  return q.codes + row * (q.cols * BITS / 32) + c * BITS;
}

// Turns the words of one chunk of group `g` (row * cols / group + chunk *
// 32 / group: the caller's, so a loop divides once, not per row) into 32
// fp32 weights.
template <int BITS, bool LCQ>
__device__ __forceinline__ void decode_chunk(const QuantizedMatrixView& q, const float* basis_s, float* lut, int64_t g,
                                             const uint32_t (&w)[BITS], float (&wv)[32]) {
  if constexpr (!LCQ) {
    // float(code) - z without the int->float conversion unit (16/clk/SM, the
    // bottleneck at HBM rate): 0x4B000000 | code is the float 2^23 + code, and
    // (2^23 + code) - (2^23 + z) == code - z exactly (integers below 2^24).
    const float s = h2f(q.scale[g]), z_biased = 8388608.0f + h2f(q.zero[g]);
#pragma unroll
    for (int i = 0; i < 32; ++i) wv[i] = s * (__uint_as_float(0x4B000000u | chunk_code<BITS>(w, i)) - z_biased);
  } else {
    build_lut<BITS>(q, basis_s, g, lut);
#pragma unroll
    for (int i = 0; i < 32; ++i) wv[i] = lut[chunk_code<BITS>(w, i)];
  }
}

// Loads the LCQ basis V ([rank][L] fp16) into shared memory; all threads call it.
template <int BITS, bool LCQ>
__device__ __forceinline__ void load_basis(const QuantizedMatrixView& q, float* basis_s) {
  if constexpr (LCQ) {
    for (int i = threadIdx.x; i < q.rank * (1 << BITS); i += blockDim.x) basis_s[i] = h2f(q.basis[i]);
  }
  __syncthreads();
}

// x: [batch][cols], y: [batch][rows]; grid.x = ceil(rows / rows per block).
template <int BITS, bool LCQ, int BT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    qgemv_kernel(QuantizedMatrixView q, const float* __restrict__ x, int batch, float* __restrict__ y) {
  constexpr int L = 1 << BITS;
  __shared__ float basis_s[4 * 16];
  __shared__ float lut_s[LCQ ? kWarpsPerBlock * 32 * (L + 1) : 1];
  load_basis<BITS, LCQ>(q, basis_s);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t row0 = (int64_t(blockIdx.x) * kWarpsPerBlock + warp) * kRowsPerWarp;
  if (row0 >= q.rows) return;  // warp-uniform; no barrier follows
  float* lut = lut_s + (LCQ ? threadIdx.x * (L + 1) : 0);
  float acc[kRowsPerWarp][BT];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r)
#pragma unroll
    for (int b = 0; b < BT; ++b) acc[r][b] = 0.0f;
  const int64_t chunks = q.cols / 32;
  // Groups per row, and chunks per group (group % 32 == 0): 32-bit, outside
  // the loop, so the loop does one 32-bit division per chunk, not two 64-bit
  // ones per row (the decode, not HBM, would otherwise bound the GEMV).
  const int groups_per_row = int(q.cols / q.group), chunks_per_group = q.group / 32;
  for (int64_t c = lane; c < chunks; c += 32) {
    const int group_in_row = int(c) / chunks_per_group;
    // Issue every row's 128-bit load before decoding any, to keep more bytes in flight.
    uint32_t wd[kRowsPerWarp][BITS];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r)
      if (row0 + r < q.rows) load_chunk<BITS>(chunk_ptr<BITS>(q, row0 + r, c), wd[r]);
    float wv[kRowsPerWarp][32];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      if (row0 + r < q.rows) {
        decode_chunk<BITS, LCQ>(q, basis_s, lut, (row0 + r) * groups_per_row + group_in_row, wd[r], wv[r]);
      } else {
#pragma unroll
        for (int i = 0; i < 32; ++i) wv[r][i] = 0.0f;
      }
    }
#pragma unroll
    for (int b = 0; b < BT; ++b) {
      if (b >= batch) break;
      const float4* xp = reinterpret_cast<const float4*>(x + int64_t(b) * q.cols + c * 32);
#pragma unroll
      for (int v = 0; v < 8; ++v) {
        const float4 xv = __ldg(xp + v);
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r)
          acc[r][b] += wv[r][4 * v] * xv.x + wv[r][4 * v + 1] * xv.y + wv[r][4 * v + 2] * xv.z +
                       wv[r][4 * v + 3] * xv.w;
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r)
#pragma unroll
    for (int b = 0; b < BT; ++b) {
      if (b >= batch) break;
      float s = acc[r][b];
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
      if (lane == 0 && row0 + r < q.rows) y[int64_t(b) * q.rows + row0 + r] = s;
    }
}

// out: [rows][cols]; one thread per chunk.
template <int BITS, bool LCQ>
__global__ void __launch_bounds__(kDequantThreads) dequantize_kernel(QuantizedMatrixView q, float* __restrict__ out) {
  constexpr int L = 1 << BITS;
  __shared__ float basis_s[4 * 16];
  __shared__ float lut_s[LCQ ? kDequantThreads * (L + 1) : 1];
  load_basis<BITS, LCQ>(q, basis_s);
  const int64_t chunks = q.cols / 32;
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= q.rows * chunks) return;
  const int64_t row = t / chunks, c = t % chunks;
  uint32_t wd[BITS];
  load_chunk<BITS>(chunk_ptr<BITS>(q, row, c), wd);
  float wv[32];
  decode_chunk<BITS, LCQ>(q, basis_s, lut_s + (LCQ ? threadIdx.x * (L + 1) : 0),
                          row * (q.cols / q.group) + (c * 32) / q.group, wd, wv);
  float4* o = reinterpret_cast<float4*>(out + row * q.cols + c * 32);
#pragma unroll
  for (int v = 0; v < 8; ++v) o[v] = make_float4(wv[4 * v], wv[4 * v + 1], wv[4 * v + 2], wv[4 * v + 3]);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("quantized kernel launch: " + what);
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

void check_view(const QuantizedMatrixView& q) {
  require(q.rows > 0 && q.cols > 0, "rows and cols must be positive");
  require(q.group > 0 && q.group % 32 == 0, "group " + std::to_string(q.group) + " is not a positive multiple of 32");
  require(q.cols / 32 < (int64_t(1) << 31), "cols " + std::to_string(q.cols) + ": over 2^31 chunks of 32 per row");
  require(q.cols % q.group == 0,
          "group " + std::to_string(q.group) + " does not divide cols " + std::to_string(q.cols));
  require(q.bits == 2 || q.bits == 3 || q.bits == 4 || q.bits == 8, "bits must be 2, 3, 4 or 8");
  require(!q.lcq || (q.bits <= 4 && q.rank >= 1 && q.rank <= 4), "lcq needs bits <= 4 and rank 1..4");
  require(q.codes && aligned16(q.codes), "codes must be a 16-byte aligned device pointer");
  require(q.lcq ? (q.offset && q.basis && (q.double_quant ? q.coef_int8 && q.dq_scale : q.coef != nullptr))
                : (q.scale && q.zero),
          "missing group parameters for the format");
}

// Calls f.template operator()<BITS, LCQ>() for the view's format.
template <typename F>
void dispatch(const QuantizedMatrixView& q, F&& f) {
  if (q.lcq) {
    if (q.bits == 2) return f.template operator()<2, true>();
    if (q.bits == 3) return f.template operator()<3, true>();
    return f.template operator()<4, true>();
  }
  if (q.bits == 2) return f.template operator()<2, false>();
  if (q.bits == 3) return f.template operator()<3, false>();
  if (q.bits == 4) return f.template operator()<4, false>();
  return f.template operator()<8, false>();
}

// One cuBLAS handle per (thread, device): a handle is bound to the device
// current when it was created, and one thread may drive several GPUs (the
// cuda executor does), so a handle is looked up by the current device.
cublasHandle_t device_cublas() {
  thread_local struct Holder {
    std::map<int, cublasHandle_t> h;
    ~Holder() {
      for (auto& [dev, handle] : h) {
        cudaSetDevice(dev);
        cublasDestroy(handle);
      }
    }
  } holder;
  int dev = 0;
  KCUDA_CHECK(cudaGetDevice(&dev));
  auto it = holder.h.find(dev);
  if (it == holder.h.end()) {
    cublasHandle_t handle = nullptr;
    KCUBLAS_CHECK(cublasCreate(&handle));
    it = holder.h.emplace(dev, handle).first;
  }
  return it->second;
}

}  // namespace

void dequantize_cuda(const QuantizedMatrixView& q, float* out, void* stream) {
  check_view(q);
  require(out && aligned16(out), "out must be a 16-byte aligned device pointer");
  const int64_t threads = q.rows * (q.cols / 32);
  const unsigned grid = static_cast<unsigned>((threads + kDequantThreads - 1) / kDequantThreads);
  auto s = static_cast<cudaStream_t>(stream);
  dispatch(q, [&]<int BITS, bool LCQ>() { dequantize_kernel<BITS, LCQ><<<grid, kDequantThreads, 0, s>>>(q, out); });
  KCUDA_CHECK(cudaGetLastError());
}

void qgemv_cuda(const QuantizedMatrixView& q, const float* x, int batch, float* y, void* stream) {
  check_view(q);
  require(batch >= 1 && batch <= 32, "batch " + std::to_string(batch) + " outside 1..32");
  require(x && aligned16(x), "x must be a 16-byte aligned device pointer");
  require(y != nullptr, "y must be a device pointer");
  const int64_t rows_per_block = kWarpsPerBlock * kRowsPerWarp;
  const unsigned grid = static_cast<unsigned>((q.rows + rows_per_block - 1) / rows_per_block);
  auto s = static_cast<cudaStream_t>(stream);
  dispatch(q, [&]<int BITS, bool LCQ>() {
    if (batch == 1)
      qgemv_kernel<BITS, LCQ, 1><<<grid, kWarpsPerBlock * 32, 0, s>>>(q, x, batch, y);
    else if (batch <= 8)
      qgemv_kernel<BITS, LCQ, 8><<<grid, kWarpsPerBlock * 32, 0, s>>>(q, x, batch, y);
    else
      qgemv_kernel<BITS, LCQ, 32><<<grid, kWarpsPerBlock * 32, 0, s>>>(q, x, batch, y);
  });
  KCUDA_CHECK(cudaGetLastError());
}

void qgemm_cuda(const QuantizedMatrixView& q, const float* x, int64_t tokens, float* y, float* workspace,
                void* stream) {
  require(tokens >= 1, "tokens must be positive");
  require(x && y, "x and y must be device pointers");
  constexpr int64_t kMax = std::numeric_limits<int>::max();  // cuBLAS takes int sizes
  require(q.rows <= kMax && q.cols <= kMax && tokens <= kMax, "rows, cols and tokens must each fit an int for cuBLAS");
  dequantize_cuda(q, workspace, stream);
  cublasHandle_t h = device_cublas();
  KCUBLAS_CHECK(cublasSetStream(h, static_cast<cudaStream_t>(stream)));
  const float one = 1.0f, zero = 0.0f;
  // Column-major view: Y^T [rows x tokens] = W [rows x K] (stored as W^T, K x rows) * X^T [K x tokens].
  KCUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(q.rows), static_cast<int>(tokens),
                            static_cast<int>(q.cols), &one, workspace, static_cast<int>(q.cols), x,
                            static_cast<int>(q.cols), &zero, y, static_cast<int>(q.rows)));
}

}  // namespace paralab::kernels
