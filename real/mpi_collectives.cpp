#include "real/mpi_collectives.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "real/check.h"
#include "real/fit.h"
#include "real/host_ops.h"
#include "real/mpi_world.h"

namespace paralab::real {

namespace {

double slowest(double local) {
  double m = 0;
  MPI_CHECK(MPI_Allreduce(&local, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return m;
}

template <typename F>
double timed_collective(F&& f) {
  MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  auto t0 = std::chrono::steady_clock::now();
  f();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return slowest(s);
}

}  // namespace

std::vector<CollectiveProfile> mpi_collective_sweep(const std::vector<size_t>& sizes, const RunnerConfig& cfg) {
  MpiWorld& w = MpiWorld::get();
  int n = w.size(), rank = w.rank();
  std::vector<CollectiveProfile> out;
  for (std::string kind : {"all_reduce", "all_gather", "send_recv"}) {
    CollectiveProfile cp;
    cp.kind = kind;
    cp.ranks = n;
    cp.transport = "mpi";
    std::vector<std::pair<double, double>> fit_pts;
    for (size_t bytes : sizes) {
      size_t count = bytes / sizeof(float);
      if (kind == "all_gather") count = count / n * n;
      if (count == 0) continue;
      HostBuffer send(count * sizeof(float), false), recv(count * sizeof(float), false);
      for (size_t i = 0; i < count; ++i) send.floats()[i] = float(rank + 1);
      Benchmark b;
      b.name = "mpi_" + kind;
      b.shape = "bytes=" + std::to_string(count * sizeof(float)) + " ranks=" + std::to_string(n);
      b.size = b.bytes = double(count * sizeof(float));
      b.timed_run = [&]() {
        return timed_collective([&] {
          if (kind == "all_reduce") {
            MPI_CHECK(MPI_Allreduce(send.floats(), recv.floats(), int(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
          } else if (kind == "all_gather") {
            MPI_CHECK(MPI_Allgather(send.floats(), int(count / n), MPI_FLOAT, recv.floats(), int(count / n), MPI_FLOAT,
                                    MPI_COMM_WORLD));
          } else if (n >= 2 && rank < 2) {  // send_recv: rank 0 -> rank 1
            if (rank == 0)
              MPI_CHECK(MPI_Send(send.floats(), int(count), MPI_FLOAT, 1, 7, MPI_COMM_WORLD));
            else
              MPI_CHECK(MPI_Recv(recv.floats(), int(count), MPI_FLOAT, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
          }
        });
      };
      if (kind == "all_reduce")
        b.check = [&]() -> std::string {
          float want = float(n) * float(n + 1) / 2;  // sum of rank + 1
          for (size_t i = 0; i < count; i += 97)
            if (recv.floats()[i] != want) return "all_reduce element " + std::to_string(i) + " wrong";
          return "";
        };
      BenchResult r = run_benchmark(b, cfg);
      
      cp.points.push_back(CollectivePoint{r.bytes, r.seconds_median, r.bytes / r.seconds_median,
                                          r.bytes / r.seconds_median * busbw_factor(kind, n)});
      // Fit T = alpha + (factor * S) / busbw.
      fit_pts.emplace_back(r.bytes * busbw_factor(kind, n), r.seconds_median);
    }
    if (fit_pts.size() >= 2) {
      AlphaBeta ab = fit_alpha_beta(fit_pts);
      cp.alpha_seconds = ab.alpha_seconds;
      cp.busbw_bytes_per_s = ab.bandwidth_bytes_per_s;
    }
    out.push_back(cp);
  }
  return out;
}

std::vector<CollectiveProfile> launch_mpi_collective_calibration(const std::string& binary, int ranks, bool quick,
                                                                 const std::string& work_dir) {
  std::string out = work_dir + "/mpi_collectives." + std::to_string(::getpid()) + ".json";
  std::string log = out + ".log";
  std::string cmd = mpirun_prefix(ranks) + " " + binary + " calibrate --backend host --mpi-worker " + out +
                    (quick ? " --quick" : "") + " >" + log + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::stringstream ss;
  if (std::ifstream in(log); in) ss << in.rdbuf();
  std::filesystem::remove(log);
  if (rc != 0 || !std::filesystem::exists(out))
    throw InputError("MPI collective calibration failed (" + cmd + "): exit " + std::to_string(rc) + ": " + ss.str());
  Json j = read_json_file(out);
  std::filesystem::remove(out);
  JsonReader r(j, out);
  Json wrapped = {{"format", kHardwareProfileFormat}, {"name", "mpi"}, {"backend", "host"}, {"collectives", j}};
  return hardware_profile_from_json(JsonReader(wrapped, out)).collectives;
}

}  // namespace paralab::real
