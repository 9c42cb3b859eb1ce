#!/usr/bin/env python3
"""Compares Google Benchmark results with a committed reference, by ratio.

  build/bench/sim_bench --benchmark_format=json --benchmark_out=now.json ...
  bench/compare_bench.py bench/reference/sim_bench.json now.json [--max-ratio 1.25] [--time cpu|real]
  bench/compare_bench.py bench/reference/sim_bench.json now.json --update   # rewrite the reference

For every benchmark in the reference it prints now / reference of the
chosen time (the median over --benchmark_repetitions when there is one; per iteration, CPU time by default: less sensitive than wall
time to other jobs on the machine) and exits 1 when one is slower than
--max-ratio or missing. Wall-clock ratios are only as good as the machine
is quiet: compare on the machine that wrote the reference; for a noise-free
check use the instruction count (bench/instruction_count.py). Python
standard library only.
"""
import argparse
import json
import shutil
import sys

UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def times(path, key):
    with open(path) as fh:
        j = json.load(fh)
    out, medians = {}, {}
    for b in j.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        t = b[key] * UNIT[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[b["run_name"]] = t
        else:
            out.setdefault(b.get("run_name", b["name"]), t)  # the first repetition unless a median exists
    out.update(medians)
    return j.get("context", {}), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--max-ratio", type=float, default=1.25)
    ap.add_argument("--time", choices=("cpu", "real"), default="cpu")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    if a.update:
        shutil.copyfile(a.current, a.reference)
        print(f"{a.reference}: rewritten from {a.current}")
        return 0
    key = a.time + "_time"
    ref_ctx, ref = times(a.reference, key)
    now_ctx, now = times(a.current, key)
    if not ref:
        print(f"{a.reference}: no benchmarks in the reference", file=sys.stderr)
        return 2
    print(f"reference {ref_ctx.get('date', '?')} on {ref_ctx.get('host_name', '?')} "
          f"({ref_ctx.get('num_cpus', '?')} CPUs); now {now_ctx.get('date', '?')} on {now_ctx.get('host_name', '?')}")
    print(f"{'benchmark':<40} {'reference s':>12} {'now s':>12} {'ratio':>7}")
    bad = 0
    for name, t in ref.items():
        if name not in now:
            print(f"{name:<40} {t:>12.4g} {'missing':>12}")
            bad += 1
            continue
        r = now[name] / t
        verdict = "  SLOWER" if r > a.max_ratio else ""
        bad += r > a.max_ratio
        print(f"{name:<40} {t:>12.4g} {now[name]:>12.4g} {r:>7.2f}{verdict}")
    print(f"{bad} of {len(ref)} benchmarks slower than {a.max_ratio:.2f}x the reference or missing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
