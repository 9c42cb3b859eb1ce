// The host validation set's lowered training plan: a 2-stage 1F1B pipeline
// of a small GPT, fp32, as `plan megatron` writes it and `run --plan` runs it.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "experiments/validate/validate_experiment.h"
#include "sim/simulator.h"

namespace paralab {
namespace {

TEST(ValidationGraph, MegatronPipelineSendsFp32ActivationsEachMicroBatch) {
  Cluster c = load_cluster("localhost-cpu");
  real::ValidationGraph vg = megatron_validation_graph(/*quick=*/true, c);
  EXPECT_EQ(vg.name, "megatron-pp2-1f1b");
  EXPECT_EQ(vg.ranks, 2);
  vg.graph.validate(c, vg.name);
  // Quick shape: micro-batch 2 samples x sequence 64 x hidden 256, fp32
  // (4 bytes): each stage boundary message is 2*64*256*4 = 131072 bytes, one
  // forward (0 -> 1) and one backward (1 -> 0) per micro-batch, 4 micro-batches.
  // The tied embedding's gradient (vocabulary 4096 x hidden 256 x 4 bytes =
  // 4 MiB) is all-reduced once between the first and the last stage.
  int fwd = 0, bwd = 0, tied = 0;
  for (const Op& o : vg.graph.ops()) {
    if (o.type != OpType::kCollective) continue;
    std::span<const int> gs = vg.graph.group(o.group());
    std::vector<int> grp(gs.begin(), gs.end());
    if (o.collective_kind() == CollectiveKind::kSendRecv) {
      EXPECT_DOUBLE_EQ(o.bytes, 131072.0);
      if (grp == std::vector<int>{0, 1}) ++fwd;
      if (grp == std::vector<int>{1, 0}) ++bwd;
    } else if (o.collective_kind() == CollectiveKind::kAllReduce) {
      EXPECT_DOUBLE_EQ(o.bytes, 4096.0 * 256 * 4);
      ++tied;
    }
  }
  EXPECT_EQ(fwd, 4);
  EXPECT_EQ(bwd, 4);
  EXPECT_EQ(tied, 1);
  // Both stages compute: the simulation ends ok with each device busy.
  sim::SimResult r = sim::simulate(c, vg.graph, {});
  EXPECT_EQ(r.record.status, "ok") << r.record.message;
  ASSERT_EQ(r.record.device_utilization.size(), 2u);
  EXPECT_GT(r.record.device_utilization[0], 0.0);
  EXPECT_GT(r.record.device_utilization[1], 0.0);
}

}  // namespace
}  // namespace paralab
