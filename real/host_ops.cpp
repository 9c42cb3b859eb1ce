#include "real/host_ops.h"

#include <cblas.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "kernels/blas.h"
#include "real/check.h"

extern "C" void openblas_set_num_threads(int);

namespace paralab::real {

namespace {
size_t round_up(size_t b) { return (b + kPageBytes - 1) / kPageBytes * kPageBytes; }
}  // namespace

HostBuffer::HostBuffer(size_t bytes, bool pin) {
  bytes_ = round_up(bytes == 0 ? 1 : bytes);
  void* p = nullptr;
  if (posix_memalign(&p, kPageBytes, bytes_) != 0) throw RealError("host buffer of " + std::to_string(bytes_) + " bytes: out of memory");
  data_ = static_cast<char*>(p);
  std::memset(data_, 0, bytes_);  // invariant 1
  if (pin) pinned_ = ::mlock(data_, bytes_) == 0;
}

HostBuffer::~HostBuffer() {
  if (data_) {
    if (pinned_) ::munlock(data_, bytes_);
    std::free(data_);
  }
}

HostBuffer::HostBuffer(HostBuffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_), pinned_(o.pinned_) {
  o.data_ = nullptr;
  o.bytes_ = 0;
  o.pinned_ = false;
}

HostBuffer& HostBuffer::operator=(HostBuffer&& o) noexcept {
  if (this != &o) {
    this->~HostBuffer();
    new (this) HostBuffer(std::move(o));
  }
  return *this;
}

void set_blas_single_thread() { openblas_set_num_threads(1); }

void host_sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  kernels::sgemm_row_major(CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
}

void host_sgemm_cpu_reference(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += double(a[i * k + p]) * double(b[p * n + j]);
      c[i * n + j] = static_cast<float>(s);
    }
}

void memory_sweep(float* dst, const float* src, size_t floats) {
  for (size_t i = 0; i < floats; ++i) dst[i] = src[i] * 1.000001f;
}

ScratchFile::ScratchFile(const std::string& path, size_t bytes, bool keep) : path_(path), keep_(keep) {
  bytes_ = round_up(bytes);
  int wfd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (wfd < 0) throw InputError(path + ": cannot create scratch file: " + std::strerror(errno));
  std::vector<unsigned char> chunk(1 << 20);
  for (size_t off = 0; off < bytes_; off += chunk.size()) {
    size_t n = std::min(chunk.size(), bytes_ - off);
    for (size_t i = 0; i < n; ++i) chunk[i] = scratch_byte(off + i);
    if (::write(wfd, chunk.data(), n) != static_cast<ssize_t>(n)) {
      std::string err = std::strerror(errno);
      ::close(wfd);
      ::unlink(path.c_str());
      throw InputError(path + ": cannot write scratch file: " + err);
    }
  }
  ::fsync(wfd);
  ::close(wfd);
  fd_ = ::open(path.c_str(), O_RDWR | O_DIRECT);
  if (fd_ >= 0) {
    o_direct_ = true;
  } else {
    note_ = std::string("O_DIRECT refused (") + std::strerror(errno) +
            "); buffered reads after posix_fadvise(DONTNEED), buffered writes with fdatasync";
    fd_ = ::open(path.c_str(), O_RDWR);
    if (fd_ < 0) throw InputError(path + ": cannot open scratch file: " + std::strerror(errno));
  }
  drop_cache();
}

ScratchFile::~ScratchFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!keep_) ::unlink(path_.c_str());
}

void ScratchFile::drop_cache() const { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED); }

// The retry loop of read() and write(): `step(done)` moves the next part
// (pread / pwrite at offset + done); errors name the file, the size and the
// offset.
template <typename Step>
void ScratchFile::io(const char* what, size_t offset, size_t bytes, Step step) const {
  size_t done = 0;
  while (done < bytes) {
    ssize_t r = step(done);
    if (r < 0 && errno == EINTR) continue;
    const std::string where = std::to_string(bytes) + " bytes at " + std::to_string(offset);
    if (r < 0 && errno == EINVAL && o_direct_)
      throw RealError(path_ + ": O_DIRECT " + what + " of " + where + " rejected (unaligned offset, size or buffer)");
    if (r <= 0)
      throw RealError(path_ + ": " + what + " of " + where + " failed: " +
                      (r == 0 ? std::string("end of file") : std::strerror(errno)));
    done += static_cast<size_t>(r);
  }
}

void ScratchFile::read(size_t offset, size_t bytes, char* dst) const {
  io("read", offset, bytes, [&](size_t done) {
    return ::pread(fd_, dst + done, bytes - done, static_cast<off_t>(offset + done));
  });
}

void ScratchFile::write(size_t offset, size_t bytes, const char* src) const {
  io("write", offset, bytes, [&](size_t done) {
    return ::pwrite(fd_, src + done, bytes - done, static_cast<off_t>(offset + done));
  });
  if (!o_direct_ && ::fdatasync(fd_) != 0)
    throw RealError(path_ + ": fdatasync after a write failed: " + std::strerror(errno));
}

}  // namespace paralab::real
