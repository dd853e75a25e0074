"""process: split rows into train and test, and fit the preprocessing on the train rows.

The stored splits keep raw rows; the fitted ColumnTransformer travels beside them, so build
can put a clone of it in front of the estimator and the model takes raw rows.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from pandas.api import types
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target

from executor.artifacts import Dataset, write_joblib
from executor.context import PhaseOutput, StepContext
from executor.errors import InputError, ParameterError
from executor.standalone import preprocess
from executor.standalone.preprocess import SCALERS, is_numeric, normalise_features

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

IMPUTATIONS = ("mean", "median", "most_frequent", "none")


def read_settings(ctx: StepContext) -> dict[str, Any]:
    """The preprocessing parameters with their defaults filled in."""
    params = ctx.params
    task = params.task()
    stratify = params.boolean("stratify", task == "classification")
    if stratify and task != "classification":
        raise ParameterError(
            "stratify applies to classification only; remove ol:stratify from the process step"
        )
    return {
        "task": task,
        "target_column": target_column(ctx),
        "imputation": params.choice("imputation", IMPUTATIONS, "median"),
        "scaling": params.choice("scaling", tuple(SCALERS), "standard"),
        "one_hot_encoding": params.boolean("one_hot_encoding", True),
        "test_size": params.fraction("test_size", 0.25),
        "random_seed": params.integer("random_seed", 42),
        "stratify": stratify,
    }


def target_column(ctx: StepContext) -> str:
    """The target: ``target_column`` if given, else the one extract recorded."""
    dataset: Dataset = ctx.inputs["dataset"]
    target = ctx.params.text("target_column") or dataset.target_column
    if target is None:
        raise InputError(
            "the dataset records no target column; set ol:targetColumn on the extract step"
        )
    if target not in dataset.frame.columns:
        raise ParameterError(
            f"target column {target!r} is not in the dataset (columns: "
            f"{', '.join(dataset.frame.columns)}); set ol:targetColumn to one of them"
        )
    return target


def check_encodable(frame: pd.DataFrame, features: list[str]) -> None:
    """Refuse date and duration columns, which neither scaling nor one-hot encoding suits."""
    temporal = [
        c
        for c in features
        if types.is_datetime64_any_dtype(frame[c]) or types.is_timedelta64_dtype(frame[c])
    ]
    if temporal:
        raise ParameterError(
            f"columns {', '.join(temporal)} hold dates or durations, which process cannot "
            "encode; drop them with ol:dropColumn on the extract step"
        )


def make_preprocessor(
    numeric: list[str], categorical: list[str], settings: dict[str, Any]
) -> ColumnTransformer:
    """Impute and scale numeric columns; impute and one-hot encode the others."""
    if categorical and not settings["one_hot_encoding"]:
        raise ParameterError(
            f"columns {', '.join(categorical)} are not numeric and one_hot_encoding is off; "
            "set ol:oneHotEncoding true or drop them with ol:dropColumn on the extract step"
        )
    return preprocess.make_preprocessor(numeric, categorical, settings)


def check_target(target: pd.Series, task: str) -> None:
    kind = type_of_target(target)
    if task == "classification" and kind == "continuous":
        raise ParameterError(
            f'target {target.name!r} holds continuous values; set ol:task "regression"'
        )
    if task == "regression" and not is_numeric(target):
        raise ParameterError(
            f"target {target.name!r} is not numeric ({target.dtype}); "
            'set ol:task "classification" or pick a numeric ol:targetColumn'
        )


def check_stratifiable(target: pd.Series) -> None:
    counts = target.value_counts()
    single = int((counts < 2).sum())
    if single:
        raise ParameterError(
            f"cannot stratify: {single} of the {len(counts)} classes of {target.name!r} have a "
            'single row; set ol:stratify false, or ol:task "regression" if the target is a '
            "quantity"
        )


def split(frame: pd.DataFrame, settings: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    target = frame[settings["target_column"]]
    if settings["stratify"]:
        check_stratifiable(target)
    try:
        return train_test_split(
            frame,
            test_size=settings["test_size"],
            random_state=settings["random_seed"],
            stratify=target if settings["stratify"] else None,
        )
    except ValueError as exc:
        raise ParameterError(
            f"cannot split {len(frame)} rows with test_size {settings['test_size']} "
            f"and stratify {settings['stratify']}: {exc}; "
            "change ol:testSize or set ol:stratify false"
        ) from exc


def drop_missing_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    kept = frame[frame[target].notna()]
    dropped = len(frame) - len(kept)
    if dropped:
        log.info("dropped %d rows with a missing target %r", dropped, target)
    if kept.empty:
        raise InputError(f"every row lacks the target {target!r}; fix the source data")
    return kept, dropped


def column_groups(frame: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns, after refusing dates and durations."""
    check_encodable(frame, features)
    numeric = [c for c in features if is_numeric(frame[c])]
    return numeric, [c for c in features if c not in numeric]


def splits_bundle(
    frame: pd.DataFrame, features: list[str], preprocessor: ColumnTransformer, settings: dict
) -> dict[str, Any]:
    """Split ``frame``, fit ``preprocessor`` on the train features, bundle it all."""
    train, test = split(frame, settings)
    return preprocess.fitted_splits(frame, features, preprocessor, settings, (train, test))


def run(ctx: StepContext) -> PhaseOutput:
    settings = read_settings(ctx)
    target = settings["target_column"]
    frame, dropped = drop_missing_target(ctx.inputs["dataset"].frame, target)
    frame = normalise_features(frame)
    check_target(frame[target], settings["task"])
    features = [str(c) for c in frame.columns if c != target]
    numeric, categorical = column_groups(frame, features)
    preprocessor = make_preprocessor(numeric, categorical, settings)
    log.info(
        "preprocessing: imputation %s, scaling %s, one-hot on %d columns",
        settings["imputation"],
        settings["scaling"],
        len(categorical),
    )
    bundle = splits_bundle(frame, features, preprocessor, settings)
    features_out = len(preprocessor.get_feature_names_out())
    train, test = bundle["train"], bundle["test"]
    log.info(
        "split %d rows into %d train / %d test; %d features -> %d after preprocessing",
        len(frame),
        len(train),
        len(test),
        len(features),
        features_out,
    )
    outputs = ctx.save("splits.joblib", lambda p: write_joblib(p, bundle))
    return PhaseOutput(
        outputs=outputs,
        parameters=settings,
        summary={
            "train_rows": len(train),
            "test_rows": len(test),
            "dropped_rows": dropped,
            "features_in": len(features),
            "features_out": features_out,
            "numeric_columns": numeric,
            "categorical_columns": categorical,
        },
    )
