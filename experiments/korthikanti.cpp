#include "experiments/korthikanti.h"

namespace paralab {

const std::vector<KorthikantiRow>& korthikanti_rows() {
  static const std::vector<KorthikantiRow> rows = {
      {"megatron-gpt-22b", 8, 1, 8, 4, 4, 1.42, 1.10},
      {"megatron-gpt-175b", 8, 8, 64, 64, 1, 18.13, 13.75},
      {"megatron-gpt-530b", 8, 35, 280, 280, 1, 49.05, 37.83},
      {"megatron-gpt-1t", 8, 64, 512, 512, 1, 94.42, 71.49},
  };
  return rows;
}

TrainingPlan korthikanti_plan(const KorthikantiRow& r, Recompute rc, const ModelGraph& m, const Cluster& c) {
  MegatronOptions o;
  o.model = r.model;
  o.cluster = "dgx-a100-80gb";
  o.nodes = (r.gpus + 7) / 8;
  o.seq_len = 2048;
  o.global_batch = r.global_batch;
  o.tp = r.tp;
  o.pp = r.pp;
  o.dp = 1;
  o.micro_batch = r.micro_batch;
  o.recompute = rc;
  o.sequence_parallel = rc == Recompute::kSelective;
  return megatron_plan(o, m, c);
}

}  // namespace paralab
