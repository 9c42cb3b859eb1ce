#!/bin/sh
# Host validation as issue 17's protocol states it: N calibrate-then-validate
# cycles, each started once the load average has fallen below a threshold,
# and a table of the signed errors (simulated / measured - 1) per graph.
#
#   scripts/host-cycles.sh [-n CYCLES] [-l LOAD] [-o DIR] [-b BINARY]
#
# Defaults: 5 cycles, load 0.5, DIR = results/host-cycles, BINARY =
# build/paralab. Each cycle writes DIR/profile-K.json, DIR/validate-K.json
# and DIR/cycles.md (appended); exits 1 when a cycle fails to run, and 2
# when the target (median < 10%, worst < 20%) missed in any cycle.
set -eu
cycles=5 load=0.5 dir=results/host-cycles bin=build/paralab
while getopts n:l:o:b: opt; do
  case $opt in
    n) cycles=$OPTARG ;;
    l) load=$OPTARG ;;
    o) dir=$OPTARG ;;
    b) bin=$OPTARG ;;
    *) echo "usage: $0 [-n CYCLES] [-l LOAD] [-o DIR] [-b BINARY]" >&2; exit 64 ;;
  esac
done
[ -x "$bin" ] || { echo "$0: $bin is not an executable (build first: make build)" >&2; exit 1; }
mkdir -p "$dir"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
table="$dir/cycles.md"
echo "| cycle | start (UTC) | load | dp2 | pp2 | offload | megatron-pp2-1f1b | median | worst |" >"$table"
echo "|---|---|---|---|---|---|---|---|---|" >>"$table"
missed=0
k=1
while [ "$k" -le "$cycles" ]; do
  waited=0
  while :; do
    now=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v a="$now" -v b="$load" 'BEGIN{exit !(a < b)}'; then break; fi
    [ $((waited % 60)) -eq 0 ] && echo "cycle $k: load $now, waiting for < $load" >&2
    sleep 5; waited=$((waited + 5))
  done
  start=$(date -u +%H:%M:%S)
  echo "cycle $k of $cycles: calibrate (load $now, $start UTC)" >&2
  "$bin" calibrate --backend host --mpi-ranks 2 -o "$dir/profile-$k.json" --db "$dir/cycles.db" >/dev/null || exit 1
  echo "cycle $k of $cycles: validate" >&2
  rc=0
  "$bin" validate --backend host --profile "$dir/profile-$k.json" --json --db "$dir/cycles.db" >"$dir/validate-$k.json" || rc=$?
  [ "$rc" -le 1 ] || exit 1
  row=$("$py" - "$dir/validate-$k.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
# Signed: simulated / measured - 1 (the report's relative_error is absolute).
err = {g["name"]: g["simulated_seconds"] / g["measured_seconds"] - 1
       if g.get("status") == "ok" and g.get("measured_seconds") else None for g in v["runs"]}
def cell(name):
    e = next((x for n, x in err.items() if n.startswith(name)), None)
    return "failed" if e is None else f"{100 * e:+.1f}%"
med, worst = v.get("median_relative_error"), v.get("max_relative_error")
ok = med is not None and worst is not None and med < 0.10 and worst < 0.20
print(" | ".join([cell("dp2"), cell("pp2"), cell("offload"), cell("megatron"),
                  "-" if med is None else f"{100 * med:.1f}%", "-" if worst is None else f"{100 * worst:.1f}%"]),
      "ok" if ok else "missed")
PY
)
  verdict=${row##* }
  row=${row% *}
  echo "| $k | $start | $now | $row |" >>"$table"
  [ "$verdict" = ok ] || missed=$((missed + 1))
  k=$((k + 1))
done
cat "$table"
echo "target (median < 10%, worst < 20%) missed in $missed of $cycles cycles"
[ "$missed" -eq 0 ] || exit 2
