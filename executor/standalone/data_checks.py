"""Data validation: a table checked against declared expectations and a reference profile.

Pure pandas/numpy: the ``check`` phase (``executor.phases.check``) runs it on the dataset or
splits it consumes, and an export pastes it into ``pipeline.py``. Every expectation is checked
and reported, passed or not, so a failing table names all its problems at once.

An expectation is ``{"column", "expectation", "expected", "observed", "passed"}``; ``column``
is None for the table-wide ones (rows, overall missing rate). Declared expectations:
``min_rows``, ``max_rows``, ``max_missing_rate`` (share of missing cells in the table) and per
column (``columns``: ``name``, ``type``, ``required``, ``min``, ``max``, ``allowed``,
``max_missing_rate``). A reference profile (``executor.standalone.reference``) adds, per
feature: present, same kind (numbers or categories), values inside the profile's range widened
by ``tolerance`` × its width, no category the reference never saw (when it kept them all), and
a missing rate at most ``tolerance`` above the reference's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types

from executor.standalone.columns import category_keys, is_numeric_feature, numeric_values

# --- code ---
COLUMN_TYPES = ("integer", "number", "string", "boolean", "datetime")
DEFAULT_TOLERANCE = 0.1
_SHOWN = 5  # categories named in an observation; the rest are counted


def _integral(series: pd.Series) -> bool:
    """Integers, or floats whose present values are all whole (Parquet turns ints with gaps
    into floats)."""
    if types.is_bool_dtype(series):
        return False
    if types.is_integer_dtype(series):
        return True
    if not types.is_float_dtype(series):
        return False
    present = series.dropna().to_numpy(dtype=float)
    return bool(np.all(np.isfinite(present) & (present == np.round(present))))


def _textual(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype) or types.is_string_dtype(series):
        return all(isinstance(v, str) for v in series.dropna())
    return False


TYPE_TESTS = {
    "integer": _integral,
    "number": lambda s: types.is_numeric_dtype(s) and not types.is_bool_dtype(s),
    "string": _textual,
    "boolean": types.is_bool_dtype,
    "datetime": types.is_datetime64_any_dtype,
}


def type_name(series: pd.Series) -> str:
    """The column's type in the words expectations use (the narrowest that fits), else its
    dtype: ``integer`` before ``number``, a text column with other values is its dtype."""
    for name in ("boolean", "integer", "number", "datetime", "string"):
        if TYPE_TESTS[name](series):
            return name
    return str(series.dtype)


def _plain(value: Any) -> Any:
    """A JSON-ready Python value (numpy scalars unwrapped, NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check(column: str | None, expectation: str, expected: Any, observed: Any, ok: bool) -> dict:
    return {
        "column": column,
        "expectation": expectation,
        "expected": _plain(expected) if not isinstance(expected, list) else expected,
        "observed": _plain(observed) if not isinstance(observed, list) else observed,
        "passed": bool(ok),
    }


def _missing_rate(series: pd.Series) -> float:
    return float(series.isna().mean()) if len(series) else 0.0


def _range(series: pd.Series) -> tuple[float | None, float | None]:
    values = numeric_values(series)
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None, None
    return float(present.min()), float(present.max())


def _unseen(series: pd.Series, allowed: list[str]) -> list[str]:
    keys = category_keys(series).dropna()
    return sorted(set(keys.unique()) - set(allowed))


def _shown(values: list[str]) -> list[str]:
    extra = len(values) - _SHOWN
    return values[:_SHOWN] + ([f"… {extra} more"] if extra > 0 else [])


def table_checks(frame: pd.DataFrame, expectations: dict[str, Any]) -> list[dict[str, Any]]:
    """Row counts and the overall missing rate."""
    found = []
    rows = len(frame)
    if expectations.get("min_rows") is not None:
        low = int(expectations["min_rows"])
        found.append(_check(None, "min_rows", low, rows, rows >= low))
    if expectations.get("max_rows") is not None:
        high = int(expectations["max_rows"])
        found.append(_check(None, "max_rows", high, rows, rows <= high))
    if expectations.get("max_missing_rate") is not None:
        limit = float(expectations["max_missing_rate"])
        cells = frame.size
        rate = float(frame.isna().to_numpy().sum() / cells) if cells else 0.0
        found.append(_check(None, "max_missing_rate", limit, round(rate, 6), rate <= limit))
    return found


def column_checks(frame: pd.DataFrame, column: dict[str, Any]) -> list[dict[str, Any]]:
    """One declared column: present (unless ``required`` is false), type, range, categories,
    missing rate. A column that is absent and not required passes with nothing else checked."""
    name = str(column["name"])
    required = column.get("required", True) not in (False, "false")
    if name not in frame.columns:
        return [_check(name, "required", True, "absent", not required)]
    series = frame[name]
    found = [_check(name, "required", required, "present", True)] if required else []
    declared = column.get("type")
    if declared is not None:
        ok = TYPE_TESTS[str(declared)](series)
        found.append(_check(name, "type", str(declared), type_name(series), ok))
    found += _bounds(name, series, column.get("min"), column.get("max"))
    allowed = column.get("allowed")
    if allowed:
        allowed = sorted(str(v) for v in (allowed if isinstance(allowed, list) else [allowed]))
        unseen = _unseen(series, allowed)
        found.append(_check(name, "allowed_values", allowed, _shown(unseen), not unseen))
    if column.get("max_missing_rate") is not None:
        limit = float(column["max_missing_rate"])
        rate = _missing_rate(series)
        found.append(_check(name, "max_missing_rate", limit, round(rate, 6), rate <= limit))
    return found


def _bounds(name: str, series: pd.Series, low: Any, high: Any) -> list[dict[str, Any]]:
    """The declared ``min``/``max`` of a column: a column that is not numeric fails them; an
    all-missing one has no value out of range."""
    numeric = is_numeric_feature(series)
    least, most = _range(series) if numeric else (None, None)
    found = []
    for expectation, bound, seen in (("min", low, least), ("max", high, most)):
        if bound is None:
            continue
        if not numeric:
            found.append(_check(name, expectation, bound, "not numeric", False))
            continue
        ok = seen is None or (seen >= bound if expectation == "min" else seen <= bound)
        found.append(_check(name, expectation, bound, seen, ok))
    return found


def reference_range(feature: dict[str, Any]) -> tuple[float, float] | None:
    """The values a numeric reference feature held: its ``min``/``max`` when the profile keeps
    them, else the span of its populated bins (None when an open outer bin is populated)."""
    if feature.get("min") is not None and feature.get("max") is not None:
        return float(feature["min"]), float(feature["max"])
    edges, counts = feature.get("edges") or [], feature.get("counts") or []
    populated = [i for i, c in enumerate(counts) if c]
    if not edges or not populated or populated[0] == 0 or populated[-1] == len(edges):
        return None
    return float(edges[populated[0] - 1]), float(edges[populated[-1]])


def reference_checks(
    frame: pd.DataFrame, profile: dict[str, Any], tolerance: float = DEFAULT_TOLERANCE
) -> list[dict[str, Any]]:
    """Each feature of the reference ``profile``: present, same kind, range, categories,
    missing rate (tolerance as the module says)."""
    found = []
    for name, feature in sorted(profile.get("features", {}).items()):
        if name not in frame.columns:
            found.append(_check(name, "reference_column", "present", "absent", False))
            continue
        found.append(_check(name, "reference_column", "present", "present", True))
        series = frame[name]
        kind = "numeric" if is_numeric_feature(series) else "categorical"
        found.append(_check(name, "reference_kind", feature["kind"], kind, kind == feature["kind"]))
        if kind != feature["kind"]:
            continue
        if kind == "numeric":
            found += _reference_range(name, series, feature, tolerance)
        elif int(feature["counts"][-1]) == 0:  # the reference kept every category it saw
            seen = [str(c) for c in feature["categories"]]
            unseen = _unseen(series, seen)
            shown = _shown(unseen)
            found.append(_check(name, "reference_categories", sorted(seen), shown, not unseen))
        limit = float(feature.get("missing_rate", 0.0)) + tolerance
        rate = _missing_rate(series)
        found.append(
            _check(name, "reference_missing_rate", round(limit, 6), round(rate, 6), rate <= limit)
        )
    return found


def _reference_range(name: str, series: pd.Series, feature: dict, tolerance: float) -> list[dict]:
    span = reference_range(feature)
    least, most = _range(series)
    if span is None or least is None or most is None:
        return []
    width = (span[1] - span[0]) or abs(span[0]) or 1.0
    low, high = span[0] - tolerance * width, span[1] + tolerance * width
    expected = [round(low, 12), round(high, 12)]
    return [_check(name, "reference_range", expected, [least, most], low <= least and most <= high)]


def describe(check: dict[str, Any]) -> str:
    """One failed expectation as a sentence: column, expectation, expected, observed."""
    where = f"column {check['column']!r}" if check["column"] is not None else "the table"
    return f"{where}: {check['expectation']} {check['expected']!r}, observed {check['observed']!r}"


def check_table(
    frame: pd.DataFrame,
    expectations: dict[str, Any],
    reference: dict[str, Any] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, Any]:
    """Every expectation on ``frame`` (and every reference feature), as the step's report."""
    checks = table_checks(frame, expectations)
    for column in expectations.get("columns", []):
        checks += column_checks(frame, column)
    if reference is not None:
        checks += reference_checks(frame, reference, tolerance)
    violations = [describe(c) for c in checks if not c["passed"]]
    return {
        "rows": len(frame),
        "columns": len(frame.columns),
        "checks": checks,
        "passed": not violations,
        "violations": violations,
    }
