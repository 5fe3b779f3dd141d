"""Spark: convert and validate a DataFrame with ``DataFrame.mapInArrow`` (each partition's Arrow
batches go to the crate on the executors, no per-row Python), and aggregate with Spark's own
``groupBy`` before the crate's roll-up and disclosure policy on the reduced table.

>>> from wm_ethnicity import spark as wms
>>> converted = wms.convert(df, "ethnicity", "nhs-ethnic-category")        # a DataFrame
>>> findings = wms.validate(df, "ethnicity", "nhs-ethnic-category")        # a DataFrame
>>> table = wms.aggregate(df, "ethnicity", "nhs-ethnic-category", disclosure="suppress:10")

The wheel must be installed where the executors' Python runs (``PYSPARK_PYTHON``). Record
numbers and lines in findings and rejects count within each partition: ``partition`` says which.
The standard's columns come back as strings (Spark has no dictionary type).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import pyarrow as pa

import wm_ethnicity as wm

_REJECT_FIELDS = [
    ("partition", "int"),
    ("line", "bigint"),
    ("record", "bigint"),
    ("row", "bigint"),
    ("column", "string"),
    ("value", "string"),
    ("rule", "string"),
    ("rule_name", "string"),
    ("reason", "string"),
    ("suggestion", "string"),
]


def _plain(table: pa.Table) -> pa.Table:
    """``table`` with dictionary columns decoded and unsigned numbers signed, as Spark reads."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_unsigned_integer(t):
            t = pa.int64()
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


def _partition() -> int:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return ctx.partitionId() if ctx else 0


def convert(df: Any, column: str, scheme: Optional[str] = None, *, rejects: bool = False, **kwargs: Any) -> Any:
    """The converted records of ``df`` (every input column, as text, then the ``wm_`` columns),
    or with ``rejects=True`` the rejected ones (where and why, and the ``partition``). Keyword
    arguments are :func:`wm_ethnicity.convert`'s."""
    from pyspark.sql.types import StructType

    # The output schema, from converting an empty table with the same columns.
    empty = pa.table({n: pa.array([], pa.string()) for n in df.columns})
    probe = wm.convert(empty, column, scheme, **kwargs)
    if rejects:
        schema = StructType.fromDDL(", ".join(f"`{n}` {t}" for n, t in _REJECT_FIELDS))
    else:
        schema = StructType.fromDDL(", ".join(f"`{n}` string" for n in probe.records.column_names))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = pa.RecordBatchReader.from_batches(empty.schema, (b.cast(empty.schema) for b in batches))
        out = wm.convert(reader, column, scheme, name=f"partition {_partition()}", **kwargs)
        if rejects:
            t = _plain(out.rejects)
            t = t.add_column(0, "partition", pa.array([_partition()] * t.num_rows, pa.int32()))
        else:
            t = _plain(out.records)
        yield from t.to_batches()

    return df.mapInArrow(run, schema)


def validate(df: Any, column: Optional[str] = None, scheme: Optional[str] = None, **kwargs: Any) -> Any:
    """The findings of ``df`` as a DataFrame (``partition`` first, then the finding columns).
    Checks across partitions (duplicate ids) see one partition at a time."""
    from pyspark.sql.types import StructType

    ddl = "partition int, rule string, name string, severity string, line bigint, record bigint, row bigint, " \
        "`column` string, value string, message string, suggestion string"
    names = list(df.columns)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        schema = pa.schema([(n, pa.string()) for n in names])
        reader = pa.RecordBatchReader.from_batches(schema, (b.cast(schema) for b in batches))
        out = wm.validate(reader, column, scheme, name=f"partition {_partition()}", **kwargs)
        t = _plain(out.findings)
        t = t.add_column(0, "partition", pa.array([_partition()] * t.num_rows, pa.int32()))
        yield from t.to_batches()

    return df.mapInArrow(run, StructType.fromDDL(ddl))


def aggregate(
    df: Any,
    column: str,
    scheme: Optional[str] = None,
    *,
    group_by: Sequence[str] = (),
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    **kwargs: Any,
) -> wm.Aggregated:
    """Counts ``df`` by the coded column (and the scheme columns and ``group_by``) in Spark, then
    hands the reduced table, one row per distinct combination with its count, to
    :func:`wm_ethnicity.aggregate` on the driver: the roll-up to the standard and the
    disclosure policy (``disclosure=``) run on a few thousand rows, whatever the extract's size."""
    keys = [column, *(c for c in (scheme_column, council_column, dataset_column) if c), *group_by]
    keys = list(dict.fromkeys(keys))
    counts = df.groupBy(*keys).count().withColumnRenamed("count", "__wm_count").toArrow()
    counts = counts.cast(pa.schema([(n, pa.string()) for n in counts.column_names]))
    return wm.aggregate(
        counts,
        column,
        scheme,
        scheme_column=scheme_column,
        council_column=council_column,
        dataset_column=dataset_column,
        group_by=list(group_by),
        count_column="__wm_count",
        **kwargs,
    )
