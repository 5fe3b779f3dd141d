"""Polars: ``import wm_ethnicity.polars`` adds the ``wm`` namespace to expressions.

>>> import polars as pl, wm_ethnicity.polars  # noqa: F401
>>> df = pl.DataFrame({"ethnicity": ["J", "QQ", "A"]})
>>> df.select(pl.col("ethnicity").wm.convert(scheme="nhs-ethnic-category"))["ethnicity"].to_list()
['asian.pakistani', None, 'white.british']

Each batch goes to the crate as Arrow and back (no per-row Python). Not a compiled Polars plugin:
pyo3-polars 0.28 brings the polars crates 0.55 with their own Arrow beside arrow-rs, and a plugin
must match the Polars it is loaded into.
"""

from __future__ import annotations

import polars as pl

from . import convert_values


@pl.api.register_expr_namespace("wm")
class WmExpr:
    """``pl.col(...).wm``: the standard's columns from a coded column."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def convert(self, scheme: str, *, by: str = "code", policy: str = "strict", output: str = "wm_code") -> pl.Expr:
        """The ``output`` column (``wm_code``, ``wm_group``, ``wm_category``, ...) of each value
        in ``scheme``; null where the value is rejected or empty."""
        return self._expr.map_batches(
            lambda s: pl.from_arrow(convert_values(s.to_arrow(), scheme, by=by, policy=policy, output=output)),
            return_dtype=pl.String,
        )
