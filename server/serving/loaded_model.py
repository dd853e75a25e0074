"""Serving a model artifact in-process: load the bundle a build step wrote, predict.

``LoadedModel`` is the contract model servers build on: ``LoadedModel.load(path)`` reads the
joblib bundle a build step wrote (``executor/phases/build.py``: the fitted pipeline, task,
target, feature columns and dtypes, classes, provenance), and ``predict(payload)`` answers
one request. The payload is checked against the training schema by ``serving.payload``
(formats, columns, types, nullability; ``ServingInputError`` naming the row and field).

An artifact that cannot be unpickled or is not a fitted Ontolab model bundle raises
``ModelArtifactError``; one whose bytes do not match the checksum it is loaded under raises
``CorruptArtifact``, as the artifact store does.

Speed: the checked rows become one float matrix; one DataFrame is built per request only
because the pipeline's ColumnTransformer selects columns by name, and not at all when the
preprocessing compiles to an affine map (``serving.affine``). The preprocessing runs once
even when both predictions and probabilities are returned.

Thread safety: a LoadedModel is read-only after ``load`` and may serve several threads at once
(scikit-learn's predict methods do not mutate the estimator). ``ModelCache`` is thread-safe.

Only load artifacts the platform wrote: joblib files are pickles and run code when loaded.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from pandas.api import types
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from server.errors import CorruptArtifact, ModelArtifactError, NotFoundError
from server.serving.affine import compile_affine
from server.serving.payload import FORMAT_KEYS, Column, TrainingSchema, text_column

_REBUILD = "rerun the experiment that built it (its build step writes the model bundle)"


class LoadedModel:
    """A model artifact ready to answer prediction requests."""

    def __init__(self, bundle: dict[str, Any], *, version: int | None = None) -> None:
        try:
            self.pipeline = bundle["pipeline"]
            self.feature_columns: list[str] = [str(c) for c in bundle["feature_columns"]]
        except (KeyError, TypeError) as exc:
            raise ModelArtifactError(
                f"the artifact is not an Ontolab model bundle (missing {exc}); "
                "load the model output of a build step"
            ) from exc
        _check_fitted(self.pipeline)
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
        self.schema = TrainingSchema(self.columns)
        self._transform, self._estimator = _split_pipeline(self.pipeline)
        self._affine = (
            compile_affine(self.pipeline.steps[0][1], self.feature_columns)
            if self._transform is not None
            and not self.schema.text
            and len(self.pipeline.steps) == 2
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
        """Read the joblib model artifact at ``path``; with ``sha256``, check it first.

        Raises:
            NotFoundError: the file cannot be read.
            CorruptArtifact: its bytes do not match ``sha256``.
            ModelArtifactError: it cannot be unpickled, or is not a fitted model bundle.
        """
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise NotFoundError(f"cannot read the model artifact {path}: {exc}") from exc
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise CorruptArtifact(
                f"the model artifact {path} does not match its checksum {sha256}; "
                "it was changed or damaged on disk, so rerun the experiment that built it"
            )
        try:
            with Path(path).open("rb") as fileobj:
                bundle = joblib.load(fileobj)
        # Unpickling raises whatever the stored bytes make it raise (UnpicklingError,
        # EOFError, a missing module or class of another library version, ...).
        except Exception as exc:
            raise ModelArtifactError(
                f"cannot unpickle the model artifact {path} ({type(exc).__name__}: {exc}); it "
                f"was not written by a build step of this platform and libraries, so {_REBUILD}"
            ) from exc
        if not isinstance(bundle, dict):
            raise ModelArtifactError(
                f"{path} holds a {type(bundle).__name__}, not an Ontolab model bundle; "
                "load the model output of a build step"
            )
        return cls(bundle, version=version)

    def input_schema(self) -> dict[str, Any]:
        """What ``predict`` accepts: the columns, in training order, and a JSON Schema of a row."""
        return {
            "model": self.name,
            "task": self.task,
            "target": self.target,
            "columns": [c.describe() for c in self.columns],
            "classes": self.classes,
            "formats": list(FORMAT_KEYS),
            "record_schema": self.schema.record_schema(),
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
            values, rows = self.schema.read(payload)
            return self._affine(self.schema.numeric_matrix(values, rows))
        frame = self.frame(payload)
        return self._transform(frame) if self._transform is not None else frame

    def frame(self, payload: dict[str, Any]) -> pd.DataFrame:
        """The checked rows of ``payload`` as the DataFrame the pipeline takes."""
        schema = self.schema
        values, rows = schema.read(payload)
        numeric = schema.numeric_matrix(values, rows)
        if not schema.text:
            return pd.DataFrame(numeric, columns=self.feature_columns, copy=False)
        data: dict[str, Any] = {}
        position = {index: j for j, index in enumerate(schema.numeric)}
        for index, column in enumerate(self.columns):
            if column.numeric:
                data[column.name] = numeric[:, position[index]]
            else:
                data[column.name] = text_column(column, values[index])
        return pd.DataFrame(data, columns=self.feature_columns, copy=False)


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


def _check_fitted(pipeline: Any) -> None:
    """Raise ModelArtifactError unless ``pipeline`` is a fitted scikit-learn estimator."""
    try:
        check_is_fitted(pipeline)
    except (NotFittedError, TypeError) as exc:
        raise ModelArtifactError(
            f"the model bundle's pipeline is not a fitted scikit-learn estimator ({exc}); "
            f"{_REBUILD}"
        ) from exc


def _column(name: str, dtype: str, nullable: bool) -> Column:
    try:
        parsed = types.pandas_dtype(dtype)
    except TypeError:
        return Column(name, dtype, False, nullable)
    numeric = types.is_numeric_dtype(parsed) and not types.is_bool_dtype(parsed)
    return Column(name, dtype, numeric, nullable)
