// Peak resident memory for benchmarks: of this process (reset between
// cases where the kernel allows) and of a child process.
#pragma once

#include <malloc.h>
#include <sys/resource.h>

#include <fstream>
#include <string>

namespace paralab::bench {

// Resets the kernel's peak-RSS mark (Linux >= 4.0); false if not allowed.
inline bool reset_peak_rss() {
  malloc_trim(0);
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return bool(f);
}

// VmHWM from /proc/self/status, else getrusage's process-wide maximum.
inline double peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) * 1024.0;
}

}  // namespace paralab::bench
