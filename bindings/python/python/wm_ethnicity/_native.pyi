from typing import Any, Optional, Sequence, Tuple

import pyarrow as pa

STANDARD_VERSION: str

# (scheme, scheme_column, council_column, dataset_column): one given, the last two together.
Source = Tuple[Optional[str], Optional[str], Optional[str], Optional[str]]

class WmEthnicityError(Exception):
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    field: Optional[str]

# (spec, True) is YAML text; (path, False) a file.
Spec = Tuple[str, bool]

def convert(
    data: Any,
    coded: Sequence[str],
    source: Source,
    *,
    spec: Optional[Spec] = None,
    by_: Optional[str] = None,
    policy_: str = "strict",
    to_scheme: Optional[str] = None,
    separator: Optional[str] = None,
    priority: Optional[str] = None,
    characteristics: Sequence[str] = ...,
    added: Optional[str] = None,
    with_position: bool = False,
    scheme_files: Sequence[str] = ...,
    name: str = "<arrow>",
) -> Tuple[pa.Table, pa.Table, str]: ...
def validate(
    data: Any,
    coded: Sequence[str],
    source: Source,
    *,
    by_: Optional[str] = None,
    spec: Optional[Spec] = None,
    separator: Optional[str] = None,
    characteristics: Sequence[str] = ...,
    id_column: Optional[str] = None,
    date_column: Optional[str] = None,
    scheme_files: Sequence[str] = ...,
    name: str = "<arrow>",
) -> Tuple[pa.Table, str]: ...
def aggregate(
    data: Any,
    column: str,
    source: Source,
    *,
    by_: str = "code",
    policy_: str = "strict",
    to: str = "category",
    group_by: Sequence[str] = ...,
    count_column: Optional[str] = None,
    disclosure: Optional[str] = None,
    scheme_files: Sequence[str] = ...,
    name: str = "<arrow>",
) -> Tuple[str, pa.Table]: ...
def standard(level: Optional[str] = None) -> str: ...
def schemes() -> str: ...
