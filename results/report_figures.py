"""Figures of the paralab report (imported by results/report.py).

Each builder takes one experiment's runs (report.Run objects) and returns
Figure objects: the rows of data a figure draws, where each column comes from
(see report.py's docstring for the "source" forms) and a function drawing
those rows with matplotlib. Builders read only the runs they are given; the
timeline builder reads one Chrome trace file.
"""
import json
import math
import os
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]


class Figure:
    def __init__(self, name, title, caption, columns, sources, rows, draw):
        self.name, self.title, self.caption = name, title, caption
        self.columns, self.sources, self.rows, self.draw = columns, sources, rows, draw


# ---------------------------------------------------------------- drawing helpers

def grouped_bars(groups, series, values, ylabel, title, log=False, annotate=None):
    """values[(group, series)] -> number (missing or None: no bar)."""
    fig, ax = plt.subplots(figsize=(min(11.0, max(6.0, 0.9 * len(groups) * max(1, len(series)) / 2 + 3)), 4.2))
    n = max(1, len(series))
    width = 0.8 / n
    handles = []
    for si, s in enumerate(series):
        xs, ys = [], []
        for gi, g in enumerate(groups):
            v = values.get((g, s))
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            xs.append(gi - 0.4 + width * (si + 0.5))
            ys.append(v)
        handles.append(Patch(color=PALETTE[si % len(PALETTE)], label=s if ys else f"{s} (none)"))
        bars = ax.bar(xs, ys, width, color=PALETTE[si % len(PALETTE)])
        if annotate:
            for b, y in zip(bars, ys):
                ax.annotate(annotate(y), (b.get_x() + b.get_width() / 2, y), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20 if max((len(g) for g in groups), default=0) > 14 else 0, ha="right"
                       if max((len(g) for g in groups), default=0) > 14 else "center", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    if len(series) > 1:
        ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def hbars(labels, values, xlabel, title, fmt_value=lambda v: f"{v:.3g}", colors=None):
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(labels) + 1.4))
    ys = range(len(labels))
    ax.barh(ys, values, color=colors or PALETTE[0])
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    for y, v in zip(ys, values):
        ax.annotate(fmt_value(v), (v, y), xytext=(3 if v >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if v >= 0 else "right", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return fig


# ---------------------------------------------------------------- figures per experiment

def korthikanti_figures(runs):
    rows = []
    for r in runs:
        pub = r.metric("published_iteration_seconds")
        if pub is None:
            continue
        rc = r.config.get("strategies", [{}])[0].get("recompute", "?")
        rows.append({"run_id": r.id, "label": f"{r.model.replace('megatron-gpt-', '')} {rc}",
                     "published_seconds": pub, "simulated_seconds": r.step_seconds,
                     "relative_error": r.metric("relative_error")})
    if not rows:
        return []

    def draw(rs):
        groups = [x["label"] for x in rs]
        vals = {}
        for x in rs:
            vals[(x["label"], "published")] = x["published_seconds"]
            vals[(x["label"], "simulated")] = x["simulated_seconds"]
        fig = grouped_bars(groups, ["published", "simulated"], vals, "seconds per iteration",
                           "Megatron-LM iteration time: published vs simulated", log=True)
        ax = fig.axes[0]
        for i, x in enumerate(rs):
            if x["relative_error"] is not None:
                ax.annotate(f"{100 * x['relative_error']:+.1f}%", (i, max(x["published_seconds"], x["simulated_seconds"])),
                            ha="center", va="bottom", fontsize=8, xytext=(0, 3), textcoords="offset points")
        return fig

    src = {"run_id": {"field": "id", "run": "run_id"}, "label": {"label": True},
           "published_seconds": {"field": "metrics:$.published_iteration_seconds", "run": "run_id"},
           "simulated_seconds": {"field": "step_seconds", "run": "run_id"},
           "relative_error": {"field": "metrics:$.relative_error", "run": "run_id"}}
    return [Figure("korthikanti-iteration", "Iteration time, published (Korthikanti et al. 2022) and simulated",
                   "Selene DGX-A100 rows, sequence 2048; the label above each pair is the simulator's error.",
                   list(src), src, rows, draw)]


def uniap_figures(runs):
    planners = ["uniap", "ddp", "zero3", "megatron", "galvatron", "alpa"]
    by = OrderedDict()
    for r in runs:
        if r.strategy.startswith("planner "):
            by.setdefault((r.model, r.cluster), {})[r.strategy[len("planner "):]] = r
    figs = []
    rows = []
    for (model, cluster), ps in by.items():
        for p in planners:
            if p in ps:
                r = ps[p]
                rows.append({"run_id": r.id, "job": f"{model} on {cluster}", "planner": p, "status": r.status,
                             "samples_per_second": r.throughput})
    if rows:
        def draw(rs):
            groups = list(OrderedDict.fromkeys(x["job"] for x in rs))
            vals = {(x["job"], x["planner"]): x["samples_per_second"] for x in rs if x["status"] == "ok"}
            return grouped_bars(groups, planners, vals, "samples/s (simulated)", "Throughput of each planner's plan")
        src = {"run_id": {"field": "id", "run": "run_id"}, "job": {"label": True}, "planner": {"label": True},
               "status": {"field": "status", "run": "run_id"},
               "samples_per_second": {"field": "throughput", "run": "run_id"}}
        figs.append(Figure("uniap-throughput", "Training throughput per planner",
                           "FP32, GPipe, global batch 32; a missing bar is a planner that found no feasible plan.",
                           list(src), src, rows, draw))
    ratio_rows = []
    for (model, cluster), ps in by.items():
        u = ps.get("uniap")
        if not u or u.status != "ok":
            continue
        base = [ps[p] for p in planners[1:] if p in ps and ps[p].status == "ok" and ps[p].throughput > 0]
        for name, other in (("best baseline", max(base, key=lambda r: r.throughput) if base else None),
                            ("ddp", ps.get("ddp"))):
            if other is None or other.status != "ok" or other.throughput <= 0:
                continue
            ratio_rows.append({"run_id": u.id, "over_run_id": other.id, "job": f"{model} on {cluster}",
                               "over": f"{name} ({other.strategy[len('planner '):]})",
                               "speedup": u.throughput / other.throughput})
    if ratio_rows:
        def draw(rs):
            return hbars([f"{x['job']}: UniAP / {x['over']}" for x in rs], [x["speedup"] for x in rs],
                         "speedup (simulated samples/s ratio)", "UniAP's speedup", lambda v: f"{v:.2f}x")
        src = {"run_id": {"field": "id", "run": "run_id"}, "over_run_id": {"field": "id", "run": "over_run_id"},
               "job": {"label": True}, "over": {"label": True},
               "speedup": {"ratio": "throughput", "run": "run_id", "over": "over_run_id"}}
        figs.append(Figure("uniap-speedup", "UniAP over the best baseline and over data parallelism",
                           "Ratio of simulated throughputs (published: 1.20x-3.8x over the baselines).",
                           list(src), src, ratio_rows, draw))
    hand = OrderedDict()
    for r in runs:
        if r.strategy.startswith("hand-set "):
            hand.setdefault((r.model, r.cluster), []).append(r)
    if hand:
        rows = []
        for (model, cluster), rs in hand.items():
            failed = sum(1 for r in rs if r.status != "ok")
            rows.append({"job": f"{model} on {cluster}", "configurations": len(rs), "failed": failed,
                         "failure_rate": failed / len(rs), "run_ids": [r.id for r in rs]})

        def draw(rs):
            fig = hbars([x["job"] for x in rs], [100 * x["failure_rate"] for x in rs], "% of hand-set configurations",
                        "Hand-set configurations that fail (OOM or invalid)", lambda v: f"{v:.0f}%",
                        colors=PALETTE[3])
            fig.axes[0].axvspan(64, 87, color="grey", alpha=0.15, label="published range (64-87%)")
            fig.axes[0].set_xlim(0, 100)
            fig.axes[0].legend(fontsize=8, loc="lower right")
            return fig
        src = {"job": {"label": True}, "configurations": {"count": "runs", "runs": "run_ids"},
               "failed": {"count": "failed", "runs": "run_ids"}, "failure_rate": {"label": True},
               "run_ids": {"field": "id", "run": "run_ids"}}
        figs.append(Figure("uniap-failure-rate", "Failure rate of hand-set configurations",
                           "Every DP x TP x PP, micro-batch, ZeRO stage and recomputation choice, simulated.",
                           list(src), src, rows, draw))
    return figs


def inference_figures(exp, runs):
    rows = []
    for r in runs:
        if "gpu_utilization" not in r.metrics or r.cluster == "flexgen-t4":
            continue
        c = r.config
        case = f"{r.model} {c.get('weights', '')} {c.get('prompt_len', '?')}/{c.get('gen_len', '?')}"
        if c.get("kv_dtype", "fp16") != "fp16":
            case += f" KV {c['kv_dtype']}"
        rows.append({"run_id": r.id, "case": case, "schedule": r.strategy, "status": r.status,
                     "tokens_per_second": r.throughput, "gpu_utilization": r.metric("gpu_utilization")})
    if not rows:
        return []
    schedules = list(OrderedDict.fromkeys(x["schedule"] for x in rows))
    cases = list(OrderedDict.fromkeys(x["case"] for x in rows))
    src = {"run_id": {"field": "id", "run": "run_id"}, "case": {"label": True}, "schedule": {"label": True},
           "status": {"field": "status", "run": "run_id"},
           "tokens_per_second": {"field": "throughput", "run": "run_id"},
           "gpu_utilization": {"field": "metrics:$.gpu_utilization", "run": "run_id"}}

    def draw_tp(rs):
        vals = {(x["case"], x["schedule"]): x["tokens_per_second"] for x in rs if x["status"] == "ok"}
        return grouped_bars(cases, schedules, vals, "tokens/s (simulated)", "Offloaded-inference throughput",
                            annotate=lambda v: f"{v:.3g}")

    def draw_util(rs):
        vals = {(x["case"], x["schedule"]): 100 * x["gpu_utilization"] for x in rs if x["status"] == "ok"}
        fig = grouped_bars(cases, schedules, vals, "GPU busy (%)", "GPU utilization per schedule",
                           annotate=lambda v: f"{v:.0f}")
        fig.axes[0].set_ylim(0, 110)
        if exp == "pipo":
            fig.axes[0].axhline(85, color="grey", linestyle="--", linewidth=1)
            fig.axes[0].annotate("PIPO paper: >= 85%", (len(cases) - 0.5, 85), ha="right", va="bottom", fontsize=8,
                                 color="grey")
        return fig
    return [Figure(f"{exp}-inference-throughput", "Offloaded-inference throughput per schedule",
                   "Each schedule at the batch its own search picks (the ci experiment fixes batch 8).",
                   list(src), src, rows, draw_tp),
            Figure(f"{exp}-gpu-utilization", "GPU utilization per schedule",
                   "Share of the run the GPU computes; the rest is waiting for weights or KV cache.",
                   list(src), src, rows, draw_util)]


def validate_figures(runs):
    measured = OrderedDict((r.strategy, r) for r in runs if r.backend.startswith("real-"))
    simulated = {r.strategy: r for r in runs if r.backend == "sim"}
    rows = []
    for g, m in measured.items():
        s = simulated.get(g)
        if s is None:
            continue
        rows.append({"run_id": m.id, "sim_run_id": s.id, "graph": g, "measured_seconds": m.step_seconds,
                     "simulated_seconds": s.step_seconds,
                     "relative_error": m.metric("validation.relative_error")})
    if not rows:
        return []

    def draw(rs):
        fig = hbars([x["graph"] for x in rs], [100 * (x["relative_error"] or 0) for x in rs],
                    "(simulated - measured) / measured, %", "Simulated vs measured", lambda v: f"{v:+.1f}%",
                    colors=PALETTE[1])
        return fig
    src = {"run_id": {"field": "id", "run": "run_id"}, "sim_run_id": {"field": "id", "run": "sim_run_id"},
           "graph": {"label": True}, "measured_seconds": {"field": "step_seconds", "run": "run_id"},
           "simulated_seconds": {"field": "step_seconds", "run": "sim_run_id"},
           "relative_error": {"field": "metrics:$.validation.relative_error", "run": "run_id"}}
    return [Figure("validate-error", "Simulated vs measured time of the validation graphs",
                   "Real execution on this host (median of the real runs) against the simulator with the "
                   "calibrated profile.", list(src), src, rows, draw)]


def what_if_figures(exp, runs):
    rows = []
    for r in runs:
        w = r.metric("what_if")
        if not isinstance(w, dict):
            continue
        rows.append({"run_id": r.id, "what_if": f"{w['parameter']} x{w['factor']:.3g} ({r.model})",
                     "relative_throughput_change": w["relative_throughput_change"], "sensitivity": w["sensitivity"]})
    if not rows:
        return []

    def draw(rs):
        return hbars([x["what_if"] for x in rs], [x["sensitivity"] for x in rs],
                     "sensitivity (dT/T) / (dp/p) of throughput T to parameter p", "What-if sensitivities",
                     lambda v: f"{v:.2f}", colors=PALETTE[4])
    src = {"run_id": {"field": "id", "run": "run_id"}, "what_if": {"label": True},
           "relative_throughput_change": {"field": "metrics:$.what_if.relative_throughput_change", "run": "run_id"},
           "sensitivity": {"field": "metrics:$.what_if.sensitivity", "run": "run_id"}}
    return [Figure(f"{exp}-what-if", "What-if sensitivities",
                   "1 means throughput moves in proportion to the parameter; 0 means the parameter is not on the "
                   "critical path. Overrides go through the cluster file's own keys and are recorded with the run.",
                   list(src), src, rows, draw)]


def throughput_figure(exp, runs):
    rows = [{"run_id": r.id, "run": r.strategy, "status": r.status, "throughput": r.throughput,
             "unit": r.throughput_unit} for r in runs if r.throughput_unit and r.backend == "sim"]
    units = list(OrderedDict.fromkeys(x["unit"] for x in rows))
    if not rows:
        return []

    def draw(rs):
        fig, axes = plt.subplots(1, len(units), figsize=(6.5 * len(units), 0.4 * len(rs) + 1.6), squeeze=False)
        for ax, unit in zip(axes[0], units):
            sub = [x for x in rs if x["unit"] == unit]
            ax.barh(range(len(sub)), [x["throughput"] for x in sub],
                    color=[PALETTE[0] if x["status"] == "ok" else PALETTE[3] for x in sub])
            ax.set_yticks(range(len(sub)))
            ax.set_yticklabels([x["run"] + ("" if x["status"] == "ok" else f" [{x['status']}]") for x in sub], fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel(unit.replace("_per_s", "/s"))
            ax.grid(axis="x", alpha=0.3)
        fig.suptitle(f"{exp}: simulated throughput of every run")
        return fig
    src = {"run_id": {"field": "id", "run": "run_id"}, "run": {"field": "strategy", "run": "run_id"},
           "status": {"field": "status", "run": "run_id"}, "throughput": {"field": "throughput", "run": "run_id"},
           "unit": {"field": "throughput_unit", "run": "run_id"}}
    return [Figure(f"{exp}-throughput", "Throughput of every run", "Red bars are runs that failed (status in brackets).",
                   list(src), src, rows, draw)]


def lcq_figures(runs):
    rows = []
    for r in runs:
        fmt_name = r.config.get("format", "")
        variant = r.strategy.split("/", 1)[1] if "/" in r.strategy else ""
        if fmt_name.startswith("rtn-"):
            method = "RTN"
        elif fmt_name.startswith("lcq-r") and variant == "act-weighted" and "-dq" not in fmt_name:
            method = f"LCQ rank {fmt_name.split('-')[1][1:]}"
        else:
            continue
        bits = fmt_name.split("-b")[1].split("-")[0] if "-b" in fmt_name else "?"
        rows.append({"run_id": r.id, "matrix": r.config.get("matrix", r.model), "bits": bits, "method": method,
                     "output_relative_error": r.metric("output_relative_error")})
    if not rows:
        return []
    methods = list(OrderedDict.fromkeys(x["method"] for x in rows))

    def draw(rs):
        groups = list(OrderedDict.fromkeys(f"{x['matrix']} {x['bits']}-bit" for x in rs))
        vals = {(f"{x['matrix']} {x['bits']}-bit", x["method"]): x["output_relative_error"] for x in rs}
        return grouped_bars(groups, methods, vals, "output relative error ||X(W-W')^T|| / ||XW^T||",
                            "Quantization error: round-to-nearest and LCQ", log=True)
    src = {"run_id": {"field": "id", "run": "run_id"}, "matrix": {"label": True}, "bits": {"label": True},
           "method": {"label": True},
           "output_relative_error": {"field": "metrics:$.output_relative_error", "run": "run_id"}}
    return [Figure("lcq-error", "Output error of round-to-nearest and LCQ",
                   "Group size 128, activation-weighted LCQ fit; lower is better (log scale). Every variant is in the "
                   "table below.", list(src), src, rows, draw)]


def figures_for(exp, runs):
    if exp == "korthikanti":
        return korthikanti_figures(runs)
    if exp == "uniap":
        return uniap_figures(runs)
    if exp == "pipo":
        return inference_figures(exp, runs)
    if exp == "validate":
        return validate_figures(runs)
    if exp == "lcq":
        return lcq_figures(runs)
    if exp == "ci":
        return throughput_figure(exp, runs) + inference_figures(exp, runs) + what_if_figures(exp, runs)
    return what_if_figures(exp, runs)


# ---------------------------------------------------------------- timeline from a trace

def timeline_figure(trace_path, index):
    with open(trace_path) as fh:
        t = json.load(fh)
    events = t["traceEvents"] if isinstance(t, dict) else t
    procs, threads = {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    spans = [e for e in events if e.get("ph") == "X" and e.get("dur", 0) > 0]
    # An inference trace has one LM head per generated token: draw the last
    # decode step (between the last two heads). A training trace is one
    # iteration: draw all of it. The heads of one step come in a burst (one
    # per GPU batch): a gap over a tenth of the longest gap starts a new step.
    heads = sorted((e for e in spans if e["name"].endswith(" head")), key=lambda e: e["ts"])
    gaps = [b["ts"] - (a["ts"] + a["dur"]) for a, b in zip(heads, heads[1:])]
    steps = []
    for i, e in enumerate(heads):
        if steps and gaps[i - 1] <= max(gaps) / 10:
            steps[-1].append(e)
        else:
            steps.append([e])
    if len(steps) >= 2:
        lo, hi = steps[-2][-1]["ts"] + steps[-2][-1]["dur"], steps[-1][-1]["ts"] + steps[-1][-1]["dur"]
        what = "the last decode step"
    else:
        lo = min((e["ts"] for e in spans), default=0)
        hi = max((e["ts"] + e["dur"] for e in spans), default=1)
        what = "one iteration"
    spans = [e for e in spans if e["ts"] < hi and e["ts"] + e["dur"] > lo]
    lanes = list(OrderedDict.fromkeys(sorted(((e["pid"], e["tid"]) for e in spans))))[:32]
    lane_index = {ln: i for i, ln in enumerate(lanes)}
    rows = []
    for e in spans:
        ln = (e["pid"], e["tid"])
        if ln not in lane_index:
            continue
        words = e["name"].split()
        kind = ("forward" if "fwd" in words else "backward" if "bwd" in words else "recompute" if "recompute" in words
                else e.get("cat", ""))
        rows.append({"lane": f"{procs.get(ln[0], ln[0])} / {threads.get(ln, ln[1])}", "name": e["name"],
                     "category": e.get("cat", ""), "start_us": e["ts"], "duration_us": e["dur"], "kind": kind,
                     "lane_index": lane_index[ln]})
    rows.sort(key=lambda x: (x["lane_index"], x["start_us"]))
    cats = list(OrderedDict.fromkeys(x["kind"] for x in rows))
    lane_names = list(OrderedDict.fromkeys(x["lane"] for x in rows))

    def draw(rs):
        fig, ax = plt.subplots(figsize=(11, 0.35 * len(lane_names) + 1.6))
        labelled = set()
        for ci, cat in enumerate(cats):
            for li, lane in enumerate(lane_names):
                segs = [((x["start_us"] - lo) / 1e3, x["duration_us"] / 1e3) for x in rs
                        if x["kind"] == cat and x["lane"] == lane]
                if segs:
                    ax.broken_barh(segs, (li - 0.4, 0.8), facecolors=PALETTE[ci % len(PALETTE)],
                                   label=None if cat in labelled else cat)
                    labelled.add(cat)
        ax.set_yticks(range(len(lane_names)))
        ax.set_yticklabels([ln.split(", also stands")[0] + (" /" + ln.split(" / ", 1)[1] if ", also stands" in ln else "")
                            for ln in lane_names], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds")
        ax.set_xlim(0, (hi - lo) / 1e3)
        ax.legend(fontsize=7, loc="upper right", ncol=min(6, len(cats)))
        ax.set_title(f"{os.path.basename(trace_path)}: {what}")
        return fig
    src = {c: {"trace": os.path.abspath(trace_path)} for c in ("lane", "name", "category", "start_us", "duration_us")}
    src["kind"] = {"label": True}
    base = os.path.splitext(os.path.basename(trace_path))[0]
    return Figure(f"timeline-{index}-{safe(base)}", f"Timeline of {what} ({os.path.basename(trace_path)})",
                  f"Drawn from the simulator's Chrome trace; {len(lane_names)} streams and links, {len(rows)} ops.",
                  list(src), src, rows, draw)


def safe(s):
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in s)
