#!/usr/bin/python3
"""bench/compare_bench.py on hand-made Google Benchmark JSON: the ratio is
now / reference of the median CPU time (or the first repetition without a
median), and the exit code follows --max-ratio."""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "compare_bench.py")


def bench(name, cpu_ms, median_ms=None):
    out = [{"name": name, "run_name": name, "run_type": "iteration", "cpu_time": cpu_ms, "real_time": 2 * cpu_ms,
            "time_unit": "ms"}]
    if median_ms is not None:
        out.append({"name": name + "_median", "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
                    "cpu_time": median_ms, "real_time": 2 * median_ms, "time_unit": "ms"})
    return out


def run(ref, now, *args):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, benches in enumerate((ref, now)):
            p = os.path.join(d, f"{i}.json")
            json.dump({"context": {"date": "x", "host_name": "h", "num_cpus": 2}, "benchmarks": benches}, open(p, "w"))
            paths.append(p)
        r = subprocess.run([sys.executable, SCRIPT, *paths, *args], capture_output=True, text=True)
        return r.returncode, r.stdout


def expect(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


# A: 100 ms -> 130 ms (ratio 1.30 > 1.25: slower). B: first repetition 50 ms but
# median 40 ms now, against 40 ms: ratio 1.00 (the median wins).
ref = bench("A", 100) + bench("B", 40)
now = bench("A", 130) + bench("B", 50, median_ms=40)
rc, out = run(ref, now)
expect(rc == 1, f"a 1.30x slowdown must fail at the default 1.25x, got {rc}\n{out}")
expect("1.30  SLOWER" in out, out)
expect("B " in out and " 1.00" in out.split("B ")[1].splitlines()[0], out)
rc, out = run(ref, now, "--max-ratio", "1.5")
expect(rc == 0, f"1.30x passes at --max-ratio 1.5\n{out}")
# Real time is twice CPU time in both files: the same ratios.
rc, out = run(ref, now, "--time", "real", "--max-ratio", "1.5")
expect(rc == 0 and "1.30" in out, out)
# A benchmark missing from the current results fails.
rc, out = run(ref, bench("A", 100))
expect(rc == 1 and "missing" in out, out)
print("compare_bench: 4 cases passed")
