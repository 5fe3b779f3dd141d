#!/usr/bin/env python3
"""The pandas baseline for scripts/bench.sh: the job a data officer would otherwise script.

    bench_pandas.py validate RETURN.csv MAPPING.json FINDINGS.csv
    bench_pandas.py convert  RETURN.csv MAPPING.json OUTPUT.csv REJECTS.csv

validate: read_csv, `isin` the scheme's codes, `map` each code to its standard node, write the
rows whose code is not a code of the scheme (line number, value) as findings.
convert: the same, then write every good row with the 13 columns `wm-ethnicity convert` adds
(node, level, group, category, relationship, candidates, source, ...: one `map` each), and the bad
rows with their line and a reason, as the two CSV files `wm-ethnicity convert` writes.
Unlike wm-ethnicity, pandas here neither trims nor upper-cases values, nor explains bad ones.

MAPPING.json is {"code": {"node": .., "level": .., "group": .., "category": ..,
"relationship": .., "candidates": ..}, ...}, taken from `wm-ethnicity lookup` by bench.py so
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
    node = {code: v["node"] for code, v in mapping.items()}

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
        good = codes[ok]
        out["wm_code"] = mapped[ok]
        for field in ("level", "group", "category"):
            out[f"wm_{field}"] = good.map({c: v[field] for c, v in mapping.items()})
        out["wm_detailed"] = ""
        out["wm_relationship"] = good.map({c: v["relationship"] for c, v in mapping.items()})
        out["wm_candidates"] = good.map({c: v["candidates"] for c, v in mapping.items()})
        out["wm_policy"] = ""
        out["wm_source_scheme"] = "nhs-ethnic-category"
        out["wm_source_code"] = good
        out["wm_match"] = "exact"
        out["wm_observed"] = "false"
        out["wm_standard_version"] = "1.0.0"
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
