#!/usr/bin/python3
"""results/report.py's choice of runs: an experiment's page shows its latest
invocation (its newest run and the runs of the same experiment recorded just
before it, with no other experiment's run in between), newest run per
configuration. The database is created by `paralab results list` (the
store's own schema); the runs are inserted by hand, so the expected ids
follow from the order below.

Usage: report_invocation_test.py PARALAB
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "results"))
import report  # noqa: E402


def expect(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


with tempfile.TemporaryDirectory() as d:
    db = os.path.join(d, "runs.db")
    subprocess.run([sys.argv[1], "results", "list", "--db", db], check=True, stdout=subprocess.DEVNULL)
    conn = sqlite3.connect(db)
    # id: experiment, strategy, config
    rows = [("a", "x", "{}"),             # 1  an older invocation of a
            ("a", "y", "{}"),             # 2
            ("b", "x", "{}"),             # 3  b's only invocation
            ("a", "x", "{}"),             # 4  a again: superseded by 6 (same configuration)
            ("a", "y", '{"tp": 2}'),      # 5  a different configuration of y: kept
            ("a", "x", '{"timing": {"lower_seconds": 1}}'),  # 6  same configuration as 4 once timing is left out
            ("", "ad-hoc", "{}")]         # 7  no experiment: on no page
    for exp, strategy, config in rows:
        conn.execute("INSERT INTO runs (created_at, git_rev, host, backend, experiment, model, cluster, strategy, "
                     "config_json, status) VALUES ('t', 'r', 'h', 'sim', ?, 'm', 'c', ?, ?, 'ok')",
                     (exp, strategy, config))
    conn.commit()
    conn.close()
    blocks = report.latest_invocations(report.read_runs(db))
    got = {k: [r.id for r in v] for k, v in blocks.items()}
    expect(got == {"a": [5, 6], "b": [3]}, f"latest invocations {got}, expected a: [5, 6], b: [3]")
print("report invocations: 1 case passed")
