"""How the run store encodes what it keeps: JSON for summaries, Parquet for tables.

JSON has no NaN or infinity (they become null); Parquet keeps dtypes, column order,
MultiIndex columns and the index with its names, so a reloaded frame equals the saved one.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.store.files import RunStoreError

if TYPE_CHECKING:
    import pandas as pd


def _plain(value: Any) -> Any:
    """JSON-ready data: numpy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _to_json(value: Any) -> str:
    try:
        return json.dumps(_plain(value), allow_nan=False)
    except TypeError as exc:
        raise RunStoreError(f"cannot store as JSON: {exc}") from None


def _to_parquet(frame: pd.DataFrame, what: str) -> bytes:
    import pyarrow as pa  # loaded when a table is stored, not when the CLI starts
    import pyarrow.parquet as pq

    frame = frame.copy(deep=False)
    frame.attrs = {}  # side data (a comparison's raw replications) is not the table
    try:
        table = pa.Table.from_pandas(frame, nthreads=1)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise RunStoreError(f"cannot store the {what}: {exc}") from None
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _from_parquet(data: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(pa.BufferReader(data))
    return reader.read(use_threads=False).to_pandas(use_threads=False)


def _plain_index(frame: pd.DataFrame) -> bool:
    """True for an unnamed 0..n-1 index, which carries nothing worth a CSV column."""
    import pandas as pd

    index = frame.index
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.equals(pd.RangeIndex(len(index)))
    )
