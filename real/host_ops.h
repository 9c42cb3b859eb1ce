// Host-side building blocks shared by calibration and the host executor:
// page-aligned buffers (optionally mlock-ed: the host's "pinned" tier),
// single-threaded SGEMM through OpenBLAS, a memory sweep (the stand-in for a
// memory-bound op), and a scratch file read with O_DIRECT.
//
// Invariants:
//  1. Buffers are 4096-byte aligned and touched at allocation, so first-touch
//     page faults never land in a timed region.
//  2. host_sgemm uses exactly 2*m*n*k FLOPs; OpenBLAS is pinned to one thread
//     (set_blas_single_thread) so a worker is one core.
//  3. ScratchFile reads are O_DIRECT when the file system allows; otherwise
//     buffered reads after dropping the file's pages (posix_fadvise), and
//     o_direct() is false with the reason in note().
// Thread-safety: buffers and sgemm are reentrant; a ScratchFile may be read
// from several threads at once (pread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace paralab::real {

constexpr size_t kPageBytes = 4096;

class HostBuffer {
 public:
  HostBuffer() = default;
  // Allocates `bytes` (rounded up to a page), touches every page, mlock-s it
  // when `pin` (if mlock fails the buffer stays pageable and pinned() is false).
  HostBuffer(size_t bytes, bool pin);
  ~HostBuffer();
  HostBuffer(HostBuffer&& o) noexcept;
  HostBuffer& operator=(HostBuffer&& o) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  char* data() const { return data_; }
  float* floats() const { return reinterpret_cast<float*>(data_); }
  size_t bytes() const { return bytes_; }
  bool pinned() const { return pinned_; }

 private:
  char* data_ = nullptr;
  size_t bytes_ = 0;
  bool pinned_ = false;
};

// Sets OpenBLAS to one thread for the whole process (idempotent).
void set_blas_single_thread();

// C[m x n] = A[m x k] * B[k x n], row-major fp32. 2*m*n*k FLOPs.
void host_sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
// Plain triple-loop reference for tests (same shapes).
void host_sgemm_cpu_reference(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);

// dst[i] = src[i] * 1.000001f for i < floats: reads 4*floats bytes, writes
// 4*floats bytes (8*floats bytes touched).
void memory_sweep(float* dst, const float* src, size_t floats);

class ScratchFile {
 public:
  // Creates `path` of `bytes` (rounded up to a page) filled with a known
  // pattern (byte i of page p = (p + i) & 0xff), fsync-ed, and opens it for
  // reading and writing. InputError if the file cannot be created.
  ScratchFile(const std::string& path, size_t bytes, bool keep = false);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Reads `bytes` at `offset` into `dst`. REQUIRES: offset, bytes and dst
  // page-aligned when o_direct(); offset + bytes <= size(). Throws RealError
  // on a short or failed read.
  void read(size_t offset, size_t bytes, char* dst) const;
  // Writes `bytes` from `src` at `offset`, to the device: O_DIRECT, or
  // buffered followed by fdatasync. Same alignment rule as read(); throws
  // RealError on a short or failed write. The pattern no longer holds there.
  void write(size_t offset, size_t bytes, const char* src) const;
  // Drops the file's pages from the page cache (for buffered fallback).
  void drop_cache() const;
  bool o_direct() const { return o_direct_; }
  const std::string& note() const { return note_; }
  size_t size() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  template <typename Step>
  void io(const char* what, size_t offset, size_t bytes, Step step) const;
  std::string path_;
  size_t bytes_ = 0;
  int fd_ = -1;
  bool o_direct_ = false;
  bool keep_ = false;
  std::string note_;
};

// Expected byte at file offset `off` of a ScratchFile (invariant pattern).
inline unsigned char scratch_byte(size_t off) {
  return static_cast<unsigned char>(((off / kPageBytes) + (off % kPageBytes)) & 0xff);
}

}  // namespace paralab::real
