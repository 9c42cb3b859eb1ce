#!/usr/bin/env bash
# The main job behind `make run`: the catalog, a training plan simulated with
# its Perfetto trace, the headline experiments (Megatron-LM agreement, LCQ),
# and measured-vs-simulated validation on this host. Every run is recorded in
# results/paralab.db; files go to out/.
set -euo pipefail
BUILD=${1:-build}
P="$BUILD/paralab"
OUT=out
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "catalog: models"
"$P" model list
step "catalog: clusters"
"$P" cluster list

step "a Megatron-LM plan: GPT 1.7B on one DGX-A100, TP 2 x PP 2 x DP 2, 1F1B, 16 micro-batches"
"$P" plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --seq 2048 --global-batch 32 \
  --tp 2 --pp 2 --micro-batch 2 --schedule 1f1b -o "$OUT/plan-gpt-1.7b.json"
"$P" simulate --cluster dgx-a100-80gb --plan "$OUT/plan-gpt-1.7b.json" --trace "$OUT/trace-gpt-1.7b.json"
echo "trace: $OUT/trace-gpt-1.7b.json (open in https://ui.perfetto.dev)"

step "experiment: Megatron-LM iteration times (Korthikanti et al. 2022), published vs simulated"
"$P" experiment run korthikanti --quick

step "experiment: LCQ vs round-to-nearest on LLM-like synthetic weights"
"$P" experiment run lcq --quick

step "validation: real execution on this host vs the calibrated simulator"
"$P" validate --backend host --quick

step "results: the latest runs"
"$P" results list --limit 15
