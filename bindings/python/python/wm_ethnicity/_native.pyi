from typing import Any, Optional, Sequence, Tuple

import pyarrow as pa

STANDARD_VERSION: str

class WmEthnicityError(Exception):
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    field: Optional[str]

def convert(
    data: Any,
    column: str,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    by_: str = "code",
    policy_: str = "strict",
    to_scheme: Optional[str] = None,
    columns: Optional[str] = None,
    with_position: bool = False,
    scheme_files: Sequence[str] = ...,
    name: str = "<arrow>",
) -> Tuple[pa.Table, pa.Table, str]: ...
def validate(
    data: Any,
    column: Optional[str] = None,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
    by_: str = "code",
    spec: Optional[str] = None,
    id_column: Optional[str] = None,
    date_column: Optional[str] = None,
    scheme_files: Sequence[str] = ...,
    name: str = "<arrow>",
) -> Tuple[pa.Table, str]: ...
def aggregate(
    data: Any,
    column: str,
    scheme: Optional[str] = None,
    *,
    scheme_column: Optional[str] = None,
    council_column: Optional[str] = None,
    dataset_column: Optional[str] = None,
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
