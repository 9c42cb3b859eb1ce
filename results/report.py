#!/usr/bin/python3
"""paralab report: static HTML pages with tables and figures, from the results store.

Run by `paralab report` (tools/cmd_report.cpp) under Debian's /usr/bin/python3
with python3-matplotlib. It only reads the database (opened read-only) and the
trace files it is given, and writes into the output folder:

  index.html                 the experiments recorded, with links
  <experiment>.html          one page per experiment: figures, then every run
  fig/<name>.png, .csv       each figure and the data it draws
  figures.json               the manifest: for each figure its image, its CSV
                             and where each CSV column comes from, so a check
                             can compare the CSV with the database

An experiment's page shows its latest invocation: the experiment's newest run
and the runs of the same experiment recorded just before it, with no other
experiment's run in between (several back-to-back invocations of one
experiment count as one; the newest run of each configuration is kept).

Column sources in figures.json ("source" of a column):
  {"field": F, "run": C}      the run whose id is in column C; F is a runs
                              column (throughput, step_seconds, status, ...),
                              "metrics:$.json.path" or "utilization:mean"
  {"ratio": F, "run": C, "over": D}   field F of run C divided by F of run D
  {"count": "runs"|"failed", "runs": C}   how many of the ids in column C
                              (';'-separated) exist / are not status ok
  {"trace": FILE}             the row is an event of the Chrome trace FILE
  {"label": true}             a label made from the other columns

The figures themselves are built in results/report_figures.py.
"""
import argparse
import csv
import html
import json
import math
import os
import shutil
import sqlite3
import sys
from collections import OrderedDict

try:
    import matplotlib.pyplot as plt

    sys.dont_write_bytecode = True  # nothing written into the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from report_figures import figures_for, safe, timeline_figure
except ImportError as e:  # exit 3: paralab's own environment is incomplete
    print(f"report.py: {e}; install python3-matplotlib (scripts/install-deps.sh) and run under /usr/bin/python3",
          file=sys.stderr)
    sys.exit(3)


class Run:
    __slots__ = ("id", "created_at", "git_rev", "host", "backend", "experiment", "model", "cluster", "strategy",
                 "config", "status", "message", "step_seconds", "throughput", "throughput_unit", "metrics",
                 "mean_utilization")

    def metric(self, path, default=None):
        v = self.metrics
        for part in path.split("."):
            if not isinstance(v, dict) or part not in v:
                return default
            v = v[part]
        return v


def read_runs(db_path):
    uri = "file:" + os.path.abspath(db_path) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        rows = conn.execute(
            "SELECT id, created_at, git_rev, host, backend, experiment, model, cluster, strategy, config_json, status, "
            "message, step_seconds, throughput, throughput_unit, metrics_json, "
            "(SELECT AVG(utilization) FROM run_devices d WHERE d.run_id = runs.id) FROM runs ORDER BY id").fetchall()
    except sqlite3.Error as e:
        raise ValueError(f"{db_path}: not a paralab results database ({e})")
    finally:
        conn.close()
    runs = []
    for r in rows:
        x = Run()
        (x.id, x.created_at, x.git_rev, x.host, x.backend, x.experiment, x.model, x.cluster, x.strategy, config,
         x.status, x.message, x.step_seconds, x.throughput, x.throughput_unit, metrics, x.mean_utilization) = r
        x.config = json.loads(config)
        x.metrics = json.loads(metrics)
        runs.append(x)
    return runs


def latest_invocations(runs):
    """experiment -> its latest invocation's runs, newest run per configuration, in id order."""
    out = OrderedDict()
    names = []
    for r in runs:
        if r.experiment and r.experiment not in names:
            names.append(r.experiment)
    for name in names:
        last = max(i for i, r in enumerate(runs) if r.experiment == name)
        first = last
        while first > 0 and runs[first - 1].experiment == name:
            first -= 1
        seen, block = set(), []
        for r in reversed(runs[first:last + 1]):
            key = (r.backend, r.model, r.cluster, r.strategy, json.dumps(strip_timing(r.config), sort_keys=True))
            if key not in seen:
                seen.add(key)
                block.append(r)
        out[name] = sorted(block, key=lambda r: r.id)
    return out


def strip_timing(j):
    if isinstance(j, dict):
        return {k: strip_timing(v) for k, v in j.items() if k not in ("timing", "run_id")}
    if isinstance(j, list):
        return [strip_timing(v) for v in j]
    return j


def fmt(v, digits=4):
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:.{digits}g}"
    return str(v)


