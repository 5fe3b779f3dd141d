"""The West Midlands ethnicity data standard over Arrow: convert, validate and aggregate.

Every function takes its data as a file path (CSV, JSON Lines, Excel, Parquet, Arrow IPC: read by
the crate as the command line reads it) or as anything that exports an Arrow stream: a
``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, a pandas or Polars ``DataFrame``.
Arrow input is read batch by batch without a copy; results are ``pyarrow.Table`` objects, the
standard's columns dictionary-encoded. Errors raise :class:`WmEthnicityError`, whose message (and
attributes ``file``, ``line``, ``column``, ``field``) say where.

>>> import pyarrow as pa, wm_ethnicity as wm
>>> result = wm.convert(pa.table({"ethnicity": ["J", "QQ"]}), "ethnicity", "nhs-ethnic-category")
>>> result.records.column("wm_code").to_pylist(), result.rejects.column("rule").to_pylist()
(['asian.pakistani'], ['WM001'])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pyarrow as pa

from . import _native
from ._native import STANDARD_VERSION, WmEthnicityError

__all__ = [
    "STANDARD_VERSION",
    "WmEthnicityError",
    "Converted",
    "Validated",
    "Aggregated",
    "standard",
    "schemes",
    "lookup",
    "convert_values",
    "convert",
    "validate",
    "aggregate",
]


@dataclass(frozen=True)
class Converted:
    """What :func:`convert` gives: the converted records, the rejected ones, and the counts."""

    records: pa.Table
    """Every input column (as text, as read), then the ``wm_`` columns asked for."""
    rejects: pa.Table
    """Where and why each rejected record was rejected: never another column of it."""
    summary: dict
    """``rows == converted + rejected``, counts per level and per rule."""


@dataclass(frozen=True)
class Validated:
    """What :func:`validate` gives: the findings and the report."""

    findings: pa.Table
    """One row per finding: rule, name, severity, line, record, row, column, value, message,
    suggestion."""
    report: dict
    """Counts per rule, the data-quality profile of each coded column, the input's details."""

    @property
    def has_errors(self) -> bool:
        """True when a finding is an error (not only queries)."""
        return self.report["errors"] > 0


@dataclass(frozen=True)
class Aggregated:
    """What :func:`aggregate` gives: the count table (published under a policy when asked)."""

    table: pa.Table
    """One row per node (and combination of dimensions)."""
    totals: dict
    """Everything but the rows: totals, the level, the disclosure policy and its audit."""
    rejects: pa.Table
    """Rows that could not be placed, where and why."""


Data = Any
"""A path (str) or an object exporting an Arrow stream (``__arrow_c_stream__``)."""


def _stream(data: Data) -> Data:
    """``data`` as something the native module reads: a path, or an Arrow stream exporter."""
    if isinstance(data, str):
        return data
    if hasattr(data, "__fspath__"):
        return os.fspath(data)
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if hasattr(data, "__arrow_c_stream__"):
        return data
    # pandas before 2.2, Polars before 1.2: through pyarrow.
    module = type(data).__module__
    if module.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    if module.startswith("polars"):
        return data.to_arrow()
    raise TypeError(
        f"expected a file path or Arrow data (pyarrow, pandas, Polars), not {type(data).__name__}"
    )


def _columns(columns: Optional[Sequence[str]]) -> Optional[str]:
    if columns is None:
        return None
    if isinstance(columns, str):
        return columns
    return ",".join(columns)


Column = Union[str, Sequence[str], None]
"""The coded column's header, or a person's several ethnicity columns in order (the first is the
coded column; an empty later column is a person who gave fewer)."""

Spec = Union[str, "os.PathLike[str]", None]
"""A return specification: a path, or its YAML text (a string of more than one line)."""

Characteristics = Union[Mapping[str, str], Iterable[str]]
"""Characteristic columns and their readers: ``{"Sex": "census-2021-sex", "DOB":
"census-2021-age-18@2021-03-21", "Disability": "census-2021-disability:top"}``, or
``["Sex=census-2021-sex", ...]`` as ``--characteristic`` takes them."""


