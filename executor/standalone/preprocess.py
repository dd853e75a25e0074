"""Preprocessing: how the process phase imputes, scales and encodes feature columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types
from sklearn.base import TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

# --- code ---
SCALERS: dict[str, type[TransformerMixin] | None] = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
    "none": None,
}


def normalise_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean and object columns as object with NaN for missing, which the imputer sees."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if types.is_bool_dtype(column) or types.is_object_dtype(column):
            frame[name] = column.astype(object).where(column.notna(), np.nan)
    return frame


def is_numeric(column: pd.Series) -> bool:
    return types.is_numeric_dtype(column) and not types.is_bool_dtype(column)


def numeric_steps(imputation: str, scaling: str) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    if imputation != "none":
        steps.append(("impute", SimpleImputer(strategy=imputation)))
    scaler = SCALERS[scaling]
    if scaler is not None:
        steps.append(("scale", scaler()))
    return steps


def categorical_steps(imputation: str) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    if imputation != "none":
        steps.append(("impute", SimpleImputer(strategy="most_frequent")))
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return [*steps, ("encode", encoder)]


def make_preprocessor(
    numeric: list[str], categorical: list[str], settings: dict[str, Any]
) -> ColumnTransformer:
    """Impute and scale numeric columns; impute and one-hot encode the others."""
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        steps = numeric_steps(settings["imputation"], settings["scaling"])
        transformers.append(("numeric", Pipeline(steps) if steps else "passthrough", numeric))
    if categorical:
        transformers.append(
            ("categorical", Pipeline(categorical_steps(settings["imputation"])), categorical)
        )
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)


def fitted_splits(
    frame: pd.DataFrame,
    features: list[str],
    preprocessor: ColumnTransformer,
    settings: dict[str, Any],
    rows: tuple[pd.DataFrame, pd.DataFrame],
) -> dict[str, Any]:
    """The train and test ``rows`` and ``preprocessor`` fitted on the train features, as the
    process phase hands them on."""
    train, test = rows
    preprocessor.fit(train[features])
    target = settings["target_column"]
    bundle: dict[str, Any] = {
        "train": train,
        "test": test,
        "target": target,
        "task": settings["task"],
        "feature_columns": features,
        "feature_dtypes": {c: str(frame[c].dtype) for c in features},
        "preprocessor": preprocessor,
    }
    if settings["task"] == "classification":
        bundle["classes"] = sorted(np.unique(frame[target]).tolist())
    return bundle
