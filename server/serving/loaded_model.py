"""Serving a model artifact in-process: check a request against the training schema, predict.

``LoadedModel`` is the contract model servers build on: ``LoadedModel.load(path)`` reads the
joblib bundle a build step wrote (``executor/phases/build.py``: the fitted pipeline, task,
target, feature columns and dtypes, classes, provenance), and ``predict(payload)`` answers
one request. Accepted payloads:

- ``{"dataframe_records": [{column: value, ...}, ...]}`` (``"records"`` is an alias);
- ``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`` (pandas ``orient="split"``);
- ``{"inputs": {column: value, ...}}`` (one record) or ``{"inputs": [records...]}``.

Every row must give exactly the training feature columns. Numeric columns take JSON numbers,
the others strings (or booleans); ``null`` is allowed only in columns the pipeline imputes (or
when the estimator takes missing values itself). Anything else raises ``ServingInputError``
naming the row and field, e.g. ``row 3, field "mean radius": expected a number, got "abc"``.

Speed: the rows are checked and turned into one float matrix column by column with set and
numpy operations, never a pandas call per row; one DataFrame is built per request only
because the pipeline's ColumnTransformer selects columns by name. The preprocessing runs once
even when both predictions and probabilities are returned.

Thread safety: a LoadedModel is read-only after ``load`` and may serve several threads at once
(scikit-learn's predict methods do not mutate the estimator). ``ModelCache`` is thread-safe.

Only load artifacts the platform wrote: joblib files are pickles and run code when loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from pandas.api import types
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from server.errors import NotFoundError, ServingInputError
from server.serving.affine import compile_affine

RECORD_KEYS = ("dataframe_records", "records", "inputs")
FORMAT_KEYS = (*RECORD_KEYS, "dataframe_split")
_NUMERIC_TYPES = frozenset({int, float, type(None)})
_TEXT_TYPES = frozenset({str, bool, type(None)})
_BAD_VALUE_CHARS = 60


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


class LoadedModel:
    """A model artifact ready to answer prediction requests."""

    def __init__(self, bundle: dict[str, Any], *, version: int | None = None) -> None:
        try:
            self.pipeline = bundle["pipeline"]
            self.feature_columns: list[str] = [str(c) for c in bundle["feature_columns"]]
        except (KeyError, TypeError) as exc:
            raise NotFoundError(
                f"the artifact is not an Ontolab model bundle (missing {exc}); "
                "load the model output of a build step"
            ) from exc
        self.name: str = str(bundle.get("model_name", "model"))
        self.task: str = str(bundle.get("task", "classification"))
        self.target: str | None = bundle.get("target")
        self.version = version
        self.library_versions: dict[str, str] = dict(bundle.get("library_versions", {}))
        dtypes = bundle.get("feature_dtypes", {})
        nullable = nullable_columns(self.pipeline, self.feature_columns)
        self.columns = [
            _column(name, str(dtypes.get(name, "float64")), name in nullable)
            for name in self.feature_columns
        ]
        self._column_set = frozenset(self.feature_columns)
        self._numeric = [i for i, c in enumerate(self.columns) if c.numeric]
        self._text = [i for i, c in enumerate(self.columns) if not c.numeric]
        self._transform, self._estimator = _split_pipeline(self.pipeline)
        self._affine = (
            compile_affine(self.pipeline.steps[0][1], self.feature_columns)
            if self._transform is not None and not self._text and len(self.pipeline.steps) == 2
            else None
        )
        self._has_proba = self.task == "classification" and hasattr(
            self._estimator, "predict_proba"
        )
        known = getattr(self._estimator, "classes_", bundle.get("classes"))
        self.classes: list | None = (
            np.asarray(known).tolist()
            if self.task == "classification" and known is not None
            else None
        )

    @classmethod
    def load(
        cls, path: Path, *, version: int | None = None, sha256: str | None = None
    ) -> LoadedModel:
        """Read the joblib model artifact at ``path``; with ``sha256``, check it first."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise NotFoundError(f"cannot read the model artifact {path}: {exc}") from exc
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise NotFoundError(
                f"the model artifact {path} does not match its checksum {sha256}; "
                "it was changed or damaged on disk, so rerun the experiment that built it"
            )
        with Path(path).open("rb") as fileobj:
            bundle = joblib.load(fileobj)
        if not isinstance(bundle, dict):
            raise NotFoundError(
                f"{path} holds a {type(bundle).__name__}, not an Ontolab model bundle; "
                "load the model output of a build step"
            )
        return cls(bundle, version=version)

    def input_schema(self) -> dict[str, Any]:
        """What ``predict`` accepts: the columns, in training order, and a JSON Schema of a row."""
        properties = {
            c.name: {"type": ["number", "null"] if c.nullable else "number"}
            if c.numeric
            else {"type": ["string", "boolean", "null"] if c.nullable else ["string", "boolean"]}
            for c in self.columns
        }
        return {
            "model": self.name,
            "task": self.task,
            "target": self.target,
            "columns": [c.describe() for c in self.columns],
            "classes": self.classes,
            "formats": list(FORMAT_KEYS),
            "record_schema": {
                "type": "object",
                "properties": properties,
                "required": list(self.feature_columns),
                "additionalProperties": False,
            },
        }

    def predict(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Predictions (and class probabilities) for the rows of ``payload``."""
        features = self._features(payload)
        predictions = self._estimator.predict(features)
        response: dict[str, Any] = {"predictions": np.asarray(predictions).tolist()}
        if self._has_proba:
            response["probabilities"] = np.asarray(self._estimator.predict_proba(features)).tolist()
        if self.classes is not None:
            response["classes"] = self.classes
        model: dict[str, Any] = {"name": self.name}
        if self.version is not None:
            model["version"] = self.version
        response["model"] = model
        return response

    def _features(self, payload: dict[str, Any]) -> Any:
        """The estimator's input: through the compiled numeric transform where there is one."""
        if self._affine is not None:
            values, rows = self._columns(payload)
            return self._affine(self._numeric_matrix(values, rows))
        frame = self.frame(payload)
        return self._transform(frame) if self._transform is not None else frame

    def frame(self, payload: dict[str, Any]) -> pd.DataFrame:
        """The checked rows of ``payload`` as the DataFrame the pipeline takes."""
        values, rows = self._columns(payload)
        numeric = self._numeric_matrix(values, rows)
        if not self._text:
            return pd.DataFrame(numeric, columns=self.feature_columns, copy=False)
        data: dict[str, Any] = {}
        position = {index: j for j, index in enumerate(self._numeric)}
        for index, column in enumerate(self.columns):
            if column.numeric:
                data[column.name] = numeric[:, position[index]]
            else:
                data[column.name] = self._text_column(column, values[index])
        return pd.DataFrame(data, columns=self.feature_columns, copy=False)

    # --- reading the payload ------------------------------------------------------------

    def _columns(self, payload: Any) -> tuple[list[list[Any]], int]:
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

    def _record_columns(self, rows: Any, key: str) -> tuple[list[list[Any]], int]:
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
        expected = self._column_set
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise ServingInputError(
                    f"row {index}: expected an object of field: value, got {_json_type(row)}",
                    row=index,
                )
            if row.keys() != expected:
                self._field_mismatch(index, row.keys())
        return [[row[name] for row in rows] for name in self.feature_columns], len(rows)

    def _split_columns(self, split: Any) -> tuple[list[list[Any]], int]:
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
        if set(columns) != self._column_set:
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
        return [[row[positions[name]] for row in data] for name in self.feature_columns], len(data)

    def _field_mismatch(self, row: int | None, keys: Any) -> None:
        where = f"row {row}: " if row is not None else ""
        missing = [c for c in self.feature_columns if c not in keys]
        if missing:
            raise ServingInputError(
                f'{where}missing field "{missing[0]}"'
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; send every feature column the model was trained on "
                "(GET its input schema for the list)",
                field=missing[0],
                row=row,
            )
        unknown = sorted(str(k) for k in keys if k not in self._column_set)
        raise ServingInputError(
            f'{where}unknown field "{unknown[0]}"; the model takes only its training feature '
            "columns (GET its input schema for the list)",
            field=unknown[0],
            row=row,
        )

    # --- converting values --------------------------------------------------------------

    def _numeric_matrix(self, values: list[list[Any]], rows: int) -> np.ndarray:
        """The numeric columns as one (rows × columns) float matrix, None as NaN."""
        if not self._numeric:
            return np.empty((rows, 0))
        for index in self._numeric:
            if not _NUMERIC_TYPES.issuperset(map(type, values[index])):
                self._check_numbers(self.columns[index], values[index])
        matrix = np.array([values[i] for i in self._numeric], dtype=np.float64).T
        finite = np.isfinite(matrix)
        if not finite.all():
            self._check_finite(matrix, finite)
        return matrix

    def _check_numbers(self, column: Column, values: list[Any]) -> None:
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

    def _check_finite(self, matrix: np.ndarray, finite: np.ndarray) -> None:
        """Raise for infinities, and for missing values in columns the model cannot impute."""
        missing_ok = np.array([self.columns[i].nullable for i in self._numeric])
        bad = ~finite & (np.isinf(matrix) | ~missing_ok)
        if not bad.any():
            return
        row, position = (int(i) for i in np.argwhere(bad)[0])
        column = self.columns[self._numeric[position]]
        value = matrix[row, position]
        message = (
            f"expected a finite number, got {value}"
            if math.isinf(value)
            else "a value is required: this model cannot fill in a missing value here"
        )
        raise ServingInputError(
            f'row {row}, field "{column.name}": {message}', field=column.name, row=row
        )

    def _text_column(self, column: Column, values: list[Any]) -> np.ndarray:
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


class ModelCache:
    """Loaded models by artifact sha256, least recently used dropped first. Thread-safe."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, path: Path) -> LoadedModel:
        """The model with checksum ``sha256``, loaded from ``path`` on first use."""
        with self._lock:
            model = self._models.get(sha256)
            if model is not None:
                self._models.move_to_end(sha256)
                return model
        model = LoadedModel.load(path, sha256=sha256)  # outside the lock: loads may overlap
        with self._lock:
            self._models[sha256] = model
            self._models.move_to_end(sha256)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        return model

    def __len__(self) -> int:
        return len(self._models)


def nullable_columns(pipeline: Any, columns: list[str]) -> set[str]:
    """The columns where a missing value is fine: imputed, or the estimator takes NaN."""
    estimator = pipeline.steps[-1][1] if isinstance(pipeline, Pipeline) else pipeline
    try:
        if get_tags(estimator).input_tags.allow_nan:
            return set(columns)
    except (AttributeError, TypeError, ValueError):
        pass  # not a scikit-learn estimator with tags: trust the imputers only
    first = pipeline.steps[0][1] if isinstance(pipeline, Pipeline) else None
    if not isinstance(first, ColumnTransformer):
        return set()
    imputed: set[str] = set()
    for _, transformer, selected in first.transformers_:
        if _imputes(transformer) and isinstance(selected, list | tuple):
            imputed |= {str(c) for c in selected}
    return imputed


def _imputes(transformer: Any) -> bool:
    if isinstance(transformer, SimpleImputer):
        return True
    if isinstance(transformer, Pipeline):
        return any(isinstance(step, SimpleImputer) for _, step in transformer.steps)
    return False


def _split_pipeline(pipeline: Any) -> tuple[Any, Any]:
    """The preprocessing's ``transform`` and the final estimator, so both predict methods
    share one transform; a non-Pipeline model is used whole."""
    if isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1:
        return pipeline[:-1].transform, pipeline.steps[-1][1]
    return None, pipeline


def _column(name: str, dtype: str, nullable: bool) -> Column:
    try:
        parsed = types.pandas_dtype(dtype)
    except TypeError:
        return Column(name, dtype, False, nullable)
    numeric = types.is_numeric_dtype(parsed) and not types.is_bool_dtype(parsed)
    return Column(name, dtype, numeric, nullable)


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