def _coded(column: Column) -> list:
    if column is None:
        return []
    if isinstance(column, str):
        return [column]
    return list(column)


def _spec(spec: Spec) -> Optional[tuple]:
    """``spec`` as the native functions take it: (YAML text, True) or (path, False)."""
    if spec is None:
        return None
    if isinstance(spec, str) and "\n" in spec:
        return (spec, True)
    return (os.fspath(spec), False)


def _characteristics(characteristics: Characteristics) -> list:
    if isinstance(characteristics, Mapping):
        return [f"{column}={reader}" for column, reader in characteristics.items()]
    if isinstance(characteristics, str):
        return [characteristics]
    return list(characteristics)


def _source(
    scheme: Optional[str],
    scheme_column: Optional[str],
    council_column: Optional[str],
    dataset_column: Optional[str],
) -> tuple:
    """Where each record's scheme comes from, as the native functions take it."""
    return (scheme, scheme_column, council_column, dataset_column)


def standard(level: Optional[str] = None) -> pa.Table:
    """The standard's nodes (``code``, ``label``, ``level``, ``parent``), every level or one of
    ``group``, ``category``, ``detailed``, ``residual``."""
    return pa.Table.from_pylist(
        json.loads(_native.standard(level)),
        schema=pa.schema(
            [("code", pa.string()), ("label", pa.string()), ("level", pa.string()), ("parent", pa.string())]
        ),
    )


def schemes() -> pa.Table:
    """The built-in coding schemes: ``id``, ``name``, ``authority``, ``version``, ``codes``,
    ``source_url``."""
    return pa.Table.from_pylist(json.loads(_native.schemes()))


def lookup(scheme: str, codes: Union[str, Iterable[str]], *, by: str = "code", policy: str = "strict") -> Converted:
    """Looks ``codes`` (one or several) up in ``scheme``: each is converted (``records``, one row
    per code found, the code in column ``value``) or rejected with its reason (``rejects``)."""
    values = [codes] if isinstance(codes, str) else list(codes)
    return convert(pa.table({"value": pa.array(values, pa.string())}), "value", scheme, by=by, policy=policy)


def convert(
    data: Data,
    column: Column = None,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    spec: Spec = None,
    by: Optional[str] = None,
    policy: str = "strict",
    to_scheme: Optional[str] = None,
    separator: Optional[str] = None,
    priority: Optional[str] = None,
    characteristics: Characteristics = (),
    columns: Optional[Sequence[str]] = None,
    with_position: bool = False,
    scheme_files: Sequence[str] = (),
    name: str = "<arrow>",
) -> Converted:
    """Converts ``column`` of ``data`` into the standard, as ``wm-ethnicity convert`` does: each
    record ends in ``records`` or in ``rejects``. The scheme is ``scheme`` for every record, or
    each record's from ``scheme_column``, or from ``council_column`` and ``dataset_column``
    through the councils' profiles.

    ``spec`` is a return specification (``convert --spec``: a path, or its YAML text): its coded
    column (``column`` chooses one when it has several), how it is read (``by``, what an empty
    cell means, several answers) and its characteristic columns; the keywords given override it.

    Several ethnicities per person: ``column`` as a list of columns (``["Ethnicity1",
    "Ethnicity2"]``, ``--column`` given more than once), and/or ``separator`` (``";"``) for
    several in one cell. Each ``wm_`` column then holds a person's answers in order joined by
    ``;``, ``wm_answers`` how many, ``wm_prioritised`` the one ``priority`` (a built-in order
    or a YAML file; default ``wm-smallest-group-first``) picks; a record with one bad answer
    is rejected naming its column.

    ``characteristics`` carries other characteristics in their standard values (``wm_sex``,
    ``wm_age_band``, ``wm_disability``, ...): ``{"Disability": "census-2021-disability:top"}``.
    ``columns`` chooses the ``wm_`` columns added (``["wm_code", "wm_group"]``, or without the
    prefix). ``name`` names Arrow input in errors."""
    records, rejects, summary = _native.convert(
        _stream(data),
        _coded(column),
        _source(scheme, scheme_column, council_column, dataset_column),
        spec=_spec(spec),
        by_=by,
        policy_=policy,
        to_scheme=to_scheme,
        separator=separator,
        priority=priority,
        characteristics=_characteristics(characteristics),
        added=_columns(columns),
        with_position=with_position,
        scheme_files=list(scheme_files),
        name=name,
    )
    return Converted(records, rejects, json.loads(summary))


