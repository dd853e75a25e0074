"""How a column's values are read for statistics: as numbers (binned by value) or as
categories (kept as text). Shared by reference profiles (``reference``), drift and data
validation (``data_checks``), so they all read a column the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types

# --- code ---


def is_numeric_feature(series: pd.Series) -> bool:
    """Numbers and datetimes are binned by value; booleans and everything else are categories."""
    if types.is_bool_dtype(series):
        return False
    return types.is_numeric_dtype(series) or types.is_datetime64_any_dtype(series)


def numeric_values(series: pd.Series) -> np.ndarray:
    """The column as float64 with NaN for missing (datetimes as seconds since the epoch)."""
    if types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
        seconds = stamps.astype("int64").to_numpy(dtype=float) / 1e9
        return np.where(stamps.isna().to_numpy(), np.nan, seconds)
    return series.to_numpy(dtype=float, na_value=np.nan)


def category_keys(series: pd.Series) -> pd.Series:
    """The column's values as strings (missing stays missing), the form categories are kept in."""
    return series.astype(object).map(str, na_action="ignore")
