// `paralab quantize`: quantize a weight matrix (a raw float32 file or a
// synthetic LLM-like matrix) into an RTN or LCQ format and report the
// reconstruction error, the layer-output error on calibration activations and
// the bits per weight; `--list` names the formats; `--experiment` runs the
// LCQ experiment suite (experiments/lcq) and records it in the results store.
//
// Weight files: rows x cols float32, little-endian, row-major (row = output
// channel), nothing else: the file must be exactly rows * cols * 4 bytes.
// Calibration activations: `--tokens` rows drawn by synthetic_activations
// with the same seed (Gaussian, with the seed's outlier channels); LCQ fits
// the activation-weighted weight error unless --unweighted.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "experiments/lcq/lcq_experiment.h"
#include "kernels/quantize.h"
#include "kernels/synthetic.h"
#include "results/store.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

struct QuantizeArgs {
  std::string format, input, shape, synthetic;
  uint64_t seed = 0;
  int64_t tokens = 256;
  int iterations = 20;
  int refine_steps = 0;
  bool list = false, experiment = false, unweighted = false, quick = false;
  bool tokens_set = false, iterations_set = false, refine_set = false;  // given on the command line
};

std::pair<int64_t, int64_t> parse_shape(const std::string& s, const char* option) {
  static const std::regex re(R"(^(\d+)[xX](\d+)$)");
  std::smatch m;
  if (!std::regex_match(s, m, re) || std::stoll(m[1].str()) <= 0 || std::stoll(m[2].str()) <= 0)
    throw InputError(fmt::format("{} '{}': expected ROWSxCOLS with positive sizes, e.g. 4096x4096", option, s));
  return {std::stoll(m[1].str()), std::stoll(m[2].str())};
}

std::vector<float> read_weights(const std::string& path, int64_t rows, int64_t cols) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read the weight file: {}", path, ec.message()));
  const auto want = static_cast<uintmax_t>(rows * cols * 4);
  if (size != want)
    throw InputError(fmt::format("{}: {} bytes, but shape {}x{} of float32 needs {} bytes", path, size, rows, cols,
                                 want));
  std::vector<float> w(rows * cols);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(w.data()), static_cast<std::streamsize>(want)))
    throw InputError(fmt::format("{}: short read", path));
  return w;
}

void list_formats(const CommonOptions& o) {
  Json j = Json::array();
  for (const auto& n : kernels::quant_format_names()) {
    auto f = kernels::parse_quant_format(n);
    j.push_back({{"name", n}, {"bits_per_weight_4096x4096", kernels::bits_per_weight(f, 4096, 4096)}});
  }
  emit(o, j, [&] {
    fmt::print("{:<22} {}\n", "format", "bits/weight (4096x4096)");
    for (const auto& e : j) fmt::print("{:<22} {:.4f}\n", e["name"].get<std::string>(),
                                       e["bits_per_weight_4096x4096"].get<double>());
  });
}

void run_experiment(const CommonOptions& o, const QuantizeArgs& a) {
  lcq::LcqExperimentConfig c = a.quick ? lcq::lcq_quick_config() : lcq::LcqExperimentConfig{};
  if (!a.synthetic.empty()) std::tie(c.rows, c.cols) = parse_shape(a.synthetic, "--synthetic");
  c.seed = a.seed == 0 ? 1 : a.seed;
  if (a.tokens_set) c.calib_tokens = a.tokens;
  if (a.iterations_set) c.als_iterations = a.iterations;
  if (a.refine_set) c.refine_steps = a.refine_steps;
  kernels::check_quant_shape(kernels::QuantFormat{kernels::QuantKind::kRtn, 4, c.group, 1, false}, c.rows, c.cols);
  ResultsStore store(db_path(o));
  auto rows = lcq::run_lcq_experiment(c, &store);
  Json j = Json::array();
  for (const auto& r : rows)
    j.push_back({{"matrix", r.matrix}, {"format", r.format}, {"bits", r.bits}, {"rank", r.rank},
                 {"bits_per_weight", r.bits_per_weight}, {"mse", r.mse},
                 {"weight_relative_error", r.weight_relative_error},
                 {"output_relative_error", r.output_relative_error}, {"quantize_seconds", r.quantize_seconds}});
  emit(o, j, [&] {
    fmt::print("LCQ experiment: {}x{} matrices, seed {}, {} calibration tokens, {} ALS iterations; recorded in {}\n\n",
               c.rows, c.cols, c.seed, c.calib_tokens, c.als_iterations, store.path());
    fmt::print("{}", lcq::lcq_results_markdown(rows));
  });
}

