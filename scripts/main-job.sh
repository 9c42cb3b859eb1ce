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

# The plan's own summary (printed by `plan megatron`) says how its batch is split.
step "a Megatron-LM plan: GPT 1.7B on one DGX-A100 with 1F1B, written and simulated"
"$P" plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --seq 2048 --global-batch 32 \
  --tp 2 --pp 2 --micro-batch 2 --schedule 1f1b -o "$OUT/plan-gpt-1.7b.json"
"$P" simulate --plan "$OUT/plan-gpt-1.7b.json" --trace "$OUT/trace-gpt-1.7b.json"

step "experiment: Megatron-LM iteration times (Korthikanti et al. 2022), published vs simulated"
"$P" experiment run korthikanti --quick

step "experiment: LCQ vs round-to-nearest on LLM-like synthetic weights"
"$P" experiment run lcq --quick

step "validation: real execution on this host vs the calibrated simulator"
"$P" validate --backend host --quick

step "results: the latest runs"
"$P" results list --limit 15
