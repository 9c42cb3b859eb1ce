#!/usr/bin/env bash
# `paralab report` end to end: record runs into a fresh database, write the
# report with a timeline, then check it (tests/results/report_check.py): each
# figure's CSV against the database, and every page in headless Chromium
# (loads, images decode, console clean).
#   report_test.sh PARALAB fast   the ci experiment and one trace (default tier)
#   report_test.sh PARALAB full   the headline experiments' quick forms, host
#                                 validation and two traces (slow tier)
# Exit 77 (CTest's skip) when Chromium is missing, except under CI=true.
set -euo pipefail
P=$1
MODE=${2:-fast}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/paralab-report-test-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/runs.db
"$P" experiment run ci --db "$DB" >/dev/null
"$P" plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --seq 2048 --global-batch 32 \
  --tp 2 --pp 2 --micro-batch 2 --schedule 1f1b -o "$TMP/plan.json" >/dev/null
"$P" simulate --plan "$TMP/plan.json" --db "$DB" --trace "$TMP/train.json" >/dev/null
TRACES=(--trace "$TMP/train.json")
if [ "$MODE" = full ]; then
  "$P" experiment run korthikanti --quick --db "$DB" >/dev/null
  "$P" experiment run uniap --quick --db "$DB" >/dev/null
  "$P" experiment run pipo --quick --db "$DB" >/dev/null
  "$P" validate --backend host --quick --db "$DB" --scratch-dir "$TMP" >/dev/null
  "$P" plan infer --model llama-2-13b --cluster pipo-laptop --prompt-len 128 --gen-len 4 --batch 8 \
    --weights int4-g128 --schedule pipo --db "$DB" --trace "$TMP/decode.json" >/dev/null
  TRACES+=(--trace "$TMP/decode.json")
fi
"$P" report --db "$DB" -o "$TMP/report" "${TRACES[@]}"
/usr/bin/python3 "$HERE/report_check.py" "$TMP/report" --db "$DB" --browser
