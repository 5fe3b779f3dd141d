"""The Python API: the standard and schemes as the CLI lists them, lookup, convert and validate
over Arrow (types in and out), errors with their places, the pandas and Polars helpers."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import wm_ethnicity as wm
from conftest import FIXTURES, cli_jsonl, run_cli

DICT = pa.dictionary(pa.int32(), pa.string())


def test_standard_and_schemes_are_the_clis():
    for level in ["group", "category", "detailed", "residual"]:
        cli = cli_jsonl("standard", "--level", level, "--format", "jsonl")
        ours = wm.standard(level)
        assert ours.column("code").to_pylist() == [n["code"] for n in cli]
        assert ours.column("label").to_pylist() == [n["label"] for n in cli]
    assert wm.standard().num_rows == sum(wm.standard(l).num_rows for l in ["group", "category", "detailed", "residual"])
    cli = cli_jsonl("schemes", "--format", "jsonl")
    ours = wm.schemes()
    assert sorted(ours.column("id").to_pylist()) == sorted(s["id"] for s in cli)


def test_lookup_converts_or_rejects_each_code():
    r = wm.lookup("dfe-cbds", ["wirt", "APKN", "XXXX"])
    assert r.records.column("value").to_pylist() == ["wirt", "APKN"]
    assert r.records.column("wm_code").to_pylist() == ["white.gypsy-irish-traveller", "asian.pakistani"]
    assert r.records.column("wm_match").to_pylist() == ["normalised", "exact"]
    assert r.rejects.column("rule").to_pylist() == ["WM001"]
    assert r.summary["rows"] == r.summary["converted"] + r.summary["rejected"] == 3


def test_arrow_types_in_and_out():
    batch = pa.record_batch(
        {
            "n": pa.array([1, 2, 3, 4], pa.int64()),
            "code": pa.array(["J", "A", None, "zz"], pa.large_string()),
            "coded": pa.array(["J", "A", "J", "A"]).dictionary_encode(),
        }
    )
    r = wm.convert(batch, "code", "nhs-ethnic-category")
    s = r.records.schema
    assert s.field("n").type == pa.string() and s.field("code").type == pa.string()
    for name in ["wm_code", "wm_level", "wm_group", "wm_standard_version"]:
        assert s.field(name).type == DICT, name
    assert r.records.column("n").to_pylist() == ["1", "2"]
    # The null is an empty cell: rejected as one, as CSV's empty field is.
    assert r.rejects.column("record").to_pylist() == [3, 4]
    assert r.rejects.column("rule").to_pylist() == ["WM004", "WM001"]
    assert r.rejects.schema.field("line").type == pa.uint64()
    # A dictionary-encoded column and integers are read as their text.
    d = wm.convert(batch, "coded", "nhs-ethnic-category")
    assert d.records.column("wm_code").to_pylist() == ["asian.pakistani", "white.british"] * 2
    ons = wm.convert(pa.table({"g": pa.array([13, 19], pa.int32())}), "g", "ons-2021-ew")
    assert ons.summary["converted"] == 2, ons.rejects.to_pylist()


def test_every_kind_of_arrow_input_gives_the_same_records():
    import pandas as pd
    import polars as pl

    data = {"id": ["a", "b", "c"], "ethnicity": ["J", "C", "Z"]}
    table = pa.table(data)
    want = wm.convert(table, "ethnicity", "nhs-ethnic-category").records
    for given in [table.to_batches()[0], table.to_reader(), pd.DataFrame(data), pl.DataFrame(data)]:
        got = wm.convert(given, "ethnicity", "nhs-ethnic-category").records
        assert got.equals(want), type(given)


def test_columns_chooses_the_added_columns_in_their_order():
    t = pa.table({"e": ["J"]})
    r = wm.convert(t, "e", "nhs-ethnic-category", columns=["group", "wm_code"], with_position=True)
    assert r.records.column_names == ["e", "wm_line", "wm_record", "wm_code", "wm_group"]
    with pytest.raises(wm.WmEthnicityError, match="`colour` is not a column convert adds"):
        wm.convert(t, "e", "nhs-ethnic-category", columns=["colour"])


def test_errors_name_the_place():
    with pytest.raises(wm.WmEthnicityError) as e:
        wm.convert(pa.table({"x": ["J"]}), "ethnicity", "nhs-ethnic-category", name="extract.parquet")
    assert str(e.value).startswith("extract.parquet:1")
    assert (e.value.file, e.value.line) == ("extract.parquet", 1)
    with pytest.raises(wm.WmEthnicityError, match="unknown scheme|no scheme|not a scheme"):
        wm.convert(pa.table({"e": ["J"]}), "e", "no-such-scheme")
    with pytest.raises(wm.WmEthnicityError, match="policy must be"):
        wm.convert(pa.table({"e": ["J"]}), "e", "nhs-ethnic-category", policy="guess")
    with pytest.raises(wm.WmEthnicityError) as e:
        wm.validate(str(FIXTURES / "returns" / "no-such-file.csv"), "e", "dfe-cbds")
    assert e.value.file.endswith("no-such-file.csv")
    with pytest.raises(TypeError, match="expected a file path or Arrow data"):
        wm.convert(42, "e", "dfe-cbds")


def test_findings_are_an_arrow_table():
    v = wm.validate(pa.table({"id": ["X9", "X9"], "e": ["APKN", "apkn"]}), "e", "dfe-cbds", id_column="id")
    f = v.findings
    assert f.column_names == ["rule", "name", "severity", "line", "record", "row", "column", "value", "message", "suggestion"]
    assert f.schema.field("rule").type == DICT and f.schema.field("line").type == pa.uint64()
    assert sorted(f.column("rule").to_pylist()) == ["WM006", "WM009"]
    # A duplicate id finding never shows the id.
    dup = [r for r in f.to_pylist() if r["rule"] == "WM009"][0]
    assert dup["value"] is None and "X9" not in dup["message"]
    assert v.report["records"] == 2 and v.has_errors


def test_aggregate_and_disclosure_as_the_cli():
    path = str(FIXTURES / "regional" / "returns.csv")
    args = ["--council-column", "council", "--dataset-column", "dataset", "--column", "ethnicity"]
    for disclosure in [None, "suppress:3", "round:5"]:
        extra = ["--disclosure", disclosure] if disclosure else []
        cli = json.loads(run_cli("aggregate", path, *args, "--to", "category", "--format", "json", *extra).stdout)
        ours = wm.aggregate(path, "ethnicity", council_column="council", dataset_column="dataset", disclosure=disclosure)
        assert ours.table.column("code").to_pylist() == [r["code"] for r in cli["rows"]]
        assert ours.table.column("count").to_pylist() == [r.get("count") for r in cli["rows"]]


def test_polars_expression_and_pandas_accessor():
    import pandas as pd
    import polars as pl

    import wm_ethnicity.pandas  # noqa: F401
    import wm_ethnicity.polars  # noqa: F401

    df = pl.DataFrame({"e": ["J", "QQ", "", "a"]})
    out = df.select(pl.col("e").wm.convert("nhs-ethnic-category"), g=pl.col("e").wm.convert("nhs-ethnic-category", output="wm_group"))
    assert out["e"].to_list() == ["asian.pakistani", None, None, "white.british"]
    assert out["g"].to_list() == ["asian", None, None, "white"]
    s = pd.Series(["J", "A"], index=[10, 11], name="e").wm.convert("nhs-ethnic-category")
    assert s.tolist() == ["asian.pakistani", "white.british"] and list(s.index) == [10, 11]


RETURNS = FIXTURES / "returns"
NHS = "nhs-ethnic-category"


def cli_convert(tmp_path, file, *flags) -> tuple:
    """The CLI's records and rejects of `convert FILE FLAGS` (CSV read back as dicts)."""
    from test_fixtures import read_csv

    out, rej = tmp_path / "out.csv", tmp_path / "rejects.csv"
    cli = run_cli("convert", str(file), *flags, "--output", str(out), "--rejects", str(rej), "--output-encoding", "utf-8", "--force")
    assert cli.returncode in (0, 1), cli.stderr
    return read_csv(out), read_csv(rej)


