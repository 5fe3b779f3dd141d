"""Spark: convert, validate and aggregate the shipped regional sample on local PySpark give the
CLI's answers (one session shared by every test: conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import wm_ethnicity as wm
from conftest import FIXTURES, cli_jsonl, run_cli
from test_fixtures import read_csv
from wm_ethnicity import spark as wms

SAMPLE = FIXTURES / "regional" / "returns.csv"
ARGS = ["--council-column", "council", "--dataset-column", "dataset", "--column", "ethnicity"]
SOURCE = dict(council_column="council", dataset_column="dataset")


def frame(spark, partitions: int = 3):
    df = spark.read.option("header", True).option("inferSchema", False).csv(str(SAMPLE))
    return df.repartition(partitions)


def test_convert_on_spark_gives_the_clis_records(spark, tmp_path: Path):
    out = tmp_path / "out.csv"
    assert run_cli("convert", str(SAMPLE), *ARGS, "--output", str(out)).returncode == 0
    want = sorted(read_csv(out), key=lambda r: r["record_id"])
    got = wms.convert(frame(spark), "ethnicity", **SOURCE)
    rows = sorted((r.asDict() for r in got.collect()), key=lambda r: r["record_id"])
    assert rows == want
    assert wms.convert(frame(spark), "ethnicity", rejects=True, **SOURCE).count() == 0


def test_rejects_and_findings_on_spark_are_the_clis(spark):
    df = spark.createDataFrame([(str(i), c) for i, c in enumerate(["J", "QQ", "A", "z", "", "C"] * 5)], ["id", "e"])
    rejects = wms.convert(df.repartition(2), "e", "nhs-ethnic-category", rejects=True).collect()
    assert sorted(r["rule"] for r in rejects) == ["WM001"] * 5 + ["WM004"] * 5
    assert {r["partition"] for r in rejects} == {0, 1}
    findings = wms.validate(df.coalesce(1), "e", "nhs-ethnic-category").collect()
    local = wm.validate(df.toArrow(), "e", "nhs-ethnic-category").findings.to_pylist()
    assert [(f["rule"], f["record"], f["message"]) for f in findings] == [(f["rule"], f["record"], f["message"]) for f in local]


def test_validate_on_spark_counts_the_clis_findings(spark):
    """Each record's findings are the CLI's; checks of a whole column (the residual share) are
    made per partition on Spark, so they are compared on one partition only."""
    cli = cli_jsonl("validate", str(SAMPLE), *ARGS, "--format", "jsonl")
    got = wms.validate(frame(spark), "ethnicity", **SOURCE).collect()
    key = lambda f: (f["rule"], f["value"] or "", f["message"])  # noqa: E731
    per_record = lambda fs: sorted(key(f) for f in fs if f["record"] is not None)  # noqa: E731
    assert per_record(got) == per_record(cli) and per_record(cli)
    whole = wms.validate(frame(spark, 1), "ethnicity", **SOURCE).collect()
    assert sorted(map(key, whole)) == sorted(map(key, cli))


def test_aggregate_on_spark_is_the_clis_table(spark):
    for disclosure in [None, "suppress:3"]:
        extra = ["--disclosure", disclosure] if disclosure else []
        cli = json.loads(run_cli("aggregate", str(SAMPLE), *ARGS, "--to", "category", "--format", "json", *extra).stdout)
        got = wms.aggregate(frame(spark), "ethnicity", disclosure=disclosure, **SOURCE)
        assert got.table.column("code").to_pylist() == [r["code"] for r in cli["rows"]]
        assert got.table.column("count").to_pylist() == [r.get("count") for r in cli["rows"]]
