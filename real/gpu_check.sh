#!/usr/bin/env bash
# real/gpu_check.sh --out DIR [--bundle paralab-gpu.tar.gz]: the GPU check,
# run ON THE GPU MACHINE from the bundle real/gpu_bundle.sh made here (the GPU
# machine cannot build paralab). It unpacks the bundle into /tmp, runs
# everything through the bundled dynamic loader with CUDA's libraries taken
# from the machine (libcuda from the driver, cudart and cuBLAS from the
# toolkit; NCCL, loaded lazily, from wherever the machine has it, e.g.
# PyTorch's nvidia/nccl package), and writes into DIR step by step — each
# step's output and, after every step, summary.json and summary.txt — so a
# check stopped by its time limit still returns what it measured.
#
# Steps (each with its own time limit, together 4 min 55 s: nvidia-smi 15 s,
# calibrate 60 s, each GPU test binary 50 s, validate 75 s, each of three
# offloaded-inference runs 15 s; a step that ignores SIGTERM is killed 5 s
# later): the device from its own attributes; calibrate --backend cuda
# (GEMM by dtype and shape, HBM sweep, PCIe fit, disk, NCCL sweep with >= 2
# GPUs); the GPU tests (INT4 GEMV bandwidth against the device's HBM peak,
# executor tests); validate --backend cuda against the simulator (median
# error < 10%, worst < 20%) with NVML utilization beside the kernel-interval
# figure; offloaded inference with the INT4 CUDA kernels (the pipo, flexgen
# and accelerate schedules of a 214 MB INT4 decoder on this GPU capped to
# 96 MiB, run for real beside their simulation; target: time error < 15%).
# Exit 0 only when every step that could run passed and at least one
# GPU check ran; what the machine could not run (multi-GPU tests, the NCCL
# sweep on one GPU) is "not run", never "passed". Without a usable GPU it
# fails with "no usable CUDA device".
set -uo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=""
BUNDLE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --bundle) BUNDLE="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "gpu_check: error: unknown argument '$1'; usage: gpu_check.sh --out DIR [--bundle FILE]" >&2; exit 2 ;;
  esac
