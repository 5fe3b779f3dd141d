#!/usr/bin/env python3
"""The convert job of issue 16 side by side, whole processes: wm-ethnicity convert (CSV and
Parquet output) against Polars and DuckDB, and the wm_ethnicity Python API on Arrow against the
CLI per core. Run through `scripts/bench.sh --peers`; every figure comes from this run.

    bench_peers.py --bin BIN --out DIR --polars PY --duckdb PY [--wm PY] [--rows N] [--repeat N]
    bench_peers.py --bin BIN --out DIR --wm PY --api-only [--rows N] [--repeat N]

Without --wm (a python with the wm_ethnicity wheel and pyarrow), the Python API row is left out;
with --api-only, only the Python API and the CLI on one thread run (its per-core ratio alone).

The job: a return of N NHS-coded records (bench.py's generator: ~1% bad values); every code
checked, the good rows written with wm_code and wm_group added (`--columns code,group`), the bad
ones to a rejects file. Wall time is the best of --repeat runs, peak RSS the largest (from
/usr/bin/time -v).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

FRAMES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_frames.py")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--polars")
    p.add_argument("--duckdb")
    p.add_argument("--wm")
    p.add_argument("--api-only", action="store_true")
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args()
    if a.api_only and not a.wm:
        p.error("--api-only needs --wm")
    if not a.api_only and not (a.polars and a.duckdb):
        p.error("--polars and --duckdb are needed (or --api-only with --wm)")
    os.makedirs(a.out, exist_ok=True)
    n = a.rows
    data = os.path.join(a.out, f"peers-{n}.csv")
    bench.gen(n, data)
    bench.warm(data)
    mapping = os.path.join(a.out, "mapping.json")
    bench.scheme_mapping(a.bin, mapping)
    load0 = os.getloadavg()
    results = {}

    def job(name, cmd, inner=False):
        runs = []
        for _ in range(a.repeat):
            wall, rss, cpu, code, err = bench.measure(cmd, os.path.join(a.out, "peers.stdout"))
            if code not in (0, 1):
                sys.exit(f"bench: {name}: exit {code}: {err[-2000:]}")
            extra = {}
            if inner:
                with open(os.path.join(a.out, "peers.stdout"), encoding="utf-8") as f:
                    extra = json.loads(f.read().strip().splitlines()[-1])
            runs.append((wall, rss, cpu, extra))
        best = min(runs, key=lambda r: r[0])
        results[name] = {
            "wall": best[0],
            "rss": max(r[1] for r in runs),
            "cpu": best[2],
            "extra": best[3],
        }
        print(f"bench: {name}: {best[0]:.2f} s", file=sys.stderr)

    def out(name):
        return os.path.join(a.out, name)

    def cli(output, *extra):
        return [
            a.bin, "convert", data, "--scheme", "nhs-ethnic-category", "--column", "ethnicity_code",
            "--columns", "code,group", "--output", out(output), "--rejects", out("peers-rejects.csv"),
            "--force", *extra,
        ]

    peers = [] if a.api_only else [("Polars", a.polars, "polars"), ("DuckDB", a.duckdb, "duckdb")]
    if not a.api_only:
        job("wm-ethnicity convert -> CSV", cli("peers-wm.csv"))
    job("wm-ethnicity convert -> CSV, --threads 1", cli("peers-wm.csv", "--threads", "1"))
    if not a.api_only:
        job("wm-ethnicity convert -> Parquet", cli("peers-wm.parquet"))
    for tool, py, _ in peers:
        for kind in ("csv", "parquet"):
            job(
                f"{tool} -> {'CSV' if kind == 'csv' else 'Parquet'}",
                [py, FRAMES, tool.lower(), data, mapping, out(f"peers-{tool.lower()}.{kind}"), out("peers-rejects-peer.csv")],
                inner=True,
            )
    if a.wm:
        job(
            "Python API on Arrow -> Parquet",
            [a.wm, FRAMES, "wm", data, "-", out("peers-py.parquet"), out("peers-rejects-py.csv")],
            inner=True,
        )
    versions = {}
    for tool, py, mod in peers + ([("pyarrow", a.wm, "pyarrow")] if a.wm else []):
        import subprocess

        versions[tool] = subprocess.run(
            [py, "-c", f"import {mod}; print({mod}.__version__)"], capture_output=True, text=True
        ).stdout.strip()

    print(f"\n{n:,} records, load average before {load0[0]:.2f}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\n| job | wall s | rows/s | CPU% | peak RSS |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['wall']:.2f} | {n / r['wall'] / 1e6:.2f}M | {100 * r['cpu'] / r['wall']:.0f}% "
            f"| {bench.mib(r['rss']):.1f} MiB |"
        )

    def w(name):
        return results[name]["wall"]

    print()
    for kind in ("CSV", "Parquet"):
        for tool, _, _ in peers:
            ratio = w(f"{tool} -> {kind}") / w(f"wm-ethnicity convert -> {kind}")
            verdict = "ok" if ratio >= 2 else "MISSED"
            print(f"convert -> {kind} / {tool} -> {kind} (wall)  {ratio:.2f}x  (target >= 2)  {verdict}")
    if not a.wm:
        return
    one = results["wm-ethnicity convert -> CSV, --threads 1"]
    cli_per_core = n / one["cpu"]
    api_cpu = results["Python API on Arrow -> Parquet"]["extra"]["convert_cpu"]
    api_per_core = n / api_cpu
    ratio = cli_per_core / api_per_core
    print(
        f"CLI per core (rows / CPU s, --threads 1) {cli_per_core / 1e6:.2f}M; Python API convert call "
        f"{api_per_core / 1e6:.2f}M rows / CPU s: CLI/API {ratio:.2f}x  (target <= 1.5)  "
        f"{'ok' if ratio <= 1.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