def validate(
    data: Data,
    column: Column = None,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    by: Optional[str] = None,
    spec: Spec = None,
    separator: Optional[str] = None,
    characteristics: Characteristics = (),
    id_column: Optional[str] = None,
    date_column: Optional[str] = None,
    scheme_files: Sequence[str] = (),
    name: str = "<arrow>",
) -> Validated:
    """Validates ``data`` as ``wm-ethnicity validate`` does: against ``column`` in ``scheme``
    (or a scheme per row), or against a return specification ``spec`` (a path, or its YAML
    text). ``column`` as a list and ``separator`` read several ethnicities per person, and
    ``characteristics`` checks other characteristic columns, as for :func:`convert`."""
    findings, report = _native.validate(
        _stream(data),
        _coded(column),
        _source(scheme, scheme_column, council_column, dataset_column),
        by_=by,
        spec=_spec(spec),
        separator=separator,
        characteristics=_characteristics(characteristics),
        id_column=id_column,
        date_column=date_column,
        scheme_files=list(scheme_files),
        name=name,
    )
    return Validated(findings, json.loads(report))


def aggregate(
    data: Data,
    column: str,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    by: str = "code",
    policy: str = "strict",
    to: str = "category",
    group_by: Sequence[str] = (),
    count_column: Optional[str] = None,
    disclosure: Optional[str] = None,
    scheme_files: Sequence[str] = (),
    name: str = "<arrow>",
) -> Aggregated:
    """Counts ``data`` by node of the standard at level ``to`` (and by the ``group_by``
    columns), as ``wm-ethnicity aggregate`` does: each row counts 1, or its ``count_column``.
    With ``disclosure`` (``suppress:10``, ``round:5``, ``nhs-secondary-care``, ...) the table
    is published under that policy, with subtotals, totals and the audit."""
    text, rejects = _native.aggregate(
        _stream(data),
        column,
        _source(scheme, scheme_column, council_column, dataset_column),
        by_=by,
        policy_=policy,
        to=to,
        group_by=list(group_by),
        count_column=count_column,
        disclosure=disclosure,
        scheme_files=list(scheme_files),
        name=name,
    )
    doc = json.loads(text)
    rows = doc.pop("rows")
    return Aggregated(_rows_table(rows), doc, rejects)


def convert_values(
    values: Any, scheme: str, *, by: str = "code", policy: str = "strict", output: str = "wm_code"
) -> pa.Array:
    """One added column (``output``) for each of ``values`` (an Arrow array or a pandas or
    Polars series), null where a value is rejected or empty: what the pandas and Polars
    helpers (``wm_ethnicity.pandas``, ``wm_ethnicity.polars``) return. The rejects' reasons
    are :func:`convert`'s."""
    if not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(values, from_pandas=True) if type(values).__module__.startswith("pandas") else values.to_arrow()
    n = len(values)
    out = convert(pa.table({"value": values}), "value", scheme, by=by, policy=policy, columns=[output], with_position=True)
    got = out.records.column(output if output.startswith("wm_") else f"wm_{output}")
    if out.records.num_rows == n:
        return got.combine_chunks().dictionary_decode()
    # Rejected and empty values leave gaps: each record's line is its place plus two.
    placed: list = [None] * n
    for line, v in zip(out.records.column("wm_line").to_pylist(), got.to_pylist()):
        placed[line - 2] = v
    return pa.array(placed, pa.string())


def _rows_table(rows: list) -> pa.Table:
    """Count table rows (JSON objects) as a table: the dimensions (``by``) as columns first."""
    flat = []
    for r in rows:
        out = dict(r.pop("by", {}) or {})
        if "margin" in r:
            r["margin"] = ",".join(r["margin"])
        out.update(r)
        flat.append(out)
    return pa.Table.from_pylist(flat)
