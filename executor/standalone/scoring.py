"""Scoring: the metrics the validate phase computes on the held-out rows, and the checksum
of the predictions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm


# --- code ---
def scores(model: Any, x: pd.DataFrame) -> np.ndarray | None:
    """Class probabilities, else decision values, else None."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            return np.asarray(getattr(model, method)(x))
    return None


def roc_auc(y: pd.Series, score: np.ndarray, classes: np.ndarray) -> float | None:
    """Binary AUC on the second class, or one-vs-rest macro AUC over classes in ``y``."""
    if len(classes) == 2:
        column = score[:, 1] if score.ndim == 2 else score
        positives = np.asarray(y == classes[1])
        if positives.all() or not positives.any():
            return None
        return float(skm.roc_auc_score(positives, column))
    per_class = []
    for index, label in enumerate(classes):
        positives = np.asarray(y == label)
        if positives.any() and not positives.all():
            per_class.append(skm.roc_auc_score(positives, score[:, index]))
    return float(np.mean(per_class)) if per_class else None


def classification_metrics(model: Any, x: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    predicted = model.predict(x)
    classes = model.classes_
    average: dict[str, Any] = (
        {"average": "binary", "pos_label": classes[1]}
        if len(classes) == 2
        else {"average": "macro"}
    )
    values = {
        "accuracy": skm.accuracy_score(y, predicted),
        "precision": skm.precision_score(y, predicted, zero_division=0, **average),
        "recall": skm.recall_score(y, predicted, zero_division=0, **average),
        "f1": skm.f1_score(y, predicted, zero_division=0, **average),
    }
    score = scores(model, x)
    auc = roc_auc(y, score, classes) if score is not None else None
    if auc is not None:
        values["roc_auc"] = auc
    return {"metrics": values, "predicted": predicted}


def regression_metrics(model: Any, x: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    predicted = model.predict(x)
    values = {
        "rmse": skm.root_mean_squared_error(y, predicted),
        "mae": skm.mean_absolute_error(y, predicted),
        "r2": skm.r2_score(y, predicted),
    }
    return {"metrics": values, "predicted": predicted}


EVALUATORS = {"classification": classification_metrics, "regression": regression_metrics}


def predictions_sha256(predicted: Any) -> str:
    """The sha256 of the predictions as a compact JSON array (numbers as Python writes them),
    so an exported pipeline can check it reproduces them exactly."""
    text = json.dumps(np.asarray(predicted).tolist(), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
