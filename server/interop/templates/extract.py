"""extract: load the table and keep the columns the step kept."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sklearn import datasets
from sklearn.utils import Bunch

# --- code ---
# Bundled with scikit-learn: the pinned version in requirements.txt loads the same rows.
BUNDLED: dict[str, Callable[..., Bunch]] = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "diabetes": datasets.load_diabetes,
}


def load_bundled(name: str) -> pd.DataFrame:
    """A dataset bundled with scikit-learn, its target column named ``target``."""
    frame: pd.DataFrame = BUNDLED[name](as_frame=True).frame
    return frame


def select_columns(frame: pd.DataFrame, target: str, drop: list[str]) -> pd.DataFrame:
    """``frame`` with string column names, without the ``drop`` columns."""
    frame.columns = [str(column) for column in frame.columns]
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in the data")
    return frame.drop(columns=drop)
