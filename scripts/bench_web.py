"""Budgets of the browser page (scripts/bench-web.sh), measured in headless Chromium, beside a
Pyodide page doing the same job. Prints a table; nothing here is a test.

- size: the page (target/web/wm-ethnicity.html, everything in one file) raw, gzip -9 and brotli
  -q 11; for Pyodide, the files its page fetched before it was ready (the runtime, the standard
  library, the lock file), each compressed the same way.
- start-up: from navigation to ready (the core compiled and its menus filled; Pyodide loaded and
  the validator defined), the median of --runs loads. Ours from file://, Pyodide from a server on
  loopback (it fetches its files, which file:// forbids).
- validation: the synthetic returns of scripts/bench.py (NHS ETHNIC CATEGORY letters with ~1% bad
  values) of 2,000, 100,000 and 1,000,000 rows, uploaded and checked. Ours: the core's validate
  job as the worker times it (reading the file in slices, checking, writing every finding as CSV)
  and the convert job after it. Pyodide: a stdlib-only Python validator of the same 18 codes
  (csv module; exact, residual Z/99, normalised after strip/upper, empty, unknown), findings as
  CSV in memory, on the whole file read as text.
- memory: the resident memory of Chromium's renderer processes (the page and its worker; the
  browser process, which may hold the output Blobs, is left out) before a file is chosen and at
  its peak while the file is checked and converted (sampled every 10 ms from /proc), and for ours
  the WebAssembly memory the validate job ended with (it only grows: its peak).

Usage: bench_web.py [--runs N] [--out DIR] [--skip-pyodide]"""

import argparse
import gzip
import http.server
import json
import os
import pathlib
import platform
import statistics
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import CODES, COLUMN, SCHEME, gen  # noqa: E402
from selenium.webdriver.common.by import By as Find  # noqa: E402
from test_web import PAGE, ROOT, browser, fill, load, quit_browser, wait  # noqa: E402

try:
    import brotli
except ImportError:
    brotli = None

PYODIDE = ROOT / "target/bench-web/node_modules/pyodide"
ROWS = [2_000, 100_000, 1_000_000]

VALIDATOR = """
import csv, io
CODES = set(%r)
RESIDUAL = {"Z", "99"}
def validate(text, column):
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    col = header.index(column)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["line", "column", "value", "rule"])
    n = errors = queries = 0
    for line, row in enumerate(rows, start=2):
        n += 1
        v = row[col] if col < len(row) else ""
        if v in CODES:
            if v in RESIDUAL:
                queries += 1
                w.writerow([line, column, v, "residual"])
            continue
        t = v.strip().upper()
        if not t:
            errors += 1
            w.writerow([line, column, "", "empty"])
        elif t in CODES:
            queries += 1
            w.writerow([line, column, v, "normalised"])
        else:
            errors += 1
            w.writerow([line, column, v, "unknown"])
    return [n, errors, queries, len(out.getvalue())]
""" % (sorted(CODES),)

