"""pandas: ``import wm_ethnicity.pandas`` adds the ``wm`` accessor to series.

>>> import pandas as pd, wm_ethnicity.pandas  # noqa: F401
>>> pd.Series(["J", "QQ"]).wm.convert("nhs-ethnic-category").tolist()
['asian.pakistani', None]

Whole frames go through :func:`wm_ethnicity.convert` directly (it takes a ``DataFrame``);
``result.records.to_pandas()`` gives one back.
"""

from __future__ import annotations

import pandas as pd

from . import convert_values


@pd.api.extensions.register_series_accessor("wm")
class WmSeries:
    """``series.wm``: the standard's columns from a coded series."""

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def convert(self, scheme: str, *, by: str = "code", policy: str = "strict", output: str = "wm_code") -> pd.Series:
        """The ``output`` column of each value in ``scheme``, null where rejected or empty."""
        values = convert_values(self._series.astype("string"), scheme, by=by, policy=policy, output=output)
        return pd.Series(values.to_pylist(), index=self._series.index, name=self._series.name, dtype="object")
