#!/usr/bin/python3
"""Checks a `paralab report` folder two ways.

data:    every figure's CSV (figures.json says where each column comes from)
         is compared with the database by its own SQL queries, and every image
         is a PNG of non-zero size;
browser: every page is opened in headless Chromium through the DevTools
         protocol (a websocket on a local port): the page must fire its load
         event, every <img> must decode (HTMLImageElement.decode() resolves
         and naturalWidth > 0), and the console must show no error: no
         console.error, no uncaught exception, no failed resource load (the
         Log domain's error entries).

Chromium runs with --headless --no-sandbox (needed as root),
--disable-dev-shm-usage (containers with a small /dev/shm) and a throw-away
profile. Without Chromium the browser check exits 77 (CTest's skip code),
unless CI=true, where a missing browser fails the check.

Usage: report_check.py REPORT_DIR [--db PATH] [--browser] [--no-data]
"""
import argparse
import base64
import csv
import json
import math
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


# ---------------------------------------------------------------- data check

def db_value(conn, run_id, field):
    if field.startswith("metrics:"):
        row = conn.execute("SELECT json_extract(metrics_json, ?) FROM runs WHERE id = ?",
                           (field[len("metrics:"):], run_id)).fetchone()
    elif field == "utilization:mean":
        row = conn.execute("SELECT AVG(utilization) FROM run_devices WHERE run_id = ?", (run_id,)).fetchone()
    else:
        if field not in ("id", "status", "step_seconds", "throughput", "throughput_unit", "strategy", "model", "cluster",
                         "backend", "experiment"):
            raise ValueError(f"unknown field {field}")
        row = conn.execute(f"SELECT {field} FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise LookupError(f"no run {run_id}")
    return row[0]


def same(csv_text, value):
    if value is None:
        return csv_text in ("", "None", "nan")
    if isinstance(value, (int, float)):
        try:
            x = float(csv_text)
        except ValueError:
            return False
        if math.isnan(x) and isinstance(value, float) and math.isnan(value):
            return True
        return abs(x - value) <= 1e-12 * max(1.0, abs(value))
    return csv_text == str(value)


def check_data(report_dir, db_path):
    manifest = json.load(open(os.path.join(report_dir, "figures.json")))
    db_path = db_path or manifest["db"]
    conn = sqlite3.connect("file:" + os.path.abspath(db_path) + "?mode=ro", uri=True)
    checked = 0
    traces = {}
    for fig in manifest["figures"]:
        png = os.path.join(report_dir, fig["image"])
        head = b""
        if os.path.exists(png):
            with open(png, "rb") as fh:
                head = fh.read(8)
        if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 1000:
            fail(f"{fig['image']}: not a PNG image")
        with open(os.path.join(report_dir, fig["csv"]), newline="") as fh:
            rows = list(csv.DictReader(fh))
        if len(rows) != fig["rows"] or not rows:
            fail(f"{fig['csv']}: {len(rows)} rows, the manifest says {fig['rows']}")
        for i, row in enumerate(rows):
            for col, src in fig["columns"].items():
                where = f"{fig['csv']} row {i + 1} column {col}"
                if "field" in src:
                    ids = row[src["run"]].split(";")
                    if src["field"] == "id":
                        for rid in ids:
                            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (int(rid),)).fetchone() is None:
                                fail(f"{where}: run {rid} is not in {db_path}")
                        continue
                    want = db_value(conn, int(ids[0]), src["field"])
                    if not same(row[col], want):
                        fail(f"{where}: {row[col]!r} but the database has {want!r} for run {ids[0]}")
                elif "ratio" in src:
                    a = db_value(conn, int(row[src["run"]]), src["ratio"])
                    b = db_value(conn, int(row[src["over"]]), src["ratio"])
                    if not same(row[col], a / b):
                        fail(f"{where}: {row[col]} but the database gives {a} / {b} = {a / b}")
                elif "count" in src:
                    ids = [int(x) for x in row[src["runs"]].split(";")]
                    marks = ",".join("?" * len(ids))
                    sql = f"SELECT COUNT(*) FROM runs WHERE id IN ({marks})"
                    if src["count"] == "failed":
                        sql += " AND status != 'ok'"
                    want = conn.execute(sql, ids).fetchone()[0]
                    if int(row[col]) != want:
                        fail(f"{where}: {row[col]} but the database counts {want}")
                elif "trace" in src:
                    path = src["trace"]
                    if path not in traces:
                        t = json.load(open(path))
                        ev = t["traceEvents"] if isinstance(t, dict) else t
                        traces[path] = {(e["name"], float(e["ts"]), float(e["dur"])) for e in ev if e.get("ph") == "X"}
                    if col == "name" and (row["name"], float(row["start_us"]), float(row["duration_us"])) not in traces[path]:
                        fail(f"{where}: event {row['name']!r} at {row['start_us']} us is not in {path}")
                elif not src.get("label"):
                    fail(f"{where}: unknown source {src}")
                checked += 1
    conn.close()
    print(f"data: {len(manifest['figures'])} figures, {checked} cells checked against {db_path}")
    return manifest


