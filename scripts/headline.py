#!/usr/bin/env python3
"""The headline table of `make run`: each published claim beside paralab's figure.

Reads the `--json` outputs the main job saved (scripts/main-job.sh) from one
folder: korthikanti.json, uniap.json, pipo.json, lcq.json, validate.json and
loadavg-before.txt / loadavg-after.txt (copies of /proc/loadavg). Missing
files are reported as "not run". Python standard library only.

Usage: headline.py DIR
"""
import json
import os
import statistics
import sys


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        text = fh.read()
    try:
        return json.loads(text)
    except ValueError:
        return None


def pct(x):
    return "-" if x is None else f"{100 * x:+.1f}%"


def signed_error(r):
    """(simulated - measured) / measured of a validation run: its relative_error is the absolute value."""
    m, s = r.get("measured_seconds"), r.get("simulated_seconds")
    return pct((s - m) / m) if m and s is not None else "-"


def main(d):
    rows = []  # (claim, source, published, paralab)

    k = load(d, "korthikanti.json")
    if k:
        # A sweep: each run names its configuration as "key=value ..." pairs.
        for r in k["runs"]:
            cfg = dict(kv.split("=", 1) for kv in r["run"].split())
            gpus = int(cfg["tp"]) * int(cfg["pp"])
            label = "full recompute" if cfg["recompute"] == "full" else "selective + SP"
            rows.append((f"Megatron-LM {cfg['model'].replace('megatron-gpt-', '').upper()} on {gpus} A100, {label}",
                         "Korthikanti et al. 2022",
                         f"{r['published_iteration_seconds']:.2f} s/iter",
                         f"{r['step_seconds']:.2f} s/iter ({pct(r['relative_error'])})"))
    else:
        rows.append(("Megatron-LM iteration times", "Korthikanti et al. 2022", "", "not run"))

    n = load(d, "narayanan.json")
    if n:
        rows.append((f"Held out: Megatron-LM TFLOP/s per GPU, {len(n['rows'])} rows, <= "
                     f"{max(r['gpus'] for r in n['rows'])} A100 (same cluster file)",
                     "Narayanan et al. 2021", "Table 1",
                     f"largest error {100 * n['max_abs_relative_error']:.1f}%, "
                     f"median {100 * n['median_abs_relative_error']:.1f}%"))

    u = load(d, "uniap.json")
    if u:
        for r in u.get("throughput", []):
            if r["cluster"] == "commodity-2x4-10gbe" and r["model"] == "bert-huge":
                g = r.get("galvatron", {}).get("samples_per_second", 0)
                a = r.get("alpa", {}).get("samples_per_second", 0)
                us = r.get("uniap", {}).get("samples_per_second", 0)
                rows.append(("UniAP on BERT-Huge, 2x4 GPUs over 10 Gb/s: over Galvatron / Alpa", "UniAP (CVPR 2025)",
                             "1.72x / 1.20x",
                             f"{us / g:.2f}x / {us / a:.2f}x" if g and a else "-"))
        for r in u.get("hand_set", []):
            rows.append((f"Hand-set configurations that fail ({r['model']}, {r['cluster']})", "UniAP (CVPR 2025)",
                         "64-87%", f"{100 * r['failed'] / r['configurations']:.0f}% of {r['configurations']}"))
    else:
        rows.append(("UniAP against its baselines", "UniAP (CVPR 2025)", "", "not run"))

    p = load(d, "pipo.json")
    if p:
        for r in p.get("flexgen_t4", []):
            if r["system"] == "FlexGen" and r["model"] == "opt-30b":
                rows.append(("FlexGen OPT-30B on a T4, batch 144", "FlexGen benchmark table",
                             f"{r['published_tokens_per_second']:.2f} tok/s",
                             f"{r['simulated_tokens_per_second']:.2f} tok/s ({pct(r['relative_error'])})"))
        a6 = p.get("deepspeed_a6000", [])
        if a6:
            worst = max(a6, key=lambda r: abs(r["relative_error"]))
            rows.append((f"ZeRO-Inference, 4-bit weights, on an A6000: its {len(a6)} published rows",
                         "DeepSpeedExamples ZeRO-Inference table", "within 30%",
                         f"worst {pct(worst['relative_error'])} ({worst['model']})"))
        h = p.get("headline")
        if h:
            rows.append(("PIPO on Llama-2-13B INT4, RTX 3060 laptop: GPU busy, over FlexGen", "PIPO paper",
                         ">= 85%, >= 2x",
                         f"{100 * h['pipo_gpu_utilization']:.0f}%, {h['pipo_over_flexgen']:.2f}x "
                         f"(FlexGen {100 * h['flexgen_gpu_utilization']:.0f}%)"))
    else:
        rows.append(("PIPO against FlexGen", "PIPO paper", "", "not run"))

    q = load(d, "lcq.json")
    if q:
        for bits in (2, 3):
            gains = []
            for r in q["rows"]:
                if r["format"] != f"lcq-r2-b{bits}-g128/act-weighted":
                    continue
                rtn = [x for x in q["rows"] if x["matrix"] == r["matrix"] and x["bits"] == bits and
                       x["format"].startswith("rtn")]
                if rtn and rtn[0]["output_relative_error"] > 0:
                    gains.append(1 - r["output_relative_error"] / rtn[0]["output_relative_error"])
            if gains:
                rows.append((f"LCQ rank 2 vs round-to-nearest at {bits} bits, g128: output error", "LCQ paper",
                             "lower than RTN", f"{100 * statistics.mean(gains):.0f}% lower ({len(gains)} matrices)"))

    v = load(d, "validate.json")
    if v and v.get("median_relative_error") is not None:
        rows.append(("Simulated vs measured on this host (median / worst error)", "paralab README, idle VM",
                     "8-16% / 16-30%",
                     f"{100 * abs(v['median_relative_error']):.0f}% / {100 * abs(v['max_relative_error']):.0f}%"))

    w = [max(len(r[i]) for r in rows) for i in range(4)]
    w[0] = min(w[0], 72)
    head = ("claim", "source", "published", "paralab")
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)).rstrip())
    print("  ".join("-" * w[i] for i in range(4)))
    for r in rows:
        print("  ".join((r[i][:w[i]]).ljust(w[i]) for i in range(4)).rstrip())

    if v is not None:
        explain_validation(d, v)


