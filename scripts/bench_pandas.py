#!/usr/bin/env python3
"""The pandas baseline for scripts/bench.sh: the job a data officer would otherwise script.

    bench_pandas.py validate RETURN.csv MAPPING.json FINDINGS.csv
    bench_pandas.py convert  RETURN.csv MAPPING.json OUTPUT.csv REJECTS.csv

validate: read_csv, `isin` the scheme's codes, `map` each code to its standard node, write the
rows whose code is not a code of the scheme (line number, value) as findings.
convert: the same, then write every good row with its standard node and level, and the bad rows
with a reason, as the two CSV files `wm-ethnicity convert` writes.

MAPPING.json is {"code": ["node", "level"], ...}, taken from `wm-ethnicity lookup` by bench.py so
both tools use the same table. Prints one JSON line: {"rows": N, "bad": M, "seconds": S}, S
being the job's time after Python has started and imported pandas.
"""

import json
import sys
import time

import pandas as pd


def main() -> None:
    t0 = time.perf_counter()
    mode, path, mapping_path = sys.argv[1:4]
    with open(mapping_path, encoding="utf-8") as f:
        mapping = json.load(f)
    node = {code: v[0] for code, v in mapping.items()}
    level = {code: v[1] for code, v in mapping.items()}

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    codes = df["ethnicity_code"]
    ok = codes.isin(node.keys())
    mapped = codes.map(node)
    bad = df[~ok]
    if mode == "validate":
        findings = pd.DataFrame(
            {
                "line": bad.index + 2,
                "column": "ethnicity_code",
                "rule": "unknown-code",
                "value": bad["ethnicity_code"],
            }
        )
        findings.to_csv(sys.argv[4], index=False)
    elif mode == "convert":
        out = df[ok].copy()
        out["ethnicity"] = mapped[ok]
        out["level"] = codes[ok].map(level)
        out.to_csv(sys.argv[4], index=False)
        rej = bad.copy()
        rej["line"] = bad.index + 2
        rej["rule"] = "unknown-code"
        rej.to_csv(sys.argv[5], index=False)
    else:
        sys.exit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t0
    print(json.dumps({"rows": len(df), "bad": int((~ok).sum()), "seconds": seconds}))


if __name__ == "__main__":
    main()