def plain(table: pa.Table) -> list:
    """Rows as the CLI's CSV holds them: every value as text, a null as empty."""
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in table.to_pylist()]


def test_several_columns_as_a_list_are_the_clis_repeated_column(tmp_path):
    file = RETURNS / "several-columns.csv"
    columns = ["Ethnicity1", "Ethnicity2", "Ethnicity3"]
    want, want_rejects = cli_convert(tmp_path, file, "--scheme", NHS, *[x for c in columns for x in ("--column", c)])
    ours = wm.convert(str(file), columns, NHS)
    assert plain(ours.records) == want
    # Each answer in order, joined by `;`: a person of two answers has two codes.
    assert {r["ApplicantID"]: r["wm_answers"] for r in want} == {r["ApplicantID"]: r["wm_answers"] for r in plain(ours.records)}
    assert any(r["wm_answers"] == "2" and r["wm_code"].count(";") == 1 for r in want)
    assert [(r["record"], r["column"], r["rule"]) for r in ours.rejects.to_pylist()] == [
        (int(r["record"]), r["column"], r["rule"]) for r in want_rejects
    ]
    # The specification says the same thing as the list.
    assert wm.convert(str(file), spec=RETURNS / "several-columns.spec.yaml").records.equals(ours.records)


def test_a_separator_and_a_priority_order_are_the_clis(tmp_path):
    file = RETURNS / "several-ethnicities.csv"
    for extra, kw in [([], {}), (["--priority", "nz-level-1"], {"priority": "nz-level-1"})]:
        want, _ = cli_convert(tmp_path, file, "--scheme", NHS, "--column", "Ethnicity", "--separator", ";", *extra)
        ours = wm.convert(str(file), "Ethnicity", NHS, separator=";", **kw)
        assert plain(ours.records) == want, extra
    # The order is used: White and Asian answers, prioritised one way by the region's default
    # and the other by Stats NZ's level 1 order.
    t = pa.table({"e": ["A;J", "J;A", "A"]})
    default = wm.convert(t, "e", NHS, separator=";").records.column("wm_prioritised").to_pylist()
    nz = wm.convert(t, "e", NHS, separator=";", priority="nz-level-1").records.column("wm_prioritised").to_pylist()
    assert default != nz and default[2] == nz[2] == "white.british"


