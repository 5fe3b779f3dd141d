#!/usr/bin/env python3
"""The intersectional cross-tab benchmark (issue 13): a file of N records (council, NHS person
stated gender, age in years, NHS ethnic category code, ~1% bad codes) aggregated by council x sex
x age band x ethnic category, against `validate` on the same file, whole processes side by side,
best of --repeat runs each. Prints wall seconds, peak RSS and the ratio aggregate / validate (the
target: within 2x), and peak RSS at N and N/10 (flat memory: the two should be close).

    python3 scripts/bench-crosstab.py --bin target/release/wm-ethnicity --rows 10000000

The generated files go to --out (default bench-out/) and are kept for the next run; remove them
after (they are synthetic, no person's data).
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CODES, COUNCILS, WEIGHTS, bad_value, best_of, mib  # noqa: E402

SEED = 13


def gen(rows: int, path: str) -> None:
    meta = f"{path}.meta"
    want = f"crosstab rows={rows} seed={SEED} v1"
    if os.path.exists(path) and os.path.exists(meta) and open(meta).read() == want:
        return
    rng = random.Random(SEED)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(f"{path}.tmp", "w", encoding="utf-8", newline="") as f:
        f.write("council,gender,age,ethnicity\n")
        done = 0
        while done < rows:
            n = min(100_000, rows - done)
            codes = rng.choices(CODES, WEIGHTS, k=n)
            councils = rng.choices(COUNCILS, k=n)
            sexes = rng.choices(["1", "2", "9"], [49, 50, 1], k=n)
            ages = [rng.randrange(0, 100) for _ in range(n)]
            for i in range(n):
                if rng.random() < 0.01:
                    codes[i] = bad_value(rng, codes[i])
            f.write("".join(f"{councils[i]},{sexes[i]},{ages[i]},{codes[i]}\n" for i in range(n)))
            done += n
    os.replace(f"{path}.tmp", path)
    with open(meta, "w") as f:
        f.write(want)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default="bench-out")
    a = p.parse_args()
    sizes = {"small": a.rows // 10, "large": a.rows}
    results = {}
    for name, n in sizes.items():
        path = os.path.join(a.out, f"crosstab-{n}.csv")
        gen(n, path)
        common = ["--scheme", "nhs-ethnic-category", "--column", "ethnicity"]
        validate = [a.bin, "validate", path, *common, "--format", "csv",
                    "--output", os.path.join(a.out, "crosstab-findings.csv"), "--force"]
        aggregate = [a.bin, "aggregate", path, *common, "--to", "category",
                     "--characteristic", "gender=nhs-person-stated-gender",
                     "--characteristic", "age=census-2021-age-18",
                     "--group-by", "council", "--group-by", "wm_sex", "--group-by", "wm_age_band",
                     "--output", os.path.join(a.out, "crosstab-table.csv"), "--force",
                     "--rejects", os.path.join(a.out, "crosstab-rejects.csv")]
        results[name] = (n, best_of(validate, a.repeat), best_of(aggregate, a.repeat))
    print(f"{'job':<46}{'rows':>12}{'wall s':>9}{'CPU s':>8}{'peak RSS':>13}")
    for name, (n, v, g) in results.items():
        for label, m in (("validate (findings CSV)", v), ("aggregate council x sex x age band x category", g)):
            print(f"{label:<46}{n:>12,}{m[0]:>9.2f}{m[2]:>8.2f}{mib(m[1]):>9.1f} MiB")
    n, v, g = results["large"]
    print(f"aggregate / validate time at {n:,} rows: wall {g[0] / v[0]:.2f}x, CPU {g[2] / v[2]:.2f}x "
          "(target <= 2x; validate parses on a second thread, so compare both)")
    small = results["small"]
    print(f"aggregate peak RSS at {small[0]:,} and {n:,} rows: {mib(small[2][1]):.1f} MiB and {mib(g[1]):.1f} MiB")


if __name__ == "__main__":
    main()
