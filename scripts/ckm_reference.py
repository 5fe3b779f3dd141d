"""Runs ONS's cell-key-perturbation package (3.1.0) on microdata, for the ons-ckm comparison test.

Usage: ckm_reference.py MICRODATA.csv PTABLE.csv THRESHOLD OUT.csv

The microdata has the columns council, category, group and record_key. Three tables are made, each
perturbed on its own as the package does (it never makes margins: a margin is a table of its own):
council x category, category alone (the margin over councils) and council x group (the subtotals).
OUT.csv has one row per cell: table, council ('' when summed over), node, count ('' when withheld).
"""

import sys

import pandas as pd
from cell_key_perturbation.create_perturbed_table import create_perturbed_table


def main():
    micro_path, ptable_path, threshold, out_path = sys.argv[1:5]
    micro = pd.read_csv(micro_path, dtype={"council": str, "category": str, "group": str})
    ptable = pd.read_csv(ptable_path)
    rows = []
    for name, geog, var in [
        ("category", ["council"], "category"),
        ("margin", [], "category"),
        ("group", ["council"], "group"),
    ]:
        t = create_perturbed_table(
            data=micro,
            ptable=ptable,
            geog=geog,
            tab_vars=[var],
            record_key="record_key",
            threshold=int(threshold),
        )
        for _, r in t.iterrows():
            count = "" if pd.isna(r["count"]) else str(int(r["count"]))
            council = r["council"] if geog else ""
            rows.append((name, council, r[var], count))
    pd.DataFrame(rows, columns=["table", "council", "node", "count"]).to_csv(out_path, index=False)


if __name__ == "__main__":
    main()