class Report:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.fig_dir = os.path.join(out_dir, "fig")
        os.makedirs(self.fig_dir, exist_ok=True)
        self.manifest = []

    def write_figure(self, page, f):
        csv_rel, png_rel = f"fig/{f.name}.csv", f"fig/{f.name}.png"
        with open(os.path.join(self.out_dir, csv_rel), "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(f.columns)
            for row in f.rows:
                w.writerow([repr_csv(row[c]) for c in f.columns])
        fig = f.draw(f.rows)
        fig.savefig(os.path.join(self.out_dir, png_rel), dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.manifest.append({"page": page, "name": f.name, "title": f.title, "image": png_rel, "csv": csv_rel,
                              "rows": len(f.rows), "columns": {c: f.sources[c] for c in f.columns}})
        return (f'<figure><img src="{png_rel}" alt="{html.escape(f.title)}">'
                f'<figcaption><b>{html.escape(f.title)}.</b> {html.escape(f.caption)} '
                f'<a href="{csv_rel}">data (CSV)</a></figcaption></figure>\n')


def repr_csv(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return ";".join(str(x) for x in v)
    return "" if v is None else str(v)


# ---------------------------------------------------------------- pages

CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em auto;max-width:1150px;color:#222;padding:0 1em}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.fail td{background:#fff0f0}
figure{margin:1.5em 0}img{max-width:100%;border:1px solid #eee}figcaption{font-size:13px;color:#444}
.muted{color:#777;font-size:12px}pre{overflow-x:auto;font-size:12px;background:#f8f8f8;padding:.5em}"""


def page(title, body):
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<link rel=\"icon\" href=\"data:,\"><title>{html.escape(title)}</title><style>{CSS}</style></head>"
            f"<body>\n{body}</body></html>\n")


def runs_table(runs):
    extra = []
    for r in runs:
        for k, v in r.metrics.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in extra and k != "run_id":
                extra.append(k)
    extra = extra[:6]
    out = ["<table><tr><th>id</th><th>backend</th><th>model</th><th>cluster</th><th>strategy</th><th>status</th>"
           "<th>step s</th><th>throughput</th>" + "".join(f"<th>{html.escape(k)}</th>" for k in extra) + "</tr>"]
    for r in runs:
        cls = "" if r.status == "ok" else " class=\"fail\""
        tp = f"{fmt(r.throughput)} {r.throughput_unit.replace('_per_s', '/s')}" if r.throughput_unit else fmt(r.throughput)
        cells = "".join(f"<td class=\"n\">{fmt(r.metrics.get(k))}</td>" for k in extra)
        status = html.escape(r.status) + (f" <span class=\"muted\">{html.escape(r.message[:120])}</span>"
                                          if r.status != "ok" and r.message else "")
        out.append(f"<tr{cls}><td class=\"n\">{r.id}</td><td>{r.backend}</td><td>{html.escape(r.model)}</td>"
                   f"<td>{html.escape(r.cluster)}</td><td>{html.escape(r.strategy)}</td><td>{status}</td>"
                   f"<td class=\"n\">{fmt(r.step_seconds)}</td><td class=\"n\">{tp}</td>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--trace", action="append", default=[], help="Chrome trace to draw as a timeline (repeatable)")
    ap.add_argument("--headline", help="A text file (the headline table of `make run`) shown on the index page")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    runs = read_runs(a.db)
    # Built in a sibling folder and renamed at the end: an interrupted report
    # leaves the previous one whole.
    final = os.path.abspath(a.out)
    if os.path.exists(final) and os.listdir(final) and not os.path.exists(os.path.join(final, "figures.json")):
        raise ValueError(f"{a.out}: the folder holds files that are not a paralab report; choose another -o")
    a.out = f"{final}.partial-{os.getpid()}"
    try:
        build(a, runs)
    except BaseException:
        shutil.rmtree(a.out, ignore_errors=True)
        raise
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(a.out, final)


def build(a, runs):
    rep = Report(a.out)
    blocks = latest_invocations(runs)
    index_rows = []
    for exp, rs in blocks.items():
        body = [f"<p><a href=\"index.html\">all experiments</a></p><h1>{html.escape(exp)}</h1>",
                f"<p>{len(rs)} runs (ids {rs[0].id}-{rs[-1].id}), recorded {rs[0].created_at} to {rs[-1].created_at} "
                f"from revision {html.escape(rs[-1].git_rev)} on {html.escape(rs[-1].host)}; "
                f"{sum(r.status != 'ok' for r in rs)} did not end ok.</p>"]
        figs = figures_for(exp, rs)
        for f in figs:
            body.append(rep.write_figure(f"{exp}.html", f))
        body.append("<h2>Runs</h2>")
        body.append(runs_table(rs))
        with open(os.path.join(a.out, f"{safe(exp)}.html"), "w") as fh:
            fh.write(page(f"paralab: {exp}", "\n".join(body)))
        index_rows.append((exp, rs, len(figs)))
    timelines = []
    for i, t in enumerate(a.trace):
        try:
            f = timeline_figure(t, i)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{t}: not a Chrome trace that paralab wrote ({type(e).__name__}: {e})")
        timelines.append(rep.write_figure("index.html", f))
    body = ["<h1>paralab report</h1>",
            f"<p class=\"muted\">Database {html.escape(os.path.abspath(a.db))}: {len(runs)} runs. Each experiment's page "
            "shows its latest invocation.</p>",
            "<table><tr><th>experiment</th><th>runs</th><th>not ok</th><th>figures</th><th>latest run</th>"
            "<th>revision</th></tr>"]
    for exp, rs, nf in index_rows:
        body.append(f"<tr><td><a href=\"{safe(exp)}.html\">{html.escape(exp)}</a></td><td class=\"n\">{len(rs)}</td>"
                    f"<td class=\"n\">{sum(r.status != 'ok' for r in rs)}</td><td class=\"n\">{nf}</td>"
                    f"<td>{rs[-1].created_at}</td><td>{html.escape(rs[-1].git_rev)}</td></tr>")
    body.append("</table>")
    if a.headline:
        with open(a.headline) as fh:
            body.append("<h2>Headline: published claims and paralab's figures</h2><pre>" + html.escape(fh.read()) +
                        "</pre>")
    if timelines:
        body.append("<h2>Timelines</h2>")
        body.extend(timelines)
    with open(os.path.join(a.out, "index.html"), "w") as fh:
        fh.write(page("paralab report", "\n".join(body)))
    with open(os.path.join(a.out, "figures.json"), "w") as fh:
        json.dump({"db": os.path.abspath(a.db), "figures": rep.manifest}, fh, indent=1)
    if a.verbose:
        print(f"{len(index_rows)} pages, {len(rep.manifest)} figures", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except (sqlite3.Error, OSError, ValueError, KeyError) as e:
        print(f"report.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
