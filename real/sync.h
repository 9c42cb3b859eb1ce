// RunControl: the shared state of one execution's worker threads — which
// ops are done, and whether the run has failed — plus waits that give up
// when the run fails or a deadline passes (so no worker blocks forever).
// Invariants: 1. remaining(op) only decreases, and an op is done at 0;
// 2. once failed() is true it stays true and the first message is kept.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace paralab::real {

class RunControl {
 public:
  // remaining[op] = how many local lanes must finish op before it is done.
  explicit RunControl(std::vector<int> remaining) : remaining_(std::move(remaining)) {}

  void finish(int op) {
    {
      std::lock_guard<std::mutex> l(mu_);
      --remaining_[op];
    }
    cv_.notify_all();
  }
  bool done(int op) const { return remaining_[op] <= 0; }
  // Waits until every op in `ops` is done; false if the run failed meanwhile.
  bool wait_all(const std::vector<int>& ops) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] {
      if (failed_) return true;
      for (int o : ops)
        if (remaining_[o] > 0) return false;
      return true;
    });
    return !failed_;
  }
  void fail(const std::string& status, const std::string& message) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!failed_) {
        failed_ = true;
        status_ = status;
        message_ = message;
      }
    }
    cv_.notify_all();
  }
  bool failed() const {
    std::lock_guard<std::mutex> l(mu_);
    return failed_;
  }
  std::string status() const {
    std::lock_guard<std::mutex> l(mu_);
    return status_;
  }
  std::string message() const {
    std::lock_guard<std::mutex> l(mu_);
    return message_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> remaining_;
  bool failed_ = false;
  std::string status_ = "ok", message_;
};

// A reusable barrier for the members of one in-process collective; wait()
// returns false on failure of the run or after `timeout`.
class Rendezvous {
 public:
  explicit Rendezvous(int n) : n_(n) {}
  bool wait(const RunControl& rc, std::chrono::duration<double> timeout) {
    std::unique_lock<std::mutex> l(mu_);
    int gen = gen_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++gen_;
      cv_.notify_all();
      return true;
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    while (gen == gen_) {
      if (cv_.wait_until(l, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20))) ==
              std::cv_status::timeout &&
          (rc.failed() || std::chrono::steady_clock::now() >= deadline))
        return gen != gen_;
    }
    return true;
  }
  std::vector<char*> bufs;  // per member (set before the first wait)
  std::vector<char*> recv;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int arrived_ = 0;
  int gen_ = 0;
};

}  // namespace paralab::real
