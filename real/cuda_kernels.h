// Device kernels of the cuda executor and calibration: a memory sweep (the
// stand-in for a memory-bound op, same access pattern as the host's
// memory_sweep: read 4n bytes, write 4n bytes). CPU reference: memory_sweep in
// real/host_ops.h. Only built with CUDA.
// Thread-safety: launches are stream-ordered.
#pragma once

#include <cstddef>

#include <cuda_runtime.h>

namespace paralab::real {

// dst[i] = src[i] * 1.000001f for i < n (floats). Checks the launch.
void launch_memory_sweep(float* dst, const float* src, size_t n, cudaStream_t stream);

}  // namespace paralab::real
