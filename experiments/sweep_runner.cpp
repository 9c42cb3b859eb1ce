#include "experiments/sweep_runner.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "real/check.h"
#include "real/mpi_world.h"

namespace paralab {

namespace {

constexpr int kTagRecord = 1;  // a record (JSON text) from a rank to rank 0
constexpr int kTagDone = 2;    // a rank has sent all its records

// Runs `mine` (indices into `runs`) on `threads` workers; finished records
// wait in a queue for the calling thread, which alone touches the store or MPI.
class WorkerPool {
 public:
  WorkerPool(const ExperimentSpec& spec, const std::vector<SweepRun>& runs, std::vector<size_t> mine, int threads)
      : spec_(spec), runs_(runs), mine_(std::move(mine)) {
    int n = std::max(1, std::min<int>(threads, static_cast<int>(mine_.size())));
    // A planner inside a run gets all cores only when runs go one at a time.
    int planner_threads = threads > 1 ? 1 : 0;
    for (int t = 0; t < n; ++t) workers_.emplace_back([this, planner_threads] { work(planner_threads); });
  }
  ~WorkerPool() {
    for (auto& w : workers_) w.join();
  }
  // Waits up to `wait` for a finished record; false when none came.
  bool pop(RunRecord* out, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_for(lk, wait, [&] { return !ready_.empty(); });
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }
  bool all_popped() {
    std::lock_guard<std::mutex> lk(mu_);
    return finished_ == mine_.size() && ready_.empty();
  }

 private:
  void work(int planner_threads) {
    for (;;) {
      size_t k = next_.fetch_add(1);
      if (k >= mine_.size()) return;
      RunRecord r = execute_run(spec_, runs_[mine_[k]], planner_threads);
      std::lock_guard<std::mutex> lk(mu_);
      ready_.push_back(std::move(r));
      ++finished_;
      cv_.notify_one();
    }
  }
  const ExperimentSpec& spec_;
  const std::vector<SweepRun>& runs_;
  std::vector<size_t> mine_;
  std::atomic<size_t> next_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RunRecord> ready_;
  size_t finished_ = 0;
  std::vector<std::thread> workers_;
};

class Progress {
 public:
  Progress(size_t total, size_t skipped, const SweepRunOptions& o) : o_(o), start_(std::chrono::steady_clock::now()) {
    p_.total = total;
    p_.skipped = skipped;
    report();
  }
  void record(const RunRecord& r) {
    ++p_.done;
    if (r.status != "ok") ++p_.failed;
    report();
  }
  const SweepProgress& get() const { return p_; }

 private:
  void report() {
    p_.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    size_t left = p_.total - p_.skipped - p_.done;
    p_.eta_seconds = p_.done ? p_.elapsed_seconds / double(p_.done) * double(left) : 0;
    if (o_.progress) o_.progress(p_);
  }
  const SweepRunOptions& o_;
  std::chrono::steady_clock::time_point start_;
  SweepProgress p_;
};

// Rank 0 tells every rank which runs are pending.
std::vector<size_t> broadcast_pending(std::vector<size_t> pending) {
  uint64_t n = pending.size();
  MPI_CHECK(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD));
  std::vector<uint64_t> buf(pending.begin(), pending.end());
  buf.resize(n);
  if (n) MPI_CHECK(MPI_Bcast(buf.data(), static_cast<int>(n), MPI_UINT64_T, 0, MPI_COMM_WORLD));
  return std::vector<size_t>(buf.begin(), buf.end());
}

}  // namespace

bool sweep_under_mpi() {
  real::MpiWorld& w = real::MpiWorld::get();
  return w.active() && w.size() > 1;
}

bool sweep_writer() { return !sweep_under_mpi() || real::MpiWorld::get().rank() == 0; }

SweepOutcome run_sweep(const ExperimentSpec& spec, const std::vector<SweepRun>& runs, ResultsStore* store,
                       const SweepRunOptions& o) {
  const bool mpi = sweep_under_mpi();
  const int rank = mpi ? real::MpiWorld::get().rank() : 0;
  const int size = mpi ? real::MpiWorld::get().size() : 1;
  SweepOutcome out;
  out.is_writer = rank == 0;
  std::vector<size_t> pending;
  if (rank == 0) {
    std::set<std::string> done = store->config_hashes(spec.name);
    for (const auto& r : runs)
      if (!done.count(r.hash)) pending.push_back(r.index);
  }
  if (mpi) pending = broadcast_pending(std::move(pending));
  std::vector<size_t> mine;
  for (size_t p = 0; p < pending.size(); ++p)
    if (static_cast<int>(p % size) == rank) mine.push_back(pending[p]);

  const auto tick = std::chrono::milliseconds(mpi ? 2 : 200);
  WorkerPool pool(spec, runs, mine, o.threads);
  RunRecord rec;
  if (rank != 0) {
    // Send each record to rank 0 as it finishes, then say done.
    while (!pool.all_popped())
      if (pool.pop(&rec, tick)) {
        std::string text = rec.to_json().dump();
        MPI_CHECK(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagRecord, MPI_COMM_WORLD));
      }
    MPI_CHECK(MPI_Send(nullptr, 0, MPI_CHAR, 0, kTagDone, MPI_COMM_WORLD));
    return out;
  }
  Progress progress(runs.size(), runs.size() - pending.size(), o);
  int ranks_done = 1;  // this one, once its pool is drained
  while (!pool.all_popped() || ranks_done < size) {
    if (pool.pop(&rec, mpi ? std::chrono::milliseconds(0) : tick)) {
      out.run_ids.push_back(store->insert(rec));
      progress.record(rec);
      continue;
    }
    if (!mpi) continue;
    int flag = 0;
    MPI_Status st;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
    if (!flag) {
      std::this_thread::sleep_for(tick);
      continue;
    }
    int count = 0;
    MPI_CHECK(MPI_Get_count(&st, MPI_CHAR, &count));
    std::string text(static_cast<size_t>(count), '\0');
    MPI_CHECK(MPI_Recv(text.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    if (st.MPI_TAG == kTagDone) {
      ++ranks_done;
      continue;
    }
    rec = RunRecord::from_json(parse_json_text(text, "a record from rank " + std::to_string(st.MPI_SOURCE)),
                               "a record from rank " + std::to_string(st.MPI_SOURCE));
    out.run_ids.push_back(store->insert(rec));
    progress.record(rec);
  }
  out.progress = progress.get();
  return out;
}

}  // namespace paralab
