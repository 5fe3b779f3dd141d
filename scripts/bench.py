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
import shutil
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


def measure(cmd, stdout=None, cpus=None):
    """Runs `cmd` once; returns (wall seconds, peak RSS in KiB, exit code)."""
    if cpus is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpus, *cmd]
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    try:
        if os.path.exists("/usr/bin/time"):
            rfile = f"{stdout or '/tmp/wm-bench'}.time"
            t0 = time.perf_counter()
            p = subprocess.run(
                ["/usr/bin/time", "-v", "-o", rfile, *cmd], stdout=out, stderr=subprocess.PIPE
            )
            wall = time.perf_counter() - t0
            rss = None
            with open(rfile, encoding="utf-8") as f:
                for line in f:
                    if "Maximum resident set size" in line:
                        rss = int(line.rsplit(":", 1)[1])
            os.remove(rfile)
        else:
            # A fresh wrapper per run, so RUSAGE_CHILDREN is this command's alone.
            wrapper = (
                "import resource,subprocess,sys,time\n"
                "t=time.perf_counter();r=subprocess.run(sys.argv[1:]).returncode\n"
                "w=time.perf_counter()-t\n"
                "sys.stderr.write('\\nWMBENCH %f %d %d\\n' % "
                "(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r))\n"
            )
            p = subprocess.run(
                [sys.executable, "-c", wrapper, *cmd], stdout=out, stderr=subprocess.PIPE
            )
            tail = p.stderr.decode(errors="replace").rstrip().rsplit("\n", 1)[-1].split()
            wall, rss, code = float(tail[1]), int(tail[2]), int(tail[3])
            p.returncode = code
    finally:
        if stdout:
            out.close()
    return wall, rss, p.returncode, p.stderr.decode(errors="replace")


def best_of(cmd, repeat, stdout=None, cpus=None, ok_codes=(0, 1), inner=False):
    """Best wall and largest RSS of `repeat` runs; with `inner`, also the best of the seconds
    the command reports itself on its last stdout line (pandas: the time after imports)."""
    walls, rsss, inners = [], [], []
    for _ in range(repeat):
        wall, rss, code, err = measure(cmd, stdout, cpus)
        if code not in ok_codes:
            sys.exit(f"bench: `{' '.join(cmd)}` exited {code}:\n{err[-2000:]}")
        walls.append(wall)
        rsss.append(rss)
        if inner:
            with open(stdout, encoding="utf-8") as f:
                inners.append(json.loads(f.read().strip().splitlines()[-1])["seconds"])
    return min(walls), max(rsss), (min(inners) if inner else None)


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


def help_has(binary, sub, flag):
    p = subprocess.run([binary, sub, "--help"], capture_output=True, text=True)
    return flag in p.stdout


def mib(kib):
    return kib / 1024


