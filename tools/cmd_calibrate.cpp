// `paralab calibrate --backend host|cuda -o profile.json`: micro-benchmarks
// on this machine, written as a hardware profile (core/hardware_profile.h)
// that `paralab simulate --profile` and `paralab validate` load.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/hardware_profile.h"
#include "kernels/quant_format.h"
#include "real/cuda_calibration.h"
#include "real/host_calibration.h"
#include "real/mpi_collectives.h"
#include "real/mpi_world.h"
#include "tools/cli_common.h"

namespace paralab::cli {

// How to start this program again (mpirun ranks, calibration workers):
// $PARALAB_SELF when set (a command prefix: real/gpu_check.sh runs paralab
// through the bundled dynamic loader, whose path /proc/self/exe would name),
// else /proc/self/exe.
std::string self_binary() {
  if (const char* env = std::getenv("PARALAB_SELF"); env && *env) return env;
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("paralab") : p.string();
}

namespace {

void print_profile(const HardwareProfile& p) {
  fmt::print("hardware profile {} ({} backend, {})\n", p.name, p.backend, p.created_at);
  if (p.host_cores > 0) fmt::print("  host cores shared by the CPU workers: {}\n", p.host_cores);
  for (const auto& d : p.devices) {
    for (const auto& [dt, peak] : d.peak_flops_per_s)
      fmt::print("  {} {}: best GEMM {}\n", d.kind, dt, human_rate(peak, "FLOP/s"));
    for (const auto& [f, e] : d.gemm_efficiency_curve) fmt::print("    GEMM of {:>10} FLOPs: {:5.1f}%\n", human_count(f), 100 * e);
    const GemmEfficiencyGrid& g = d.gemm_efficiency_grid;
    if (!g.empty()) {
      fmt::print("    GEMM efficiency by shape (m, n, k on axes {}):\n", fmt::join(g.m, " "));
      for (size_t i = 0; i < g.m.size(); ++i)
        for (size_t j = 0; j < g.n.size(); ++j) {
          fmt::print("      m={:<5} n={:<5} k=", g.m[i], g.n[j]);
          for (size_t l = 0; l < g.k.size(); ++l) fmt::print(" {:5.1f}%", 100 * g.efficiency[g.index(i, j, l)]);
          fmt::print("\n");
        }
    }
    fmt::print("  memory sweep: {}\n", human_rate(d.memory_bandwidth_bytes_per_s, "B/s"));
    for (const auto& [f, pts] : d.quantized_gemm_seconds_per_weight) {
      fmt::print("  quantized GEMM {}:", f);
      for (const auto& [m, s] : pts) fmt::print(" m={} {:.3g} ns/weight", m, s * 1e9);
      fmt::print("\n");
    }
  }
  for (const auto& l : p.links)
    fmt::print("  link {}: {} + {:.3g} us latency ({})\n", l.kind, human_rate(l.bandwidth_bytes_per_s, "B/s"),
               l.latency_seconds * 1e6, l.measured);
  if (p.host_memory.pageable_copy_bytes_per_s > 0)
    fmt::print("  pageable copy: {}\n", human_rate(p.host_memory.pageable_copy_bytes_per_s, "B/s"));
  fmt::print("  disk read: {} at queue depth {}, latency {:.3g} us{}\n", human_rate(p.disk.read_bytes_per_s, "B/s"),
             p.disk.queue_depth, p.disk.latency_seconds * 1e6, p.disk.o_direct ? " (O_DIRECT)" : " (buffered)");
  for (const auto& c : p.collectives)
    fmt::print("  {} {} x{}: busbw {}, alpha {:.3g} us\n", c.transport, c.kind, c.ranks,
               human_rate(c.busbw_bytes_per_s, "B/s"), c.alpha_seconds * 1e6);
  for (const auto& n : p.notes) fmt::print("  note: {}\n", n);
}

void register_calibrate(CLI::App& app) {
  auto* cmd = app.add_subcommand("calibrate", "Measure this machine and write a hardware profile");
  auto& o = add_common(cmd);
  static std::string backend = "host", out, scratch, mpi_worker, name;
  static bool quick = false;
  static int ranks = 2;
  static std::vector<std::string> qformats = real::HostCalibrationConfig{}.quantized_formats;
  cmd->add_option("--backend", backend, "host or cuda")->check(CLI::IsMember({"host", "cuda"}));
  cmd->add_option("-o,--output", out, "Profile file to write");
  cmd->add_flag("--quick", quick, "Small sweeps (seconds; for tests and CI)");
  cmd->add_option("--scratch-dir", scratch, "Directory for the disk benchmark's scratch file (default results/)");
  cmd->add_option("--mpi-ranks", ranks, "Ranks for the MPI collective sweep (0 = skip)");
  cmd->add_option("--name", name, "Profile name (default localhost-<backend>)");
  cmd->add_option("--quantized-formats", qformats,
                  "Weight formats whose quantized GEMM kernel the host calibration times (paralab quantize --list)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--mpi-worker", mpi_worker, "(internal) run the collective sweep as an mpirun rank")->group("");
  cmd->callback([&o] {
    if (!mpi_worker.empty()) {
      real::MpiWorld& w = real::MpiWorld::get();
      if (w.size() < 2) throw InputError("--mpi-worker must run under mpirun with at least 2 ranks");
      real::RunnerConfig rc;
      rc.repetitions = quick ? 3 : 7;
      // Up to 64 MiB: gradient all-reduces are that large, and past the
      // last-level cache the rate falls (all-reduce busbw 2.21 GB/s at 1 MiB,
      // 1.81 at 16 MiB, 0.82 at 32 MiB, 0.86 at 64 MiB over 2 ranks on the
      // 2-vCPU development VM), which a sweep that stopped at 16 MiB missed.
      std::vector<size_t> sizes = quick ? std::vector<size_t>{1 << 10, 1 << 16, 1 << 20}
                                        : std::vector<size_t>{1 << 10, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22,
                                                              1 << 24, 1 << 25, 1 << 26};
      auto cps = real::mpi_collective_sweep(sizes, rc);
      if (w.rank() == 0) {
        HardwareProfile p;
        p.collectives = cps;
        write_json_file(mpi_worker, p.to_json()["collectives"]);
      }
      return;
    }
    if (out.empty()) throw InputError("calibrate: -o/--output profile.json is required");
    HardwareProfile p;
    std::vector<real::BenchResult> raw;
    if (backend == "host") {
      real::HostCalibrationConfig cfg;
      cfg.quick = quick;
      cfg.scratch_dir = scratch;
      cfg.mpi_ranks = ranks;
      cfg.paralab_binary = self_binary();
      for (const std::string& f : qformats) {
        try {
          kernels::parse_quant_format(f);
        } catch (const InputError& e) {
          throw InputError(std::string("calibrate --quantized-formats: ") + e.what());
        }
      }
      cfg.quantized_formats = qformats;
      if (!name.empty()) cfg.name = name;
      p = real::calibrate_host(cfg, &raw);
    } else {
      real::CudaCalibrationConfig cfg;
      cfg.quick = quick;
      cfg.scratch_dir = scratch;
      if (!name.empty()) cfg.name = name;
      p = real::calibrate_cuda(cfg, &raw);
    }
    save_hardware_profile(p, out);
    Json j = p.to_json();
    Json pts = Json::array();
    for (const auto& r : raw) pts.push_back(r.to_json());
    j["benchmarks"] = pts;
    j["output"] = out;
    emit(o, j, [&] {
      print_profile(p);
      fmt::print("wrote {}\n", out);
    });
  });
}

const CommandRegistration kRegistration(60, &register_calibrate);

}  // namespace
}  // namespace paralab::cli
