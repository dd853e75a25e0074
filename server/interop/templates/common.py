"""What every step of an exported pipeline shares: its parameters and the Parquet hand-over."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# --- code ---
HERE = Path(__file__).resolve().parent
# The resolved parameters of every step, as the run recorded them (params.json).
PARAMS: dict[str, dict[str, Any]] = json.loads((HERE / "params.json").read_text(encoding="utf-8"))


def as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the platform handed it from extract to the next steps: written to Parquet
    without its index and read back, so the next steps see the same dtypes and row labels."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return pq.read_table(io.BytesIO(buffer.getvalue())).to_pandas()


def read_stored(path: Path) -> pd.DataFrame:
    """A table the platform stored (Parquet), read as its steps read it."""
    return pq.read_table(path).to_pandas()