PYODIDE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Pyodide validator</title>
<script src="node_modules/pyodide/pyodide.js"></script></head>
<body data-state="loading"><input type="file" id="file"><button id="run">run</button>
<p id="status"></p><script id="validator" type="text/plain">%s</script>
<script>
let py = null;
window.wmTimings = {};
loadPyodide({ indexURL: 'node_modules/pyodide/' }).then((p) => {
  py = p;
  py.runPython(document.getElementById('validator').textContent);
  window.wmTimings.ready = performance.now();
  document.body.dataset.state = 'ready';
});
document.getElementById('run').onclick = async () => {
  document.body.dataset.state = 'running';
  const t0 = performance.now();
  const text = await document.getElementById('file').files[0].text();
  const r = py.globals.get('validate')(text, %r).toJs();
  window.wmTimings.validate_ms = performance.now() - t0;
  window.wmTimings.result = Array.from(r);
  window.wmTimings.output_bytes = window.wmTimings.result[3];
  document.body.dataset.state = 'done';
};
</script></body></html>
"""


def compressed(data):
    return len(gzip.compress(data, 9)), (len(brotli.compress(data, quality=11)) if brotli else None)


def kib(n):
    return "-" if n is None else f"{n / 1024:,.0f} KiB"


def mib(peak):
    return f"{peak.before / 1024:,.0f} -> {peak.peak / 1024:,.0f} MiB"


def descendants(pid):
    children = {}
    for p in pathlib.Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def renderers(pids):
    out = []
    for pid in pids:
        try:
            if b"--type=renderer" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            pass
    return out


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Peak:
    """The summed RSS of Chromium's renderers when it starts, and the largest while it runs (a
    sampling thread)."""

    def __init__(self, driver):
        self.root = driver.service.process.pid
        self.before = rss_kib(renderers(descendants(self.root)))
        self.peak = self.before
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        pids, last = renderers(descendants(self.root)), time.time()
        while not self.stop.is_set():
            if time.time() - last > 0.5:
                pids, last = renderers(descendants(self.root)), time.time()
            self.peak = max(self.peak, rss_kib(pids))
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def timings(driver):
    return driver.execute_script("return window.wmTimings")


def startup(driver, url, runs):
    ready = []
    for _ in range(runs):
        driver.get(url)
        wait(driver, {"ready"}, 120)
        ready.append(timings(driver)["ready"])
    return statistics.median(ready)


def ours(driver, path):
    load(driver)
    fill(driver, path, ["--scheme", SCHEME, "--column", COLUMN])
    with Peak(driver) as peak:
        state = run_long(driver)
    if state != "done":
        sys.exit(f"the page did not check {path}: {driver.find_element(Find.ID, 'status').text}")
    t = timings(driver)
    records = int(driver.find_element(Find.CSS_SELECTOR, "#s-records b").text.replace(",", ""))
    return t, peak, records


def run_long(driver):
    driver.find_element(Find.ID, "run").click()
    time.sleep(0.05)
    return wait(driver, {"done", "error"}, 600)


def pyodide(driver, url, path):
    driver.get(url)
    wait(driver, {"ready"}, 120)
    driver.find_element(Find.ID, "file").send_keys(str(path))
    with Peak(driver) as peak:
        driver.find_element(Find.ID, "run").click()
        time.sleep(0.05)
        wait(driver, {"done"}, 600)
    return timings(driver), peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench-out")
    parser.add_argument("--skip-pyodide", action="store_true")
    args = parser.parse_args()
    files = {}
    for rows in ROWS:
        files[rows] = args.out / f"web-{rows}.csv"
        gen(rows, str(files[rows]))

    page = PAGE.read_bytes()
    wasm = (ROOT / "target/wasm32-unknown-unknown/wasm/wm_ethnicity_wasm.wasm").read_bytes()
    print(f"wm-ethnicity browser page, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {platform.machine()}")
    print("\n| download | raw | gzip -9 | brotli -q 11 |\n|---|---:|---:|---:|")
    g, b = compressed(page)
    print(f"| wm-ethnicity.html (page + core + worker + style) | {kib(len(page))} | {kib(g)} | {kib(b)} |")
    g, b = compressed(wasm)
    print(f"| of which the core (.wasm, as built; the page holds it gzip -9 in base64) | {kib(len(wasm))} | {kib(g)} | {kib(b)} |")

    server = None
    if not args.skip_pyodide:
        web = ROOT / "target/bench-web"
        (web / "pyodide.html").write_text(PYODIDE_PAGE % (VALIDATOR, COLUMN))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=str(web), **k)

            def log_message(self, *a):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        py_url = f"http://127.0.0.1:{server.server_port}/pyodide.html"

    driver = browser(pathlib.Path(args.out))
    try:
        rows_out = []
        start_ours = startup(driver, PAGE.as_uri(), args.runs)
        if server:
            start_py = startup(driver, py_url, args.runs)
            fetched = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)")
            raw = gz = br = 0
            for name in fetched:
                rel = name.split(f":{server.server_port}/", 1)[1]
                data = (ROOT / "target/bench-web" / rel).read_bytes()
                g, b = compressed(data)
                raw, gz, br = raw + len(data), gz + g, (br + b) if b is not None else None
            page_py = (ROOT / "target/bench-web/pyodide.html").read_bytes()
            g, b = compressed(page_py)
            print(f"| Pyodide {json.loads((PYODIDE / 'package.json').read_text())['version']}: page + "
                  f"{len(fetched)} files fetched ({', '.join(n.rsplit('/', 1)[1] for n in fetched)}) | "
                  f"{kib(raw + len(page_py))} | {kib(gz + g)} | {kib(None if br is None else br + b)} |")
        print("\n| start-up to ready (median of %d) | ms |\n|---|---:|" % args.runs)
        print(f"| wm-ethnicity page, file:// | {start_ours:,.0f} |")
        if server:
            print(f"| Pyodide page, http://127.0.0.1 | {start_py:,.0f} |")

        print("\n| job | rows | validate s | rows/s | convert s | output | renderers' RSS before -> peak | core's memory |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for rows, path in files.items():
            t, peak, records = ours(driver, path)
            v = t["validate_ms"] / 1000
            rows_out.append((rows, v))
            print(f"| wm-ethnicity page | {records:,} | {v:.3f} | {records / v / 1e6:.2f}M | "
                  f"{t['convert_ms'] / 1000:.3f} | {t['output_bytes'] / 2**20:,.1f} MiB | {mib(peak)} | {t['validate_memory'] / 2**20:.1f} MiB |")
        if server:
            for rows, path in files.items():
                t, peak = pyodide(driver, py_url, path)
                v = t["validate_ms"] / 1000
                n, errors, queries, _ = t["result"]
                print(f"| Pyodide, stdlib csv | {n:,} | {v:.3f} | {n / v / 1e6:.2f}M | - | {t['output_bytes'] / 2**20:,.1f} MiB | {mib(peak)} | - |")
        v100k = dict(rows_out)[100_000]
        print(f"\n100,000 rows validated in the page: {v100k:.3f} s (target < 2 s): {'ok' if v100k < 2 else 'MISSED'}")
    finally:
        quit_browser(driver)
        if server:
            server.shutdown()


if __name__ == "__main__":
    main()
