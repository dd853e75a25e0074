"""process: split the rows into train and test, and fit the preprocessing on the train rows."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from executor.standalone.preprocess import (
    fitted_splits,
    is_numeric,
    make_preprocessor,
    normalise_features,
)


# --- code ---
def process(dataset: pd.DataFrame, settings: dict[str, Any]) -> dict[str, Any]:
    """The train and test rows (raw) and the preprocessing fitted on the train rows."""
    target = settings["target_column"]
    frame = normalise_features(dataset[dataset[target].notna()])
    features = [str(c) for c in frame.columns if c != target]
    numeric = [c for c in features if is_numeric(frame[c])]
    categorical = [c for c in features if c not in numeric]
    preprocessor = make_preprocessor(numeric, categorical, settings)
    train, test = train_test_split(
        frame,
        test_size=settings["test_size"],
        random_state=settings["random_seed"],
        stratify=frame[target] if settings["stratify"] else None,
    )
    return fitted_splits(frame, features, preprocessor, settings, (train, test))