def test_a_specification_as_text_or_path_converts_alike_and_keywords_override_it(tmp_path):
    path = RETURNS / "intersectional.spec.yaml"
    file = str(RETURNS / "intersectional.csv")
    by_path = wm.convert(file, spec=str(path))
    by_text = wm.convert(file, spec=path.read_text())
    assert by_path.records.equals(by_text.records)
    assert {"wm_sex", "wm_age_band", "wm_religion", "wm_disability"} <= set(by_path.records.column_names)
    want, _ = cli_convert(tmp_path, file, "--spec", str(path), "--policy", "most-likely", "--columns", "code,policy")
    ours = wm.convert(file, spec=path, policy="most-likely", columns=["code", "policy"])
    assert plain(ours.records) == want


def test_characteristics_are_the_clis_characteristic_flags(tmp_path):
    file = RETURNS / "intersectional.csv"
    readers = {"Gender": "nhs-person-stated-gender", "DOB": "census-2021-age-18@2021-03-21", "Disability": "census-2021-disability:top"}
    flags = [x for c, r in readers.items() for x in ("--characteristic", f"{c}={r}")]
    want, want_rejects = cli_convert(tmp_path, file, "--scheme", NHS, "--column", "Ethnicity", *flags)
    ours = wm.convert(str(file), "Ethnicity", NHS, characteristics=readers)
    assert plain(ours.records) == want
    assert [r["rule"] for r in ours.rejects.to_pylist()] == [r["rule"] for r in want_rejects]
    # :top rolls disability up: only disabled / not-disabled.
    assert set(ours.records.column("wm_disability").to_pylist()) == {"disabled", "not-disabled"}
    as_flags = wm.convert(str(file), "Ethnicity", NHS, characteristics=[f"{c}={r}" for c, r in readers.items()])
    assert as_flags.records.equals(ours.records)


def test_validate_takes_several_columns_and_a_specification_as_text():
    file = str(RETURNS / "several-columns.csv")
    spec = RETURNS / "several-columns.spec.yaml"
    by_spec = wm.validate(file, spec=spec)
    assert by_spec.findings.equals(wm.validate(file, spec=spec.read_text()).findings)
    listed = wm.validate(file, ["Ethnicity1", "Ethnicity2", "Ethnicity3"], NHS)
    assert listed.findings.equals(by_spec.findings)
    assert "WM022" in listed.findings.column("rule").to_pylist()


def test_errors_of_the_new_keywords_say_what_and_where():
    t = pa.table({"e1": ["J"], "e2": ["A"]})
    with pytest.raises(wm.WmEthnicityError, match=r"priority= orders several ethnicities per person: give separator="):
        wm.convert(t, "e1", NHS, priority="nz-level-1")
    with pytest.raises(wm.WmEthnicityError, match="neither a built-in order"):
        wm.convert(t, ["e1", "e2"], NHS, priority="no-such-order")
    with pytest.raises(wm.WmEthnicityError, match="give column="):
        wm.convert(t)
    with pytest.raises(wm.WmEthnicityError, match="give one of scheme="):
        wm.convert(t, "e1")
    with pytest.raises(wm.WmEthnicityError) as e:
        wm.convert(t, ["e1", "e3"], NHS, name="extract.parquet")
    assert e.value.file == "extract.parquet" and "e3" in str(e.value)
    with pytest.raises(wm.WmEthnicityError, match="characteristics: `Sex`"):
        wm.convert(t, "e1", NHS, characteristics=["Sex"])
    # A specification given as text is named `<spec>`, with the line of the fault.
    bad = "name: r\ncolumns:\n  - name: e1\n    scheme: nhs-ethnic-category\n    colour: red\n"
    with pytest.raises(wm.WmEthnicityError) as e:
        wm.convert(t, spec=bad)
    assert e.value.file == "<spec>" and e.value.line == 5, str(e.value)
    with pytest.raises(wm.WmEthnicityError, match="has no coded column `e2`"):
        wm.convert(t, "e2", spec=RETURNS / "several-columns.spec.yaml")
    with pytest.raises(wm.WmEthnicityError, match="not both"):
        wm.validate(t, "e1", NHS, spec=RETURNS / "several-columns.spec.yaml")