# ---------------------------------------------------------------- browser check

class WebSocket:
    """The few parts of RFC 6455 the DevTools protocol needs: text frames, client masking."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the browser closed the websocket handshake")
            resp += chunk
        if b" 101 " not in resp.split(b"\r\n", 1)[0]:
            raise ConnectionError("websocket handshake refused: " + resp.split(b"\r\n", 1)[0].decode())
        self.buf = resp.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        n = len(data)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the browser closed the websocket")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise ConnectionError("the browser closed the websocket")
            if opcode == 9:  # ping
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class DevTools:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method, timeout):
        end = time.time() + timeout
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.ws.sock.settimeout(max(0.1, end - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f"no {method} within {timeout} s")


IMAGES_JS = """(async () => {
  const out = [];
  for (const img of document.images) {
    let error = "";
    try { await img.decode(); } catch (e) { error = String(e); }
    out.push({src: img.getAttribute("src"), width: img.naturalWidth, height: img.naturalHeight, error: error});
  }
  return JSON.stringify({title: document.title, images: out});
})()"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def console_errors(events):
    errs = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errs.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                                for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            errs.append("uncaught: " + p.get("exceptionDetails", {}).get("text", "?"))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errs.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
    return errs


def check_browser(report_dir, manifest):
    exe = find_chromium()
    if not exe:
        if os.environ.get("CI") == "true":
            fail("chromium is not installed (CI=true: the browser check is required; scripts/install-deps.sh installs it)")
            return
        print("SKIP: chromium is not installed (scripts/install-deps.sh installs it)")
        sys.exit(SKIP)
    profile = tempfile.mkdtemp(prefix="paralab-chromium-")
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--no-first-run",
                             "--disable-extensions", "--disable-background-networking", "--remote-debugging-port=0",
                             f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        end = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if proc.poll() is not None or time.time() > end:
                fail(f"{exe} did not start (exit {proc.poll()})")
                return
            time.sleep(0.05)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        dt = DevTools(WebSocket(page_ws))
        for domain in ("Page", "Runtime", "Log"):
            dt.call(domain + ".enable")
        pages = sorted(f for f in os.listdir(report_dir) if f.endswith(".html"))
        expected = {}
        for fig in manifest["figures"]:
            expected.setdefault(fig["page"], set()).add(fig["image"])
        images = 0
        for name in pages:
            dt.events.clear()
            url = "file://" + os.path.abspath(os.path.join(report_dir, name))
            dt.call("Page.navigate", url=url)
            dt.wait_for("Page.loadEventFired", 30)
            res = dt.call("Runtime.evaluate", expression=IMAGES_JS, awaitPromise=True, returnByValue=True)
            info = json.loads(res["result"]["value"])
            time.sleep(0.1)  # let late console messages arrive
            dt.ws.sock.settimeout(0.2)
            try:
                while True:
                    dt.events.append(json.loads(dt.ws.recv()))
            except (socket.timeout, TimeoutError):
                pass
            dt.ws.sock.settimeout(30)
            for img in info["images"]:
                images += 1
                if img["error"] or img["width"] <= 0:
                    fail(f"{name}: image {img['src']} does not decode ({img['error'] or 'zero width'})")
            got = {img["src"] for img in info["images"]}
            if expected.get(name, set()) - got:
                fail(f"{name}: figures missing from the page: {sorted(expected[name] - got)}")
            for err in console_errors(dt.events):
                fail(f"{name}: {err}")
        print(f"browser: {len(pages)} pages, {images} images decoded in {os.path.basename(exe)}, console clean"
              if not failures else f"browser: {len(pages)} pages checked")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--db")
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--no-data", action="store_true")
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(a.report, "figures.json")))
    if not a.no_data:
        manifest = check_data(a.report, a.db)
    if a.browser:
        check_browser(a.report, manifest)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
