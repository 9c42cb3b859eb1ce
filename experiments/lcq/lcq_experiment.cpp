#include "experiments/lcq/lcq_experiment.h"

#include <fmt/format.h>

#include <chrono>

#include "core/error.h"
#include "core/run_record.h"
#include "kernels/quantize.h"
#include "kernels/rtn.h"
#include "kernels/synthetic.h"
#include "results/store.h"

namespace paralab::lcq {

namespace {

using kernels::QuantFormat;
using kernels::QuantKind;

kernels::SyntheticSpec spec_for(const std::string& kind) {
  kernels::SyntheticSpec s;
  if (kind == "gaussian") {
    s.tail_fraction = 0.0f;
    s.outlier_scale = 1.0f;
    s.activation_outlier_scale = 1.0f;
  } else if (kind == "heavy-tail") {
    s.tail_fraction = 0.05f;
    s.outlier_scale = 1.0f;
    s.activation_outlier_scale = 1.0f;
  } else if (kind == "outliers") {
    // defaults: 2% tails, outlier channels x4 in W and x20 in X
  } else {
    throw InputError(fmt::format("unknown LCQ suite matrix '{}'; valid ones are: gaussian, heavy-tail, outliers", kind));
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<LcqResultRow> run_lcq_experiment(const LcqExperimentConfig& c, ResultsStore* store) {
  std::vector<LcqResultRow> out;
  for (const auto& kind : c.suite) {
    kernels::SyntheticSpec spec = spec_for(kind);
    auto w = kernels::synthetic_weights(c.rows, c.cols, c.seed, spec);
    auto x = kernels::synthetic_activations(c.calib_tokens, c.cols, c.seed, spec);
    auto record = [&](const QuantFormat& f, const kernels::QuantizedMatrix& q, double secs, const std::string& label) {
      kernels::QuantError e = kernels::measure_quant_error(w.data(), q, x.data(), c.calib_tokens);
      LcqResultRow row{kind, label, f.bits, f.kind == QuantKind::kLcq ? f.rank : 0,
                       kernels::bits_per_weight(f, c.rows, c.cols), e.mse, e.weight_relative_error,
                       e.output_relative_error, secs};
      if (!store) {
        out.push_back(row);
        return;
      }
      RunRecord r;
      r.backend = "real-host";
      r.experiment = "lcq";
      r.model = fmt::format("synthetic-{}-{}x{}-s{}", kind, c.rows, c.cols, c.seed);
      r.strategy = label;
      r.config = {{"format", f.name()},         {"rows", c.rows},
                  {"cols", c.cols},             {"seed", c.seed},
                  {"calib_tokens", c.calib_tokens}, {"als_iterations", c.als_iterations},
                  {"refine_steps", label.find("+refine") != std::string::npos ? c.refine_steps : 0},
                  {"matrix", kind}};
      r.step_seconds = secs;
      r.metrics = {{"mse", e.mse},
                   {"weight_relative_error", e.weight_relative_error},
                   {"output_relative_error", e.output_relative_error},
                   {"bits_per_weight", row.bits_per_weight},
                   {"layer_bytes", kernels::layer_bytes(f, c.rows, c.cols)},
                   {"quantize_seconds", secs}};
      row.run_id = store->insert(r);
      out.push_back(row);
    };
    for (int b : c.bits) {
      QuantFormat rtn{QuantKind::kRtn, b, c.group, 1, false};
      auto t0 = std::chrono::steady_clock::now();
      auto qr = kernels::quantize_rtn(w.data(), c.rows, c.cols, rtn);
      record(rtn, qr, seconds_since(t0), rtn.name());
      for (bool weighted : {false, true}) {
        kernels::QuantizeOptions o;
        o.seed = c.seed;
        o.als_iterations = c.als_iterations;
        o.calib_x = x.data();
        o.calib_tokens = c.calib_tokens;
        o.activation_weighted = weighted;
        const std::string objective = weighted ? "/act-weighted" : "/weight-mse";
        t0 = std::chrono::steady_clock::now();
        auto chain = kernels::lcq_fit_chain(w.data(), c.rows, c.cols, b, c.group, 4, o);
        double chain_secs = seconds_since(t0);  // rank k's time includes the ranks before it (warm start)
        for (size_t i = 0; i < chain.size(); ++i) {
          QuantFormat f{QuantKind::kLcq, b, c.group, chain[i].rank, false};
          record(f, kernels::lcq_store(w.data(), chain[i], false), chain_secs * double(i + 1) / double(chain.size()),
                 f.name() + objective);
          if (chain[i].rank != 2 || !weighted) continue;
          QuantFormat fdq = f;
          fdq.double_quant = true;
          record(fdq, kernels::lcq_store(w.data(), chain[i], true), 0.0, fdq.name() + objective);
          if (c.refine_steps > 0) {
            kernels::LcqCodebook cb = chain[i];
            kernels::RefineOptions ro;
            ro.steps = c.refine_steps;
            auto t1 = std::chrono::steady_clock::now();
            kernels::lcq_refine_output(w.data(), x.data(), c.calib_tokens, cb, ro);
            record(f, kernels::lcq_store(w.data(), cb, false), seconds_since(t1), f.name() + objective + "+refine");
          }
        }
      }
    }
  }
  return out;
}

LcqExperimentConfig lcq_quick_config() {
  LcqExperimentConfig c;
  c.rows = 64;
  c.cols = 512;
  c.calib_tokens = 64;
  c.als_iterations = 8;
  c.refine_steps = 2;
  return c;
}

std::string lcq_results_markdown(const std::vector<LcqResultRow>& rows) {
  std::string s =
      "| matrix | format | bits/weight | weight MSE | weight rel. error | output rel. error |\n"
      "|---|---|---:|---:|---:|---:|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {} | {:.4f} | {:.4e} | {:.4f} | {:.4f} |\n", r.matrix, r.format, r.bits_per_weight, r.mse,
                     r.weight_relative_error, r.output_relative_error);
  return s;
}

}  // namespace paralab::lcq