done
[ -n "$OUT" ] || { echo "gpu_check: error: --out DIR is required" >&2; exit 2; }
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
LOG="$OUT/gpu_check.log"
: >"$LOG"
say() { echo "[gpu_check $(date -u +%H:%M:%S)] $*" | tee -a "$LOG"; }
PY=$(command -v python3 || true)
# Scratch files (up to 512 MB, read back with O_DIRECT where the file system
# allows it) go on a disk, not into DIR, which comes back to the caller.
SCRATCH=$(mktemp -d "${PARALAB_SCRATCH:-/var/tmp}/paralab-gpu-scratch.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# --- the bundle -------------------------------------------------------------
if [ -f "$SELF_DIR/env.sh" ] && [ -x "$SELF_DIR/bin/paralab" ]; then
  B="$SELF_DIR"  # running from an unpacked bundle
else
  [ -n "$BUNDLE" ] || BUNDLE="$SELF_DIR/../out/gpu-bundle/paralab-gpu.tar.gz"
  [ -f "$BUNDLE" ] || { echo "gpu_check: error: bundle '$BUNDLE' not found (make it with real/gpu_bundle.sh)" >&2; exit 2; }
  W=$(mktemp -d /tmp/paralab-gpu-check.XXXXXX)
  tar -C "$W" -xzf "$BUNDLE" || { echo "gpu_check: error: cannot unpack $BUNDLE" >&2; exit 2; }
  B="$W/paralab-gpu"
fi
say "bundle $B (commit $(cat "$B/GIT_COMMIT" 2>/dev/null))"

# --- CUDA's libraries from this machine --------------------------------------
CUDA_DIRS=""
add_dir() { [ -d "$1" ] && case ":$CUDA_DIRS:" in *":$1:"*) ;; *) CUDA_DIRS="${CUDA_DIRS:+$CUDA_DIRS:}$1" ;; esac; }
# The driver's libcuda and the libnvidia-* it loads, as links in a private
# folder (adding the whole system folder would let system libraries shadow
# nothing, but would make the LD_DEBUG picture murkier).
DRV="$B/driver-libs"
mkdir -p "$DRV"
for d in $(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 /{print $NF}' | xargs -r -n1 dirname | sort -u) \
         /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64; do
  for f in "$d"/libcuda.so* "$d"/libnvidia-*.so*; do [ -e "$f" ] && ln -sf "$f" "$DRV/"; done
done
add_dir "$DRV"
for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" "${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib" /usr/local/cuda-13*/lib64; do
  [ -e "$d/libcudart.so.13" ] && add_dir "$d"
done
if [ -n "$PY" ]; then
  # PyTorch's CUDA wheels: nvidia/<package>/lib (cuda_runtime, cublas, nccl;
  # CUDA 13's wheels put cudart and cuBLAS under nvidia/cu13/lib).
  for d in $("$PY" -c "
import os, nvidia
for p in nvidia.__path__:
    for n in sorted(os.listdir(p)):
        if os.path.isdir(os.path.join(p, n, 'lib')): print(os.path.join(p, n, 'lib'))" 2>/dev/null); do
    ls "$d"/libcudart.so.13* "$d"/libcublas.so.13* "$d"/libnccl.so.2* >/dev/null 2>&1 && add_dir "$d"
  done
fi
export PARALAB_EXTRA_LIBS="$CUDA_DIRS"
if [ -z "${PARALAB_NCCL_LIBRARY:-}" ]; then
  for d in ${CUDA_DIRS//:/ }; do [ -e "$d/libnccl.so.2" ] && export PARALAB_NCCL_LIBRARY="$d/libnccl.so.2" && break; done
fi
# shellcheck disable=SC1091
source "$B/env.sh"
PARALAB="$LOADER $B/bin/paralab"
say "library path: bundle, then $CUDA_DIRS; NCCL: ${PARALAB_NCCL_LIBRARY:-not found}"

# --- steps and the summary, rewritten after every step -----------------------
STEPS="$OUT/steps.tsv"
: >"$STEPS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$STEPS"; write_summary; }
write_summary() {
  [ -n "$PY" ] || { cp "$STEPS" "$OUT/summary.txt"; return; }
  "$PY" - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
steps = []
for line in open(os.path.join(out, "steps.tsv")):
    name, status, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
    steps.append({"step": name, "status": status, "detail": detail})
failed = [s for s in steps if s["status"] == "failed"]
passed = [s for s in steps if s["status"] == "passed"]
verdict = "failed" if failed or not passed else "passed"
j = {"verdict": verdict, "steps": steps}
json.dump(j, open(os.path.join(out, "summary.json"), "w"), indent=2)
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(f"paralab GPU check: {verdict.upper()}\n")
    for s in steps:
        f.write(f"  {s['status']:<8} {s['step']:<22} {s['detail']}\n")
PY
}

# 1. The device, from its own attributes (nvidia-smi when present; calibrate
#    adds cudaDeviceGetAttribute figures to the profile).
(timeout -k 5 15 nvidia-smi --query-gpu=name,memory.total,clocks.max.memory,driver_version --format=csv 2>&1 || echo "nvidia-smi not available or timed out") >"$OUT/device.txt"
say "device: $(tail -n +2 "$OUT/device.txt" | head -2 | tr '\n' ' ')"

# 2. Calibration (also the no-device check).
say "calibrate --backend cuda --quick"
timeout -k 5 60 $PARALAB calibrate --backend cuda --quick --scratch-dir "$SCRATCH" -o "$OUT/profile-cuda.json" \
  --db "$OUT/paralab-gpu.db" --json >"$OUT/calibrate.json" 2>"$OUT/calibrate.err"
rc=$?
if grep -q "no usable CUDA device\|no CUDA device" "$OUT/calibrate.err"; then
  record device failed "$(grep -o 'no usable CUDA device.*\|no CUDA device.*' "$OUT/calibrate.err" | head -1)"
  for s in calibrate gpu_tests validate infer_pipo infer_flexgen infer_accelerate; do record "$s" "not run" "no usable CUDA device"; done
  cat "$OUT/summary.txt"; exit 1
fi
if [ $rc = 0 ] && [ -n "$PY" ]; then
  "$PY" - "$OUT/profile-cuda.json" >"$OUT/calibrate.txt" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
m = p.get("machine", {})
print(f"device: {m.get('gpu')} cc {m.get('gpu_compute_capability')}, {m.get('gpu_memory_bytes', 0)/1e9:.0f} GB, "
      f"HBM peak {m.get('gpu_peak_memory_bytes_per_s', 0)/1e12:.2f} TB/s, L2 {m.get('gpu_l2_bytes', 0)/2**20:.0f} MiB, "
      f"{m.get('gpu_sm_count')} SMs, {m.get('gpu_count')} GPU(s)")
for d in p.get("devices", []):
    print("peak GEMM:", ", ".join(f"{k} {v/1e12:.0f} TFLOP/s" for k, v in d.get("peak_flops_per_s", {}).items()))
    print("bf16 GEMM efficiency by size:", ", ".join(f"{s:.2g} FLOP {100*e:.0f}%" for s, e in d.get("gemm_efficiency_curve", [])))
    print(f"device memory sweep: {d.get('memory_bandwidth_bytes_per_s', 0)/1e12:.2f} TB/s")
    for f, pts in d.get("quantized_gemm_seconds_per_weight", {}).items():
        print(f"INT4 kernels {f}:", ", ".join(f"m={m:g} {s*1e12:.3f} ps/weight" for m, s in pts))
for l in p.get("links", []):
    print(f"link {l['kind']}: {l['bandwidth_bytes_per_s']/1e9:.1f} GB/s, latency {l['latency_seconds']*1e6:.1f} us ({l['measured']})")
for c in p.get("collectives", []):
    print(f"{c['transport']} {c['kind']} x{c['ranks']}: busbw {c['busbw_bytes_per_s']/1e9:.1f} GB/s, alpha {c['alpha_seconds']*1e6:.1f} us")
for n in p.get("notes", []):
    print("note:", n)
# Figures no device can reach mean the measurement is wrong (a cache, a
# clock): the calibration has failed, whatever its exit status.
hbm = m.get("gpu_peak_memory_bytes_per_s", 0)
for d in p.get("devices", []):
    bw = d.get("memory_bandwidth_bytes_per_s", 0)
    if bw <= 0 or (hbm > 0 and bw > 1.05 * hbm):
        print(f"CHECK FAILED: device memory sweep {bw/1e12:.2f} TB/s against an HBM peak of {hbm/1e12:.2f} TB/s")
    if d.get("peak_flops_per_s", {}).get("bf16", 0) <= 0:
        print("CHECK FAILED: no bf16 GEMM rate")
    for s, e in d.get("gemm_efficiency_curve", []) + d.get("memory_efficiency_curve", []):
        if not 0 < e <= 1.05:
            print(f"CHECK FAILED: efficiency {e:.3f} at size {s:.3g} outside (0, 1.05]")
PY
  record device passed "$(head -1 "$OUT/calibrate.txt")"
  if grep -q "^CHECK FAILED" "$OUT/calibrate.txt"; then
    record calibrate failed "$(grep '^CHECK FAILED' "$OUT/calibrate.txt" | tr '\n' ';')"
  else
    record calibrate passed "$(grep -c . "$OUT/calibrate.txt") lines in calibrate.txt"
  fi
  # Passed only with an all-reduce fit and no failed result check; "not run"
  # on one GPU.
  if grep -q "NCCL collectives not measured" "$OUT/calibrate.txt"; then
    record nccl_sweep "not run" "$(grep -o 'NCCL collectives not measured.*' "$OUT/calibrate.txt" | head -1)"
  elif grep -q "^nccl all_reduce" "$OUT/calibrate.txt" && ! grep -q "^note: nccl_" "$OUT/calibrate.txt"; then
    record nccl_sweep passed "$(grep '^nccl' "$OUT/calibrate.txt" | tr '\n' ';')"
  else
    record nccl_sweep failed "$(grep '^nccl\|^note: nccl_' "$OUT/calibrate.txt" | tr '\n' ';')"
  fi
else
  record calibrate failed "exit $rc: $(tail -c 300 "$OUT/calibrate.err" | tr '\n' ' ')"
fi

# 3. GPU tests: the suites named *Gpu (and QmatmulGpuLaunch), no CPU test
#    whose name merely mentions a GPU; they skip with a reason without what
#    they need, and a skip is "not run".
for t in kernels real; do
  say "GPU tests: ${t}_fast_tests"
  timeout -k 5 50 $LOADER "$B/bin/${t}_fast_tests" --gtest_filter='*Gpu.*:*GpuLaunch.*' \
    --gtest_output="json:$OUT/gpu_tests_$t.json" >"$OUT/gpu_tests_$t.txt" 2>&1
  rc=$?
  if [ -n "$PY" ] && [ -s "$OUT/gpu_tests_$t.json" ]; then
    "$PY" - "$OUT/gpu_tests_$t.json" "$OUT/gpu_tests_$t.txt" <<'PY' >>"$STEPS"
import json, re, sys
j = json.load(open(sys.argv[1]))
# Skip reasons are only in the text output: "[ RUN      ] S.T", "...: Skipped", reason.
reasons, cur, lines = {}, None, open(sys.argv[2], errors="replace").read().splitlines()
for i, line in enumerate(lines):
    m = re.match(r"\[ RUN      \] (\S+)", line)
    if m:
        cur = m.group(1)
    elif line.endswith(": Skipped") and cur and i + 1 < len(lines):
        reasons[cur] = lines[i + 1].strip()
for suite in j.get("testsuites", []):
    for t in suite.get("testsuite", []):
        name = f"{suite['name']}.{t['name']}"
        if t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
            # Calibration found a GPU before this step, so only a test that
            # needs more GPUs than there are may skip; any other skip (no
            # device visible: a driver older than the CUDA 13 runtime, a
            # build without CUDA) means nothing was checked: failed.
            why = reasons.get(name, "skipped")
            print(f"{name}\t{'not run' if why.startswith('needs ') else 'failed'}\t{why[:200]}")
        elif t.get("failures"):
            print(f"{name}\tfailed\t{t['failures'][0].get('failure', '')[:300].replace(chr(10), ' ')}")
        else:
            props = {k: v for k, v in t.items() if k.endswith("bytes_per_s") or k in ("l2_bytes", "working_set_bytes")}
            print(f"{name}\tpassed\t{json.dumps(props) if props else ''}")
PY
    write_summary
  fi
  [ $rc = 0 ] || record "${t}_gpu_tests" failed "exit $rc (see gpu_tests_$t.txt)"
done
grep -h "GB/s of" "$OUT"/gpu_tests_*.txt >>"$OUT/calibrate.txt" 2>/dev/null

# 4. Validation against the simulator.
say "validate --backend cuda --quick"
PROFILE_ARG=()
[ -s "$OUT/profile-cuda.json" ] && PROFILE_ARG=(--profile "$OUT/profile-cuda.json")
timeout -k 5 75 $PARALAB validate --backend cuda --quick --runs 3 ${PROFILE_ARG[@]+"${PROFILE_ARG[@]}"} --scratch-dir "$SCRATCH" \
  --db "$OUT/paralab-gpu.db" --json >"$OUT/validate.json" 2>"$OUT/validate.err"
rc=$?
if [ -n "$PY" ] && [ -s "$OUT/validate.json" ]; then
  "$PY" - "$OUT/validate.json" "$rc" >"$OUT/validate.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for f in j.get("failures", []):
    print("failed:", f)
for r in j["runs"]:
    util = ", ".join(f"{100*u:.0f}%" for u in r.get("measured_device_utilization", []))
    nvml = ", ".join(f'dev {u["device"]}: {u["mean_gpu_percent"]:.0f}% ({u["samples"]} samples)' for u in r.get("nvml_utilization", []))
    err = r.get("relative_error")  # null when the real run failed
    print(f'{r["name"]}: measured {r.get("measured_seconds") or 0:.6f} s, simulated {r.get("simulated_seconds") or 0:.6f} s, '
          f'error {"-" if err is None else f"{100*err:.1f}%"} [{r.get("status")}] {r.get("message", "")}')
    print(f'  utilization: kernel intervals {util or "-"}; NVML {nvml or "not sampled (see notes)"}')
med, mx = j.get("median_relative_error"), j.get("max_relative_error")
ok = j.get("passed") and med is not None and med < 0.10 and mx < 0.20
print(("PASS" if ok else "FAIL") + f": median {'-' if med is None else f'{100*med:.1f}%'}, worst {'-' if mx is None else f'{100*mx:.1f}%'}"
      + " (target: median < 10%, worst < 20%)" + ("" if j.get("passed") else "; " + "; ".join(j.get("failures", []))))
PY
  verdict=$(tail -1 "$OUT/validate.txt")
  case "$verdict" in PASS*) record validate passed "$verdict" ;; *) record validate failed "$verdict" ;; esac
else
  record validate failed "exit $rc: $(tail -c 300 "$OUT/validate.err" | tr '\n' ' ')"
fi

# 5. Offloaded inference with the INT4 CUDA kernels (PIPO and two of its
#    baselines): tests/data/inference/host-decoder.json (8 blocks, h 2048,
#    214 MB at int4-g128) on this GPU with its memory capped to 96 MiB, so
#    every schedule streams weights from pinned host memory; each plan's
#    graph runs for real (--execute cuda, the faster of 2 repetitions)
#    beside its simulation on the calibrated profile.
for s in pipo flexgen accelerate; do
  say "plan infer --schedule $s --weights int4-g128 --execute cuda"
  timeout -k 5 15 $PARALAB plan infer --model "$B/data/host-decoder.json" --cluster dgx-h100 \
    --set 'components[kind=gpu].device.memory_bytes=100663296' --prompt-len 8 --gen-len 64 --batch 4 \
    --weights int4-g128 --schedule "$s" ${PROFILE_ARG[@]+"${PROFILE_ARG[@]}"} --execute cuda --repetitions 2 \
    --scratch-dir "$SCRATCH" --db "$OUT/paralab-gpu.db" --json >"$OUT/infer-$s.json" 2>"$OUT/infer-$s.err"
  rc=$?
  line=""
  if [ -n "$PY" ] && [ -s "$OUT/infer-$s.json" ]; then
    line=$("$PY" - "$OUT/infer-$s.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
r = j.get("real", {})
if j.get("status") != "ok" or r.get("status") != "ok":
    print("FAIL: simulation", j.get("status"), "; real run", r.get("status"), r.get("message", ""))
else:
    err = r["relative_error_seconds"]
    print(("PASS" if abs(err) < 0.15 else "FAIL") +
          f": measured {r['seconds']:.4f} s ({r['tokens_per_second']:.0f} tok/s, GPU busy {100*r['device_busy']:.0f}%), "
          f"simulated {j['prefill_seconds'] + j['decode_seconds']:.4f} s (busy {100*j['gpu_utilization']:.0f}%), "
          f"time error {100*err:+.1f}% (target < 15%)")
PY
)
  fi
  case "$line" in
    PASS*) record "infer_$s" passed "$line" ;;
    FAIL*) record "infer_$s" failed "$line" ;;
    *) record "infer_$s" failed "exit $rc: $(tail -c 300 "$OUT/infer-$s.err" | tr '\n' ' ')" ;;
  esac
done

cat "$OUT/summary.txt" | tee -a "$LOG"
[ -n "$PY" ] || { echo "gpu_check: python3 missing: cannot judge the results" >&2; exit 1; }
grep -q "^paralab GPU check: PASSED" "$OUT/summary.txt"
