"""build: fit the estimator behind a fresh copy of the process step's preprocessing."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

# --- code ---


def fit_model(splits: dict[str, Any], estimator: BaseEstimator) -> Pipeline:
    """The preprocessing and ``estimator`` as one pipeline, fitted on the raw train rows.

    ``estimator`` carries every hyperparameter the run recorded, ``random_state`` (the seed)
    among them; a search the step ran is not repeated: its best candidate is what was fitted.
    """
    model = Pipeline([("preprocess", clone(splits["preprocessor"])), ("estimator", estimator)])
    train = splits["train"]
    return model.fit(train[splits["feature_columns"]], train[splits["target"]])
