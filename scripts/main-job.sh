#!/usr/bin/env bash
# The main job behind `make run`: what paralab is for, in a few minutes on
# the embedded SQLite database (results/paralab.db).
#   1. a Megatron-LM training plan simulated with its Perfetto trace, and an
#      offloaded-inference run with its trace (the report draws both);
#   2. the headline experiments in their quick form: Megatron-LM agreement
#      (Korthikanti et al. 2022, and the held-out Narayanan et al. 2021), UniAP against its baselines with the
#      failure rate of hand-set configurations, PIPO against FlexGen and the
#      other schedules, LCQ against round-to-nearest, and the CI suite;
#   3. measured-vs-simulated validation on this host (full calibration,
#      reused for 12 hours);
#   4. the headline table (published claim beside paralab's figure) and the
#      HTML report, whose path it prints.
# Long tables (LCQ's 81 rows, every planner and schedule) are in the report,
# not on the terminal. Files go to out/.
set -euo pipefail
BUILD=${1:-build}
P="$BUILD/paralab"
OUT=out
H="$OUT/headline"
mkdir -p "$OUT" "$H"
rm -f "$H"/*.json
step() { printf '\n== %s\n' "$*"; }
start=$(date +%s)

step "a Megatron-LM plan: GPT 1.7B on one DGX-A100 (TP 2 x PP 2 x DP 2, 1F1B), written and simulated"
"$P" plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --seq 2048 --global-batch 32 \
  --tp 2 --pp 2 --micro-batch 2 --schedule 1f1b -o "$OUT/plan-gpt-1.7b.json"
"$P" simulate --plan "$OUT/plan-gpt-1.7b.json" --trace "$OUT/trace-gpt-1.7b.json"

step "offloaded inference: Llama-2-13B INT4 on a 6 GB laptop GPU with PIPO (weights streamed over PCIe)"
"$P" plan infer --model llama-2-13b --cluster pipo-laptop --prompt-len 128 --gen-len 4 --batch 8 \
  --weights int4-g128 --schedule pipo --trace "$OUT/trace-llama-2-13b-pipo.json"

# Each experiment's JSON summary feeds the headline table; its full table
# goes to the report.
run_experiment() {
  local name=$1 what=$2
  step "experiment $name (quick): $what"
  local t0
  t0=$(date +%s)
  "$P" experiment run "$name" --quick --json >"$H/$name.json"
  local n
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["run_ids"]))' "$H/$name.json")
  echo "$n runs recorded in $(( $(date +%s) - t0 )) s"
}
run_experiment korthikanti "Megatron-LM iteration times, published vs simulated"
run_experiment narayanan "held out: Megatron-LM weak scaling, published vs simulated TFLOP/s per GPU"
run_experiment uniap "six training planners, ablation, hand-set configurations"
run_experiment pipo "FlexGen's T4 table and the PIPO laptop comparison"
run_experiment lcq "LCQ vs round-to-nearest on LLM-like weights"
run_experiment ci "the CI regression suite (checked against results/baselines/ci.json by make test)"

step "validation: real execution on this host vs the simulator calibrated on it"
# The calibration (about a minute on a quiet 2-core machine) is kept in
# results/profile-host.json and reused for 12 hours; delete it to recalibrate.
PROFILE=results/profile-host.json
PROFILE_ARGS=()
if [ -f "$PROFILE" ] && [ -n "$(find "$PROFILE" -mmin -720 2>/dev/null)" ]; then
  echo "using the calibration in $PROFILE ($(date -u -r "$PROFILE" '+%Y-%m-%d %H:%M UTC'); delete it to recalibrate)"
  PROFILE_ARGS=(--profile "$PROFILE")
else
  echo "calibrating this host first (written to $PROFILE)"
fi
cp /proc/loadavg "$H/loadavg-before.txt"
# Exit 1 means a graph failed to run; the table below says which.
"$P" validate --backend host "${PROFILE_ARGS[@]}" --json >"$H/validate.json" || echo "validate exited $?"
cp /proc/loadavg "$H/loadavg-after.txt"

step "headline: published claim beside paralab's figure"
python3 scripts/headline.py "$H" | tee "$H/headline.txt"

step "report"
"$P" report -o "$OUT/report" --trace "$OUT/trace-gpt-1.7b.json" --trace "$OUT/trace-llama-2-13b-pipo.json" \
  --headline "$H/headline.txt"
echo "main job: $(( $(date +%s) - start )) s"
