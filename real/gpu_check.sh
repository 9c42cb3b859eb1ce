#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU (nvcc, CMake and the CUDA
# libraries present; nothing is downloaded) build paralab with CUDA, run the
# GPU-labelled tests (those that skip without a device: *Gpu*/*Cuda* test
# names), calibrate the cuda backend and validate it against the simulator on
# a small training graph and an offloaded-inference graph (weights streamed
# from a file through pinned buffers into GEMMs). Writes the results
# database, the profile and a summary into $OUT if set, else results/.
# Budget: under 8 minutes on one H100 (quick sweeps; a build with -j$(nproc)).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-results}"
mkdir -p "$OUT_DIR"
BUILD="${BUILD_DIR:-build-gpu}"
LOG="$OUT_DIR/gpu_check.log"
: >"$LOG"
say() { echo "[gpu_check $(date -u +%H:%M:%S)] $*" | tee -a "$LOG"; }

say "nvidia-smi:"; (nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true) | tee -a "$LOG"
say "configure + build ($BUILD)"
ARCH="${CUDA_ARCH:-90}"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARALAB_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" >>"$LOG" 2>&1
grep -q "PARALAB_HAVE_CUDA" "$BUILD/CMakeCache.txt" || true
cmake --build "$BUILD" -j"$(nproc)" --target paralab real_fast_tests >>"$LOG" 2>&1
# Kernel tests too when that target exists.
cmake --build "$BUILD" -j"$(nproc)" --target kernels_fast_tests >>"$LOG" 2>&1 || say "kernels_fast_tests not built"

say "GPU-labelled tests"
set +e
"$BUILD/tests/real_fast_tests" --gtest_filter='*Cuda*:*Gpu*:*GPU*' 2>&1 | tee "$OUT_DIR/gpu_tests.txt" | tail -5
rc_real=${PIPESTATUS[0]}
rc_k=0
if [ -x "$BUILD/tests/kernels_fast_tests" ]; then
  "$BUILD/tests/kernels_fast_tests" --gtest_filter='*Gpu*:*Cuda*:*GPU*' 2>&1 | tee -a "$OUT_DIR/gpu_tests.txt" | tail -5
  rc_k=${PIPESTATUS[0]}
fi
set -e

DB="$OUT_DIR/paralab-gpu.db"
PROFILE="$OUT_DIR/profile-cuda.json"
say "calibrate --backend cuda"
set +e
timeout 240 "$BUILD/paralab" calibrate --backend cuda --quick --scratch-dir "$OUT_DIR" -o "$PROFILE" --db "$DB" \
  2>&1 | tee "$OUT_DIR/calibrate.txt" | tail -25
rc_cal=${PIPESTATUS[0]}
# Without a profile, validate falls back to the cluster file's constants.
PROFILE_ARG=()
[ -s "$PROFILE" ] && PROFILE_ARG=(--profile "$PROFILE")
say "validate --backend cuda"
timeout 180 "$BUILD/paralab" validate --backend cuda --quick "${PROFILE_ARG[@]}" --scratch-dir "$OUT_DIR" \
  --db "$DB" --json >"$OUT_DIR/validate.json" 2>"$OUT_DIR/validate.err"
rc_val=$?
set -e
rm -f "$OUT_DIR"/paralab-*scratch.* 2>/dev/null || true

{
  echo "# paralab GPU check"
  echo "date: $(date -u +%FT%TZ)"
  echo "gpu: $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "gpu tests exit: real $rc_real, kernels $rc_k"
  echo "calibrate exit: $rc_cal"
  echo "validate exit: $rc_val"
  echo "profile: $PROFILE"
  echo "database: $DB"
  if [ -s "$OUT_DIR/validate.json" ]; then
    python3 - "$OUT_DIR/validate.json" <<'PY' || cat "$OUT_DIR/validate.json"
import json, sys
j = json.load(open(sys.argv[1]))
for r in j["runs"]:
    print(f'{r["name"]}: measured {r["measured_seconds"]:.6f} s, simulated {r["simulated_seconds"]:.6f} s, '
          f'error {100*r["relative_error"]:.1f}% [{r["status"]}] {r.get("message","")}')
    util = ", ".join(f"{100*u:.0f}%" for u in r.get("measured_device_utilization", []))
    nvml = ", ".join(f'dev {u["device"]}: {u["mean_gpu_percent"]:.0f}% ({u["samples"]} samples)'
                     for u in r.get("nvml_utilization", []))
    print(f'  utilization: kernel intervals {util or "-"}; NVML {nvml or "not sampled (see notes)"}')
print(f'median error {100*j["median_relative_error"]:.1f}%, max {100*j["max_relative_error"]:.1f}%')
PY
  else
    echo "validate produced no JSON:"; cat "$OUT_DIR/validate.err"
  fi
} >"$OUT_DIR/summary.txt"
cat "$OUT_DIR/summary.txt"
[ "$rc_real" -eq 0 ] && [ "$rc_cal" -eq 0 ] && [ "$rc_val" -eq 0 ]