def run(a) -> None:
    b, out = a.bin, a.out
    os.makedirs(out, exist_ok=True)
    for sub in ("validate", "convert"):
        if subprocess.run([b, sub, "--help"], capture_output=True).returncode != 0:
            sys.exit(f"bench: `{b} {sub}` does not exist in this build")
    sizes = {"2k": 2_000, "1M": 1_000_000}
    if not a.no_10m:
        sizes["10M"] = 10_000_000
    files = {}
    for name, rows in sizes.items():
        files[name] = os.path.join(out, f"return-{name}.csv")
        t0 = time.perf_counter()
        gen(rows, files[name])
        print(f"bench: {files[name]} ready ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    threads_flag = help_has(b, "validate", "--threads")

    def validate(f, *extra):
        return [b, "validate", f, "--scheme", SCHEME, "--column", COLUMN, "--format", "csv", *extra]

    def convert(f, *extra):
        return [
            b, "convert", f, "--scheme", SCHEME, "--column", COLUMN,
            "--output", os.path.join(out, "converted.csv"),
            "--rejects", os.path.join(out, "rejects.csv"), "--force", *extra,
        ]  # fmt: skip

    findings = os.path.join(out, "findings.csv")
    rows = []  # (job, rows, wall, rss_kib)

    def job(name, nrows, cmd, stdout=None, cpus=None, repeat=None, inner=False):
        print(f"bench: {name} ...", file=sys.stderr)
        wall, rss, inside = best_of(cmd, repeat or a.repeat, stdout, cpus, inner=inner)
        rows.append((name, nrows, wall, rss))
        if inner:
            # The same runs timed from inside (after interpreter start and imports): the
            # conservative baseline the ratios use.
            rows.append(("  same, after import (ratios use this)", nrows, inside, rss))
            return inside, rss
        return wall, rss

    one = sizes["1M"]
    v = job("validate", one, validate(files["1M"]), findings)
    single_cmd = validate(files["1M"], "--threads", "1") if threads_flag else validate(files["1M"])
    v1 = job("validate, 1 thread on 1 core", one, single_cmd, findings, cpus="0")
    vid = job(
        "validate --id-column", one, validate(files["1M"], "--id-column", ID_COLUMN), findings
    )
    c = job("convert", one, convert(files["1M"]))
    c1_cmd = convert(files["1M"], "--threads", "1") if threads_flag else convert(files["1M"])
    c1 = job("convert, 1 thread on 1 core", one, c1_cmd, cpus="0")
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
        f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a shared machine: "
        f"other jobs may have run alongside); wall = best of {a.repeat} (10M: 1 run), "
        "RSS = peak"
    )
    print(f"input: {SCHEME} codes in column {COLUMN}, ~1% bad values")
    print()
    print(f"| {'job':38} | {'rows':>10} | {'wall s':>7} | {'rows/s':>8} | {'peak RSS':>10} |")
    print(f"|{'-' * 40}|{'-' * 12}:|{'-' * 8}:|{'-' * 9}:|{'-' * 11}:|")
    for name, n, wall, rss in rows:
        print(
            f"| {name:38} | {n:>10,} | {wall:7.3f} | {n / wall / 1e6:7.2f}M | "
            f"{mib(rss):6.1f} MiB |"
        )
    print()

    def rate(m, n=one):
        return n / m[0]

    checks = []

    def ratio(label, num, den, target=None):
        r = num / den
        mark = "" if target is None else ("  ok" if r >= target else "  MISSED")
        t = "" if target is None else f"   (target >= {target:g})"
        checks.append(f"{label:52} {r:7.2f}x{t}{mark}")

    if pv:
        ratio("validate rows/s / pandas (after import)", rate(v), rate(pv), 10)
        ratio("validate 1 thread, 1 core rows/s / pandas", rate(v1), rate(pv), 5)
        ratio("convert rows/s / pandas (both write 2 files)", rate(c), rate(pc), 5)
        ratio("convert 1 thread, 1 core rows/s / pandas", rate(c1), rate(pc))
    ratio("second core: validate / validate on 1 core", rate(v), rate(v1))
    ratio("second core: convert / convert on 1 core", rate(c), rate(c1))
    for line in checks:
        print(line)
    ok = mib(v[1]) <= 16
    print(
        f"{'validate peak RSS at 1M':52} {mib(v[1]):7.1f} MiB  (target <= 16)"
        f"{'  ok' if ok else '  MISSED'}"
    )
    if v10:
        flat = mib(v10[1]) <= 16 and abs(v10[1] - v[1]) <= max(0.1 * v[1], 1024)
        print(
            f"{'validate peak RSS at 10M':52} {mib(v10[1]):7.1f} MiB  (same as 1M: "
            f"{'ok' if flat else 'MISSED'}, {(v10[1] - v[1]) / 1024:+.1f} MiB)"
        )
    per_m_time = (vid[0] - v[0]) / (one / 1e6)
    per_m_rss = (vid[1] - v[1]) / 1024 / (one / 1e6)
    line = f"duplicate-id check, per million ids (1M run): {per_m_time * 1e3:+.0f} ms, {per_m_rss:+.1f} MiB"
    if v10id:
        ten = sizes["10M"]
        line += (
            f"; 10M run: {(v10id[0] - v10[0]) / (ten / 1e6) * 1e3:+.0f} ms, "
            f"{(v10id[1] - v10[1]) / 1024 / (ten / 1e6):+.1f} MiB"
        )
    print(line)
    print(
        f"{'start-up: validate 2,000 rows, best of ' + str(a.startup_runs):52} "
        f"{start * 1e3:7.2f} ms  (target < 20){'  ok' if start < 0.020 else '  MISSED'}"
    )
    print(f"{'start-up: wm-ethnicity --version, best of ' + str(a.startup_runs):52} {start_help * 1e3:7.2f} ms")
    if not threads_flag:
        print("(1 thread on 1 core = pinned with taskset -c 0; no --threads flag in this build)")


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
