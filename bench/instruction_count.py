#!/usr/bin/env python3
"""Instruction count of paralab on a fixed scenario, under valgrind's callgrind.

A noise-free speed check: unlike wall time, the number of instructions a
deterministic simulation executes does not depend on what else runs on the
machine (it does depend on the compiler, its flags and the libraries, so the
reference belongs to one toolchain: Debian 12's g++ 12, RelWithDebInfo).

Scenario: `paralab simulate` of the Megatron-LM GPT-3 175B plan of
Korthikanti et al. (TP 8 x PP 8 on 64 A100s, selective recomputation and
sequence parallelism, 64 micro-batches), flow-level collectives, recorded
into a scratch database; the plan is written by `paralab plan megatron`
outside the measurement.

  bench/instruction_count.py build/paralab [--reference bench/reference/instructions.json]
                             [--tolerance 0.005] [--update]

Exits 1 when the count moved by more than the tolerance either way (fewer
instructions is good news, but the reference should then be updated in the
same commit so the next regression is measured from there), 77 when
valgrind is missing (CTest's skip code; fails under CI=true instead).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

PLAN = ["plan", "megatron", "--model", "megatron-gpt-175b", "--cluster", "dgx-a100-80gb", "--nodes", "8",
        "--seq", "2048", "--global-batch", "64", "--tp", "8", "--pp", "8", "--micro-batch", "1",
        "--recompute", "selective", "--sequence-parallel", "--schedule", "1f1b"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paralab")
    ap.add_argument("--reference", default=os.path.join(here, "reference", "instructions.json"))
    ap.add_argument("--tolerance", type=float, default=0.005)
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    valgrind = shutil.which("valgrind")
    if not valgrind:
        if os.environ.get("CI") == "true":
            print("valgrind is not installed (CI=true: required; scripts/install-deps.sh installs it)", file=sys.stderr)
            return 1
        print("SKIP: valgrind is not installed (scripts/install-deps.sh installs it)")
        return 77
    with tempfile.TemporaryDirectory(prefix="paralab-callgrind-") as tmp:
        plan = os.path.join(tmp, "plan.json")
        subprocess.run([a.paralab] + PLAN + ["-o", plan], check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(tmp, "callgrind.out")
        cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", a.paralab, "simulate", "--plan", plan,
               "--db", os.path.join(tmp, "runs.db")]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = None
        with open(out) as fh:
            for line in fh:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        if total is None:
            print(f"{out}: no summary line", file=sys.stderr)
            return 3
    scenario = "paralab simulate --plan (" + " ".join(PLAN[2:]) + ")"
    if a.update or not os.path.exists(a.reference):
        with open(a.reference, "w") as fh:
            json.dump({"scenario": scenario, "instructions": total,
                       "toolchain": "Debian 12 g++ 12, CMAKE_BUILD_TYPE RelWithDebInfo",
                       "note": "written by bench/instruction_count.py --update"}, fh, indent=1)
            fh.write("\n")
        print(f"{a.reference}: {total:,} instructions")
        return 0
    with open(a.reference) as fh:
        ref = json.load(fh)
    if ref.get("scenario") != scenario:
        print(f"{a.reference}: its scenario differs from this script's; rerun with --update", file=sys.stderr)
        return 2
    ratio = total / ref["instructions"]
    print(f"{scenario}\ninstructions: {total:,} now, {ref['instructions']:,} reference, ratio {ratio:.4f} "
          f"(tolerance {100 * a.tolerance:.1f}%)")
    if abs(ratio - 1) > a.tolerance:
        print("the instruction count moved beyond tolerance; if intended, refresh the reference in the same commit:\n"
              "  bench/instruction_count.py build/paralab --update", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
