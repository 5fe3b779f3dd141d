#!/usr/bin/env python3
"""The peers of scripts/bench_peers.py, each run in its own venv: the convert job in Polars or
DuckDB, and the same job through the wm_ethnicity Python API on Arrow.

    bench_frames.py polars|duckdb RETURN.csv MAPPING.json OUTPUT.csv|.parquet REJECTS.csv
    bench_frames.py wm RETURN.csv - OUTPUT.csv|.parquet REJECTS.csv

The job (issue 16): check every code of column ethnicity_code, write every good row with the
standard's code and group added (wm_code, wm_group: the columns `wm-ethnicity convert --columns
code,group` adds), and the bad rows with their line and value. Polars and DuckDB look codes up
exactly in MAPPING.json (from `wm-ethnicity lookup`, so all use the same table); unlike
wm-ethnicity they neither trim nor upper-case values, nor explain a bad one. `wm` reads the CSV
with pyarrow (every column as text) and calls wm_ethnicity.convert on the table.
Prints one JSON line: {"rows": N, "bad": M, "seconds": S, "convert_cpu": C}, S being the job's
time after imports, C (wm only) the CPU seconds of the convert call alone.
"""

import json
import sys
import time


def polars(path, mapping, output, rejects):
    import polars as pl

    codes = pl.DataFrame(
        {
            "ethnicity_code": list(mapping),
            "wm_code": [v["node"] for v in mapping.values()],
            "wm_group": [v["group"] for v in mapping.values()],
        }
    )
    df = pl.read_csv(path, infer_schema=False).with_row_index("wm_record", offset=1)
    joined = df.join(codes, on="ethnicity_code", how="left", maintain_order="left")
    good = joined.filter(pl.col("wm_code").is_not_null()).drop("wm_record")
    bad = joined.filter(pl.col("wm_code").is_null()).select(
        (pl.col("wm_record") + 1).alias("line"), "wm_record", pl.col("ethnicity_code").alias("value")
    )
    (good.write_parquet if output.endswith(".parquet") else good.write_csv)(output)
    bad.write_csv(rejects)
    return df.height, bad.height


def duckdb(path, mapping, output, rejects):
    import duckdb as dd

    con = dd.connect()
    con.execute("CREATE TABLE codes (ethnicity_code VARCHAR, wm_code VARCHAR, wm_group VARCHAR)")
    con.executemany("INSERT INTO codes VALUES (?, ?, ?)", [(k, v["node"], v["group"]) for k, v in mapping.items()])
    con.execute(
        f"CREATE VIEW r AS SELECT row_number() OVER () AS wm_record, * FROM "
        f"read_csv('{path}', all_varchar=true, header=true)"
    )
    fmt = "(FORMAT parquet)" if output.endswith(".parquet") else "(HEADER, DELIMITER ',')"
    con.execute(
        f"COPY (SELECT r.record_id, r.council, r.date, r.ethnicity_code, c.wm_code, c.wm_group "
        f"FROM r JOIN codes c USING (ethnicity_code) ORDER BY r.wm_record) TO '{output}' {fmt}"
    )
    con.execute(
        f"COPY (SELECT wm_record + 1 AS line, wm_record, ethnicity_code AS value FROM r "
        f"ANTI JOIN codes c USING (ethnicity_code) ORDER BY wm_record) TO '{rejects}' (HEADER)"
    )
    rows = con.execute("SELECT count(*) FROM r").fetchone()[0]
    bad = con.execute("SELECT count(*) FROM r ANTI JOIN codes USING (ethnicity_code)").fetchone()[0]
    return rows, bad


def wm(path, _mapping, output, rejects):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    import wm_ethnicity

    names = ["record_id", "council", "date", "ethnicity_code"]
    table = pcsv.read_csv(
        path,
        convert_options=pcsv.ConvertOptions(
            column_types={n: "string" for n in names}, strings_can_be_null=False
        ),
    )
    c0 = time.process_time()
    out = wm_ethnicity.convert(table, "ethnicity_code", "nhs-ethnic-category", columns=["code", "group"])
    cpu = time.process_time() - c0
    if output.endswith(".parquet"):
        pq.write_table(out.records, output)
    else:
        pcsv.write_csv(out.records, output)
    pcsv.write_csv(out.rejects, rejects)
    return (out.summary["rows"], out.summary["rejected"], cpu)


def main():
    t0 = time.perf_counter()
    tool, path, mapping_path, output, rejects = sys.argv[1:6]
    mapping = {}
    if mapping_path != "-":
        with open(mapping_path, encoding="utf-8") as f:
            mapping = json.load(f)
    got = {"polars": polars, "duckdb": duckdb, "wm": wm}[tool](path, mapping, output, rejects)
    rows, bad = got[0], got[1]
    out = {"rows": rows, "bad": bad, "seconds": time.perf_counter() - t0}
    if len(got) > 2:
        out["convert_cpu"] = got[2]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
