"""Checking a prediction request against the model's training schema.

Accepted payloads:

- ``{"dataframe_records": [{column: value, ...}, ...]}`` (``"records"`` is an alias);
- ``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`` (pandas ``orient="split"``);
- ``{"inputs": {column: value, ...}}`` (one record) or ``{"inputs": [records...]}``.

Every row must give exactly the training feature columns. Numeric columns take JSON numbers,
the others strings (or booleans); ``null`` is allowed only in nullable columns (those the
pipeline imputes, or all when the estimator takes missing values itself). Anything else raises
``ServingInputError`` naming the row and field, e.g.
``row 3, field "mean radius": expected a number, got "abc"``.

Speed: the rows are checked and turned into one float matrix column by column with set and
numpy operations, never a pandas call per row. Pure numpy: no pandas, no scikit-learn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.errors import ServingInputError

RECORD_KEYS = ("dataframe_records", "records", "inputs")
FORMAT_KEYS = (*RECORD_KEYS, "dataframe_split")
_NUMERIC_TYPES = frozenset({int, float, type(None)})
_TEXT_TYPES = frozenset({str, bool, type(None)})
_BAD_VALUE_CHARS = 60

#: A payload's values column by column (in training order) and its row count.
Columns = tuple[list[list[Any]], int]


@dataclass(frozen=True)
class Column:
    """One feature column as the model was trained on it."""

    name: str
    dtype: str
    numeric: bool
    nullable: bool

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "number" if self.numeric else "string",
            "dtype": self.dtype,
            "nullable": self.nullable,
        }


class TrainingSchema:
    """The training feature columns a request's rows are checked against. Read-only."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.names = [c.name for c in columns]
        self.numeric = [i for i, c in enumerate(columns) if c.numeric]
        self.text = [i for i, c in enumerate(columns) if not c.numeric]
        self._names = frozenset(self.names)

    def record_schema(self) -> dict[str, Any]:
        """A JSON Schema of one row."""
        properties = {
            c.name: {"type": ["number", "null"] if c.nullable else "number"}
            if c.numeric
            else {"type": ["string", "boolean", "null"] if c.nullable else ["string", "boolean"]}
            for c in self.columns
        }
        return {
            "type": "object",
            "properties": properties,
            "required": list(self.names),
            "additionalProperties": False,
        }

    # --- reading the payload ------------------------------------------------------------

    def read(self, payload: Any) -> Columns:
        """The payload's values column by column, in training order, and the row count."""
        if not isinstance(payload, dict):
            raise ServingInputError(
                f"the request body must be a JSON object with one of {_keys(FORMAT_KEYS)}"
            )
        given = [k for k in FORMAT_KEYS if k in payload]
        unknown = sorted(set(payload) - set(FORMAT_KEYS))
        if len(given) != 1 or unknown:
            raise ServingInputError(
                f"the request body must hold exactly one of {_keys(FORMAT_KEYS)}; "
                f"got {_keys(sorted(payload)) or 'an empty object'}",
                field=unknown[0] if unknown else None,
            )
        key = given[0]
        if key == "dataframe_split":
            return self._split_columns(payload[key])
        rows = payload[key]
        if key == "inputs" and isinstance(rows, dict):
            rows = [rows]
        return self._record_columns(rows, key)

    def _record_columns(self, rows: Any, key: str) -> Columns:
        if not isinstance(rows, list):
            raise ServingInputError(
                f'"{key}" must be a list of objects (one per row), got {_json_type(rows)}',
                field=key,
            )
        if not rows:
            raise ServingInputError(
                f'"{key}" is empty; send at least one row of {len(self.columns)} fields',
                field=key,
            )
        expected = self._names
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise ServingInputError(
                    f"row {index}: expected an object of field: value, got {_json_type(row)}",
                    row=index,
                )
            if row.keys() != expected:
                self._field_mismatch(index, row.keys())
        return [[row[name] for row in rows] for name in self.names], len(rows)

    def _split_columns(self, split: Any) -> Columns:
        if not isinstance(split, dict):
            raise ServingInputError(
                '"dataframe_split" must be an object with "columns" and "data", got '
                f"{_json_type(split)}",
                field="dataframe_split",
            )
        columns, data = split.get("columns"), split.get("data")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ServingInputError(
                '"dataframe_split.columns" must be a list of column names', field="columns"
            )
        if len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if columns.count(c) > 1})
            raise ServingInputError(
                f'"dataframe_split.columns" names {_keys(twice)} more than once',
                field=twice[0],
            )
        if set(columns) != self._names:
            self._field_mismatch(None, set(columns))
        if not isinstance(data, list) or not data:
            raise ServingInputError(
                '"dataframe_split.data" must be a non-empty list of rows (lists of values)',
                field="data",
            )
        width = len(columns)
        for index, row in enumerate(data):
            if not isinstance(row, list) or len(row) != width:
                raise ServingInputError(
                    f"row {index}: expected a list of {width} values in the order of "
                    f'"columns", got {_describe_row(row)}',
                    row=index,
                )
        positions = {name: j for j, name in enumerate(columns)}
        return [[row[positions[name]] for row in data] for name in self.names], len(data)

    def _field_mismatch(self, row: int | None, keys: Any) -> None:
        where = f"row {row}: " if row is not None else ""
        missing = [c for c in self.names if c not in keys]
        if missing:
            raise ServingInputError(
                f'{where}missing field "{missing[0]}"'
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; send every feature column the model was trained on "
                "(GET its input schema for the list)",
                field=missing[0],
                row=row,
            )
        unknown = sorted(str(k) for k in keys if k not in self._names)
        raise ServingInputError(
            f'{where}unknown field "{unknown[0]}"; the model takes only its training feature '
            "columns (GET its input schema for the list)",
            field=unknown[0],
            row=row,
        )

    # --- converting values --------------------------------------------------------------

    def numeric_matrix(self, values: list[list[Any]], rows: int) -> np.ndarray:
        """The numeric columns as one (rows × columns) float matrix, None as NaN."""
        if not self.numeric:
            return np.empty((rows, 0))
        for index in self.numeric:
            if not _NUMERIC_TYPES.issuperset(map(type, values[index])):
                _check_numbers(self.columns[index], values[index])
        matrix = np.array([values[i] for i in self.numeric], dtype=np.float64).T
        finite = np.isfinite(matrix)
        if not finite.all():
            self._check_finite(matrix, finite)
        return matrix

    def _check_finite(self, matrix: np.ndarray, finite: np.ndarray) -> None:
        """Raise for infinities, and for missing values in columns the model cannot impute."""
        missing_ok = np.array([self.columns[i].nullable for i in self.numeric])
        bad = ~finite & (np.isinf(matrix) | ~missing_ok)
        if not bad.any():
            return
        row, position = (int(i) for i in np.argwhere(bad)[0])
        column = self.columns[self.numeric[position]]
        value = matrix[row, position]
        message = (
            f"expected a finite number, got {value}"
            if math.isinf(value)
            else "a value is required: this model cannot fill in a missing value here"
        )
        raise ServingInputError(
            f'row {row}, field "{column.name}": {message}', field=column.name, row=row
        )


