"""Agreement with the command-line tool on every fixture of fixtures/returns: the findings of
`validate` (as JSON Lines) and, where the fixture names a scheme and a column, the records and
rejects of `convert`. The CLI is run here for the expected answers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest

import wm_ethnicity as wm
from conftest import FIXTURES, cli_jsonl, run_cli

RETURNS = FIXTURES / "returns"
CASES = sorted(RETURNS.glob("*.expected.json"))

FLAGS = {
    "--scheme": "scheme",
    "--column": "column",
    "--id-column": "id_column",
    "--date-column": "date_column",
    "--spec": "spec",
}


def kwargs_of(args: list) -> dict:
    """The Python keyword arguments of a fixture's CLI flags (paths relative to fixtures/returns)."""
    out: dict = {"scheme_files": []}
    for flag, value in zip(args[::2], args[1::2]):
        if flag == "--scheme-file":
            out["scheme_files"].append(str(RETURNS / value))
        elif flag == "--spec":
            out["spec"] = str(RETURNS / value)
        else:
            out[FLAGS[flag]] = value
    return out


def convertible(case: Path) -> bool:
    """A fixture `convert` can run on: a scheme and a column, or a specification, and a run
    that gets past its flags."""
    return json.loads(case.read_text())["exit"] != 2


CONVERT_CASES = [c for c in CASES if convertible(c)]


def test_every_fixture_is_covered():
    files = {json.loads(c.read_text())["file"] for c in CASES}
    data = {
        p.name
        for p in RETURNS.iterdir()
        if p.suffix in (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".xlsx")
        and not p.name.endswith(".expected.json")
    }
    assert CASES and files == data
    assert len(CONVERT_CASES) > len(CASES) // 2


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_validate_agrees_with_the_cli(case: Path, monkeypatch):
    monkeypatch.chdir(RETURNS)
    expected = json.loads(case.read_text())
    file = expected["file"]
    args = expected["args"]
    if expected["exit"] == 2:
        cli = run_cli("validate", file, *args, cwd=RETURNS)
        assert cli.returncode == 2
        with pytest.raises(wm.WmEthnicityError) as e:
            wm.validate(file, **kwargs_of(args))
        assert str(e.value) in cli.stderr
        return
    cli = cli_jsonl("validate", file, *args, "--format", "jsonl", cwd=RETURNS)
    ours = wm.validate(file, **kwargs_of(args))
    assert ours.findings.to_pylist() == cli
    assert ours.report["records"] == expected["records"]
    assert ours.has_errors == (expected["exit"] == 1 and ours.report["errors"] > 0)


def read_csv(path: Path) -> list:
    # The CLI keeps input bytes as they are (invalid UTF-8 too); Arrow text holds U+FFFD there.
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return list(csv.DictReader(f))


def convert_flags(kw: dict) -> tuple:
    """The CLI's convert flags of a fixture's, and the Python keywords that say the same."""
    if "spec" in kw:
        flags, py = ["--spec", kw["spec"]], {"spec": kw["spec"]}
    else:
        flags = ["--scheme", kw["scheme"], "--column", kw["column"]]
        py = {"column": kw["column"], "scheme": kw["scheme"]}
    for f in kw["scheme_files"]:
        flags += ["--scheme-file", f]
    return flags, {**py, "scheme_files": kw["scheme_files"]}


def added(rows: list) -> list:
    return [{k: v for k, v in r.items() if k.startswith("wm_")} for r in rows]


@pytest.mark.parametrize("case", CONVERT_CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_convert_agrees_with_the_cli(case: Path, tmp_path: Path):
    """Every fixture that converts, by its scheme and column or by its specification (several
    ethnicity columns, one cell split by a separator, characteristic columns)."""
    expected = json.loads(case.read_text())
    flags, kw = convert_flags(kwargs_of(expected["args"]))
    file = RETURNS / expected["file"]
    out, rej = tmp_path / "out.csv", tmp_path / "rejects.csv"
    cli = run_cli("convert", str(file), *flags, "--output", str(out), "--rejects", str(rej), "--output-encoding", "utf-8")
    assert cli.returncode in (0, 1), cli.stderr
    ours = wm.convert(str(file), **kw)
    want = read_csv(out)
    got = ours.records.to_pylist()
    assert got and added(got) == added(want)
    # With several answers, each answer's version, joined by `;`.
    assert all(set(r["wm_standard_version"].split(";")) == {wm.STANDARD_VERSION} for r in got)
    want_rejects = read_csv(rej)
    got_rejects = ours.rejects.to_pylist()
    assert [(r["record"], r["column"] or "", r["rule"], r["reason"]) for r in got_rejects] == [
        (int(r["record"]), r["column"], r["rule"], r["reason"]) for r in want_rejects
    ]
    assert ours.summary["rows"] == ours.summary["converted"] + ours.summary["rejected"]


def test_specified_fixtures_are_converted():
    """The specifications' fixtures are among those converted, the several-columns one too."""
    specified = {c.name for c in CONVERT_CASES if "spec" in kwargs_of(json.loads(c.read_text())["args"])}
    assert "several-columns.expected.json" in specified and len(specified) >= 5


def test_arrow_input_agrees_with_the_cli_on_the_regional_sample(tmp_path: Path):
    """The regional sample read by pyarrow (every column as text) converts as the CLI converts
    the CSV file: the same records, byte for byte in the added columns."""
    import pyarrow.csv as pcsv

    src = FIXTURES / "regional" / "returns.csv"
    table = pcsv.read_csv(src, convert_options=pcsv.ConvertOptions(strings_can_be_null=False, column_types={}, auto_dict_encode=False))
    table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
    out = tmp_path / "out.csv"
    args = ["--council-column", "council", "--dataset-column", "dataset", "--column", "ethnicity"]
    cli = run_cli("convert", str(src), *args, "--output", str(out))
    assert cli.returncode == 0, cli.stderr
    ours = wm.convert(table, "ethnicity", council_column="council", dataset_column="dataset")
    assert ours.records.to_pylist() == read_csv(out)
