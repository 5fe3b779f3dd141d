#!/usr/bin/env python3
"""Benchmarks wm-ethnicity validate and convert against pandas; run through scripts/bench.sh.

Python standard library only (pandas runs in its own virtual environment, see bench_pandas.py).

    bench.py gen ROWS PATH [--seed N]       write a synthetic return
    bench.py run --bin BIN --out DIR [...]  generate, run every job, print the table

Every figure in the table comes from this run: ratios compare jobs run minutes apart on the same
machine. Wall time is the best of --repeat runs; peak RSS is the largest of them, read from
/usr/bin/time -v when it exists and from getrusage(RUSAGE_CHILDREN) of a one-child wrapper when
it does not.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import random
import subprocess
import sys
import time

SCHEME = "nhs-ethnic-category"
COLUMN = "ethnicity_code"
ID_COLUMN = "record_id"
SEED = 20261123
GEN_VERSION = 1

# NHS ETHNIC CATEGORY national codes, weighted roughly like a West Midlands return.
CODES = "A B C D E F G H J K L M N P R S Z 99".split()
WEIGHTS = [50, 1, 5, 2, 1, 1, 1, 4, 6, 2, 1, 2, 2, 1, 1, 3, 5, 8]
COUNCILS = [f"E080000{n}" for n in range(25, 32)]
# The ~1% bad values: lowercase, padded, empty, unknown (in equal shares).
UNKNOWN = ["X", "Q", "I", "O", "9", "T", "WBRI", "ZZ"]


def gen(rows: int, path: str, seed: int = SEED) -> None:
    """Writes a return of `rows` records; reuses an existing file made with the same inputs."""
    meta = f"{path}.meta"
    want = json.dumps({"rows": rows, "seed": seed, "version": GEN_VERSION})
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta, encoding="utf-8") as f:
            if f.read() == want:
                return
    rng = random.Random(seed)
    start = datetime.date(2025, 4, 1)
    dates = [(start + datetime.timedelta(days=d)).isoformat() for d in range(365)]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    chunk = 100_000
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(f"{ID_COLUMN},council,date,{COLUMN}\n")
        done = 0
        while done < rows:
            n = min(chunk, rows - done)
            codes = rng.choices(CODES, WEIGHTS, k=n)
            councils = rng.choices(COUNCILS, k=n)
            days = rng.choices(dates, k=n)
            for i in range(n):
                if rng.random() < 0.01:
                    codes[i] = bad_value(rng, codes[i])
            f.write(
                "".join(
                    f"{10_000_000 + done + i},{councils[i]},{days[i]},{codes[i]}\n"
                    for i in range(n)
                )
            )
            done += n
    os.replace(tmp, path)
    with open(meta, "w", encoding="utf-8") as f:
        f.write(want)


def bad_value(rng: random.Random, code: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return code.lower() if code.isalpha() else rng.choice("abcdefghjklmnprs")
    if kind == 1:
        return rng.choice([f" {code}", f"{code} ", f" {code} "])
    if kind == 2:
        return ""
    return rng.choice(UNKNOWN)


def measure(cmd, stdout=None):
    """Runs `cmd` once; returns (wall seconds, peak RSS in KiB, CPU seconds, exit code, stderr)."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    try:
        if os.path.exists("/usr/bin/time"):
            rfile = f"{stdout or '/tmp/wm-bench'}.time"
            t0 = time.perf_counter()
            p = subprocess.run(
                ["/usr/bin/time", "-v", "-o", rfile, *cmd],
                stdout=out,
                stderr=subprocess.PIPE,
            )
            wall = time.perf_counter() - t0
            rss, cpu = None, 0.0
            with open(rfile, encoding="utf-8") as f:
                for line in f:
                    key, _, value = line.strip().rpartition(": ")
                    if key == "Maximum resident set size (kbytes)":
                        rss = int(value)
                    elif key in ("User time (seconds)", "System time (seconds)"):
                        cpu += float(value)
            os.remove(rfile)
            code = p.returncode
        else:
            # A fresh wrapper per run, so RUSAGE_CHILDREN is this command's alone.
            wrapper = (
                "import resource,subprocess,sys,time\n"
                "t=time.perf_counter();r=subprocess.run(sys.argv[1:]).returncode\n"
                "w=time.perf_counter()-t;u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                "sys.stderr.write('\\nWMBENCH %f %d %f %d\\n' % "
                "(w, u.ru_maxrss, u.ru_utime + u.ru_stime, r))\n"
            )
            p = subprocess.run(
                [sys.executable, "-c", wrapper, *cmd],
                stdout=out,
                stderr=subprocess.PIPE,
            )
            tail = p.stderr.decode(errors="replace").rstrip().rsplit("\n", 1)[-1].split()
            wall, rss, cpu, code = float(tail[1]), int(tail[2]), float(tail[3]), int(tail[4])
    finally:
        if stdout:
            out.close()
    return wall, rss, cpu, code, p.stderr.decode(errors="replace")


def best_of(cmd, repeat, stdout=None, ok_codes=(0, 1), inner=False):
    """Best wall (with that run's CPU time) and largest RSS of `repeat` runs; with `inner`, also
    the best of the seconds the command reports itself on its last stdout line (pandas: the time
    after imports)."""
    runs, rsss, inners = [], [], []
    for _ in range(repeat):
        wall, rss, cpu, code, err = measure(cmd, stdout)
        if code not in ok_codes:
            sys.exit(f"bench: `{' '.join(cmd)}` exited {code}:\n{err[-2000:]}")
        runs.append((wall, cpu))
        rsss.append(rss)
        if inner:
            with open(stdout, encoding="utf-8") as f:
                inners.append(json.loads(f.read().strip().splitlines()[-1])["seconds"])
    wall, cpu = min(runs)
    return wall, max(rsss), cpu, (min(inners) if inner else None)


def startup(cmd, runs):
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            sys.exit(f"bench: `{' '.join(cmd)}` exited {p.returncode}")
    return best


def scheme_mapping(binary, path):
    """code -> its node, level, group, category, relationship and candidates, for every code of
    the scheme, from `wm-ethnicity lookup`."""
    p = subprocess.run(
        [binary, "lookup", "--scheme", SCHEME, *CODES, "--format", "csv"],
        check=True,
        capture_output=True,
        text=True,
    )
    fields = ("node", "level", "group", "category", "relationship", "candidates")
    mapping = {
        r["code"]: {f: r[f] for f in fields} for r in csv.DictReader(p.stdout.splitlines())
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(mapping, f)


def warm(path: str) -> None:
    """Reads a file once so that the timed runs find it in the page cache (a cold 10M file made
    one run wait on the disk at 38% CPU)."""
    with open(path, "rb") as f:
        while f.read(8 << 20):
            pass


def mib(kib):
    return kib / 1024


def run(a) -> None:
    b, out = a.bin, a.out
    os.makedirs(out, exist_ok=True)
    for sub in ("validate", "convert"):
        if subprocess.run([b, sub, "--help"], capture_output=True).returncode != 0:
            sys.exit(f"bench: `{b} {sub}` does not exist in this build")
    load0 = os.getloadavg()
    sizes = {"2k": 2_000, "1M": 1_000_000}
    if not a.no_10m:
        sizes["10M"] = 10_000_000
    files = {}
    for name, rows in sizes.items():
        files[name] = os.path.join(out, f"return-{name}.csv")
        t0 = time.perf_counter()
        gen(rows, files[name])
        print(f"bench: {files[name]} ready ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    def validate(f, *extra):
        return [b, "validate", f, "--scheme", SCHEME, "--column", COLUMN, "--format", "csv", *extra]

    def convert(f, *extra):
        return [
            b, "convert", f, "--scheme", SCHEME, "--column", COLUMN,
            "--output", os.path.join(out, "converted.csv"),
            "--rejects", os.path.join(out, "rejects.csv"), "--force", *extra,
        ]  # fmt: skip

    findings = os.path.join(out, "findings.csv")
    summary = os.path.join(out, "summary.txt")
    rows = []  # (job, rows, wall, rss_kib, cpu seconds)

    def job(name, nrows, cmd, stdout=None, repeat=None, inner=False):
        print(f"bench: {name} ...", file=sys.stderr)
        wall, rss, cpu, inside = best_of(cmd, repeat or a.repeat, stdout, inner=inner)
        rows.append((name, nrows, wall, rss, cpu))
        if inner:
            # The same runs timed from inside (after interpreter start and imports): the
            # conservative baseline the ratios use.
            rows.append(("  same, after import (ratios use this)", nrows, inside, rss, None))
            return inside, rss
        return wall, rss

    one = sizes["1M"]
    warm(files["1M"])
    v = job("validate (findings as CSV)", one, validate(files["1M"]), findings)
    v1 = job("validate --threads 1", one, validate(files["1M"], "--threads", "1"), findings)
    text_cmd = [*validate(files["1M"])[:-2], "--format", "text"]
    vt = job("validate, text summary (the default)", one, text_cmd, summary)
    vt1 = job("validate, text summary, --threads 1", one, [*text_cmd, "--threads", "1"], summary)
    vid = job(
        "validate --id-column", one, validate(files["1M"], "--id-column", ID_COLUMN), findings
    )
    c = job("convert (output + rejects)", one, convert(files["1M"]))
    c1 = job("convert --threads 1", one, convert(files["1M"], "--threads", "1"))
    aggregate = [
        b, "aggregate", files["1M"], "--scheme", SCHEME, "--column", COLUMN, "--to", "category",
        "--group-by", "council", "--output", os.path.join(out, "by-council.csv"),
        "--rejects", os.path.join(out, "aggregate-rejects.csv"), "--force",
    ]  # fmt: skip
    ag = job("aggregate --group-by council --to category", one, aggregate, summary)
    pv = pc = None
    if a.pandas:
        mapping = os.path.join(out, "nhs-mapping.json")
        scheme_mapping(b, mapping)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_pandas.py")
        pd_out = os.path.join(out, "pandas.out")
        pv = job(
            "pandas read_csv+isin+map, findings",
            one,
            [a.pandas, script, "validate", files["1M"], mapping, os.path.join(out, "pd-findings.csv")],
            pd_out,
            inner=True,
        )
        pc = job(
            "pandas read_csv+isin+map, to_csv x2",
            one,
            [
                a.pandas, script, "convert", files["1M"], mapping,
                os.path.join(out, "pd-converted.csv"), os.path.join(out, "pd-rejects.csv"),
            ],
            pd_out,
            inner=True,
        )  # fmt: skip
    v10 = v10id = None
    if "10M" in files:
        ten = sizes["10M"]
        warm(files["10M"])
        v10 = job("validate", ten, validate(files["10M"]), findings, repeat=1)
        v10id = job(
            "validate --id-column",
            ten,
            validate(files["10M"], "--id-column", ID_COLUMN),
            findings,
            repeat=1,
        )
    print("bench: start-up ...", file=sys.stderr)
    start = startup(validate(files["2k"]), a.startup_runs)
    start_help = startup([b, "--version"], a.startup_runs)

    # The table.
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()
    print()
    print(
        f"wm-ethnicity bench, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"
    )
    print(
        f"load average before {load0[0]:.2f}, after {load[0]:.2f} (a shared machine: other jobs "
        f"ran alongside; CPU% over 100 means the second core was used); wall = best of "
        f"{a.repeat} (10M: 1 run); RSS = peak"
    )
    print(f"input: {SCHEME} codes in column {COLUMN}, ~1% bad values, fixed seed")
    print()
    print(
        f"| {'job':38} | {'rows':>10} | {'wall s':>7} | {'rows/s':>8} | {'CPU%':>5} | "
        f"{'peak RSS':>10} |"
    )
    print(f"|{'-' * 40}|{'-' * 11}:|{'-' * 8}:|{'-' * 9}:|{'-' * 6}:|{'-' * 11}:|")
    for name, n, wall, rss, cpu_s in rows:
        share = "" if cpu_s is None else f"{100 * cpu_s / wall:4.0f}%"
        print(
            f"| {name:38} | {n:>10,} | {wall:7.3f} | {n / wall / 1e6:7.2f}M | {share:>5} | "
            f"{mib(rss):6.1f} MiB |"
        )
    print()

    def rate(m, n=one):
        return n / m[0]

    def line(label, value, note=""):
        print(f"{label:54} {value}{note}")

    def ratio(label, num, den, target=None):
        r = num / den
        note = "" if target is None else f"   (target >= {target:g})"
        if target is not None:
            note += "  ok" if r >= target else "  MISSED"
        line(label, f"{r:7.2f}x", note)

    if pv:
        ratio("validate, findings CSV / pandas (after import)", rate(v), rate(pv), 10)
        ratio("validate, findings CSV, 1 thread / pandas", rate(v1), rate(pv), 5)
        ratio("validate, text summary / pandas", rate(vt), rate(pv), 10)
        ratio("validate, text summary, 1 thread / pandas", rate(vt1), rate(pv), 5)
        ratio("convert rows/s / pandas (both write 2 files)", rate(c), rate(pc), 5)
        ratio("convert 1 thread rows/s / pandas", rate(c1), rate(pc))
    slower = ag[0] / vt[0]
    line(
        "aggregate --group-by time / validate (text) time",
        f"{slower:7.2f}x",
        f"   (target <= 2){'  ok' if slower <= 2 else '  MISSED'}",
    )
    ratio("second core: validate / validate on 1 thread", rate(v), rate(v1))
    ratio("second core: validate text / on 1 thread", rate(vt), rate(vt1))
    ratio("second core: convert / convert on 1 thread", rate(c), rate(c1))
    ok = mib(v[1]) <= 16
    line("validate peak RSS at 1M", f"{mib(v[1]):7.1f} MiB", f"  (target <= 16){'  ok' if ok else '  MISSED'}")
    if v10:
        flat = mib(v10[1]) <= 16 and abs(v10[1] - v[1]) <= max(0.1 * v[1], 1024)
        line(
            "validate peak RSS at 10M",
            f"{mib(v10[1]):7.1f} MiB",
            f"  (same as 1M: {'ok' if flat else 'MISSED'}, {(v10[1] - v[1]) / 1024:+.1f} MiB)",
        )
    per_m = f"{(vid[0] - v[0]) / (one / 1e6) * 1e3:+.0f} ms, {(vid[1] - v[1]) / 1024 / (one / 1e6):+.1f} MiB"
    if v10id:
        ten = sizes["10M"]
        per_m += (
            f" (1M run); {(v10id[0] - v10[0]) / (ten / 1e6) * 1e3:+.0f} ms, "
            f"{(v10id[1] - v10[1]) / 1024 / (ten / 1e6):+.1f} MiB (10M run)"
        )
    line("duplicate-id check, per million ids", per_m)
    line(
        f"start-up: validate 2,000 rows, best of {a.startup_runs}",
        f"{start * 1e3:7.2f} ms",
        f"  (target < 20){'  ok' if start < 0.020 else '  MISSED'}",
    )
    line(f"start-up: wm-ethnicity --version, best of {a.startup_runs}", f"{start_help * 1e3:7.2f} ms")
    print(
        "--threads 1: everything on one thread; otherwise CSV is parsed on a second thread "
        "(when the process may use 2 CPUs)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("rows", type=int)
    g.add_argument("path")
    g.add_argument("--seed", type=int, default=SEED)
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--pandas", help="python of the virtualenv with pandas; omit to skip pandas")
    r.add_argument("--no-10m", action="store_true")
    r.add_argument("--repeat", type=int, default=3)
    r.add_argument("--startup-runs", type=int, default=30)
    a = p.parse_args()
    if a.cmd == "gen":
        gen(a.rows, a.path, a.seed)
    else:
        run(a)


if __name__ == "__main__":
    main()