def text_column(column: Column, values: list[Any]) -> np.ndarray:
    """A text column's values as an object array, None as NaN where the column allows it."""
    if not _TEXT_TYPES.issuperset(map(type, values)):
        for row, value in enumerate(values):
            if not isinstance(value, str | bool) and value is not None:
                raise ServingInputError(
                    f'row {row}, field "{column.name}": expected a string, got {_shown(value)}',
                    field=column.name,
                    row=row,
                )
    if None in values:
        if not column.nullable:
            row = values.index(None)
            raise ServingInputError(
                f'row {row}, field "{column.name}": a value is required: this model '
                "cannot fill in a missing value here",
                field=column.name,
                row=row,
            )
        values = [np.nan if v is None else v for v in values]
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _check_numbers(column: Column, values: list[Any]) -> None:
    """Raise for the first value that is not a JSON number (or an allowed null)."""
    for row, value in enumerate(values):
        if value is None or (
            isinstance(value, int | float | np.number) and not isinstance(value, bool)
        ):
            continue
        raise ServingInputError(
            f'row {row}, field "{column.name}": expected a number, got {_shown(value)}',
            field=column.name,
            row=row,
        )


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= _BAD_VALUE_CHARS else text[: _BAD_VALUE_CHARS - 1] + "…"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _describe_row(row: Any) -> str:
    return f"{len(row)} values" if isinstance(row, list) else _json_type(row)


def _keys(names: Any) -> str:
    return ", ".join(f'"{n}"' for n in names)