def explain_validation(d, v):
    cores = os.cpu_count() or 1
    loads = []
    for name in ("loadavg-before.txt", "loadavg-after.txt"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            loads.append(float(open(p).read().split()[0]))
    print()
    for r in v.get("runs", []):
        print(f"  validation {r['name']:<26} measured {r['measured_seconds']:.4f} s "
              f"(min {r['measured_min_seconds']:.4f}, max {r['measured_max_seconds']:.4f}), "
              f"simulated {r['simulated_seconds']:.4f} s, error {signed_error(r)}")
    load = max(loads) if loads else None
    med = v.get("median_relative_error")
    if load is not None and load > cores + 0.5:
        print(f"  This host was busy: load average {load:.1f} on {cores} cores while it ran. Other jobs take CPU time")
        print("  from the measured runs (and from the calibration the simulator uses), so measured times stretch and")
        print("  the error grows with the load; on an idle machine the same validation gave medians of 8-16% and")
        print("  worst errors of 16-30% over eight cycles (README, 'Real execution'). Rerun")
        print("  `build/paralab validate --backend host` when the machine is idle.")
    elif med is not None and abs(med) > 0.10:
        print(f"  The median error is above 10% on a quiet host (load {load if load is not None else '?'} on {cores} "
              "cores): calibration and validation ran back to back, so check real/README.md for what is modelled.")
    else:
        print(f"  The host was quiet (load {load if load is not None else '?'} on {cores} cores): the simulator, "
              "calibrated a minute ago on this machine, is within the README's figures.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/headline")