void run_quantize(const CommonOptions& o, const QuantizeArgs& a) {
  if (a.list) return list_formats(o);
  if (a.experiment) return run_experiment(o, a);
  if (a.format.empty()) throw InputError("quantize: --format is required (see `paralab quantize --list`)");
  kernels::QuantFormat f = kernels::parse_quant_format(a.format);
  if (a.input.empty() == a.synthetic.empty())
    throw InputError("quantize: give exactly one of --input weights.bin (with --shape) and --synthetic ROWSxCOLS");
  int64_t rows = 0, cols = 0;
  std::vector<float> w;
  if (!a.input.empty()) {
    if (a.shape.empty()) throw InputError("quantize: --input needs --shape ROWSxCOLS");
    std::tie(rows, cols) = parse_shape(a.shape, "--shape");
    kernels::check_quant_shape(f, rows, cols);
    w = read_weights(a.input, rows, cols);
  } else {
    std::tie(rows, cols) = parse_shape(a.synthetic, "--synthetic");
    kernels::check_quant_shape(f, rows, cols);
    w = kernels::synthetic_weights(rows, cols, a.seed);
  }
  auto x = kernels::synthetic_activations(a.tokens, cols, a.seed);
  kernels::QuantizeOptions qo;
  qo.seed = a.seed;
  qo.als_iterations = a.iterations;
  qo.refine_steps = a.refine_steps;
  qo.calib_x = x.data();
  qo.calib_tokens = a.tokens;
  qo.activation_weighted = !a.unweighted;
  auto t0 = std::chrono::steady_clock::now();
  kernels::QuantizedMatrix q = kernels::quantize(w.data(), rows, cols, f, qo);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kernels::QuantError e = kernels::measure_quant_error(w.data(), q, x.data(), a.tokens);
  Json j = {{"format", f.name()},
            {"input", a.input.empty() ? "synthetic" : a.input},
            {"rows", rows},
            {"cols", cols},
            {"seed", a.seed},
            {"calib_tokens", a.tokens},
            {"lcq_objective", a.unweighted ? "weight-mse" : "act-weighted"},
            {"bits_per_weight", kernels::bits_per_weight(f, rows, cols)},
            {"layer_bytes", kernels::layer_bytes(f, rows, cols)},
            {"mse", e.mse},
            {"weight_relative_error", e.weight_relative_error},
            {"output_relative_error", e.output_relative_error},
            {"quantize_seconds", secs}};
  emit(o, j, [&] {
    fmt::print("{} on {}x{} ({})\n", f.name(), rows, cols, a.input.empty() ? "synthetic" : a.input);
    fmt::print("  bits per weight        {:.4f} ({} per layer)\n", kernels::bits_per_weight(f, rows, cols),
               human_bytes(double(kernels::layer_bytes(f, rows, cols))));
    fmt::print("  weight MSE             {:.4e} (relative error {:.4f})\n", e.mse, e.weight_relative_error);
    fmt::print("  output relative error  {:.4f} on {} calibration tokens\n", e.output_relative_error, a.tokens);
    fmt::print("  quantized in           {:.3f} s\n", secs);
  });
}

void register_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Quantize weights (RTN / LCQ formats) and report the error");
  auto& o = add_common(cmd);
  static QuantizeArgs a;
  cmd->add_option("--format", a.format, "Format name, e.g. rtn-b4-g128, lcq-r2-b3-g128 (--list)");
  cmd->add_option("--input", a.input, "Raw float32 weight file, row-major rows x cols");
  cmd->add_option("--shape", a.shape, "ROWSxCOLS of --input");
  cmd->add_option("--synthetic", a.synthetic, "ROWSxCOLS of a synthetic LLM-like matrix (or of the experiment's)");
  cmd->add_option("--seed", a.seed, "Seed of the synthetic data and the LCQ fit");
  static CLI::Option* tokens = cmd->add_option("--tokens", a.tokens, "Calibration activation rows")
                                    ->check(CLI::PositiveNumber);
  static CLI::Option* iterations =
      cmd->add_option("--iterations", a.iterations, "LCQ alternating-minimization iterations per rank")
          ->check(CLI::NonNegativeNumber);
  static CLI::Option* refine =
      cmd->add_option("--refine-steps", a.refine_steps, "LCQ output-loss refinement steps (0 = none)")
          ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quick", a.quick, "With --experiment: the CI-sized suite (64x512)");
  cmd->add_flag("--unweighted", a.unweighted, "Fit LCQ to the plain weight MSE, not the activation-weighted one");
  cmd->add_flag("--list", a.list, "List the format names");
  cmd->add_flag("--experiment", a.experiment, "Run the LCQ experiment suite and record it (--db)");
  cmd->callback([&o] {
    a.tokens_set = tokens->count() > 0;
    a.iterations_set = iterations->count() > 0;
    a.refine_set = refine->count() > 0;
    run_quantize(o, a);
  });
}

const CommandRegistration kRegistration(70, &register_quantize);

}  // namespace

}  // namespace paralab::cli
