#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a given time each.
#   scripts/fuzz.sh BUILD_DIR SECONDS
# Each target fuzz_<name> starts from its checked-in seeds fuzz/corpus/<name>/
# (read only) and keeps what it finds in BUILD_DIR/fuzz-corpus/<name>/.
# Limits (a run beyond them is a finding): 10 s per input (-timeout), 2 GiB
# of RSS (-rss_limit_mb) and 1 GiB in one allocation (-malloc_limit_mb).
# A finding is saved under BUILD_DIR/fuzz-artifacts/ and fails the run.
set -uo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-60}
cd "$(dirname "$0")/.."
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); name=${name#fuzz_}
  mkdir -p "$build/fuzz-corpus/$name" "$build/fuzz-artifacts"
  log="$build/fuzz-artifacts/$name.log"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-" \
    "$build/fuzz-corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then
    echo "fuzz $name: ${seconds} s clean, ${runs:-?} inputs"
  else
    echo "fuzz $name: FAILED (exit $rc) after ${runs:-?} inputs; see $log"
    grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/  /'
    status=1
  fi
done
exit $status
