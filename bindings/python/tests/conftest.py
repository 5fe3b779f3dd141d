"""Shared fixtures: the command-line tool the answers are checked against, the repository's
fixtures, and one Spark session for every Spark test (a session costs ~11 s and ~1 GB)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"


def cli_path() -> str:
    """The CLI binary: $WM_CLI (scripts/python-test.sh sets it), else the debug build."""
    path = os.environ.get("WM_CLI", str(ROOT / "target" / "debug" / "wm-ethnicity"))
    if not Path(path).is_file():
        raise RuntimeError(f"{path}: no wm-ethnicity binary; run `cargo build` first")
    return path


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([cli_path(), *args], cwd=cwd, capture_output=True, text=True)


def cli_jsonl(*args: str, cwd: Path = ROOT) -> list:
    out = run_cli(*args, cwd=cwd)
    if out.returncode not in (0, 1):
        raise AssertionError(f"wm-ethnicity {' '.join(args)}: exit {out.returncode}: {out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("wm-ethnicity-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
