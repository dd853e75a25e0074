"""extract: load a table from a bundled scikit-learn dataset or a CSV/Parquet file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sklearn import datasets
from sklearn.utils import Bunch

from executor.artifacts import Dataset, write_dataset
from executor.context import PhaseOutput, StepContext
from executor.errors import InputError, ParameterError

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

# Bundled with scikit-learn, so extracting them needs no network.
BUNDLED: dict[str, Callable[..., Bunch]] = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "diabetes": datasets.load_diabetes,
}

FILE_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": pd.read_csv,
    ".parquet": pd.read_parquet,
}

_SOURCES_HINT = (
    "set ol:source to one of "
    + ", ".join(f"sklearn:{name}" for name in BUNDLED)
    + ", or a path to a .csv or .parquet file inside the platform's data roots"
)


def load_source(source: str) -> pd.DataFrame:
    """The whole table named by ``source``; bundled datasets name their target ``target``."""
    if source.startswith("sklearn:"):
        name = source.removeprefix("sklearn:")
        if name not in BUNDLED:
            raise ParameterError(f"source {source!r} is not a bundled dataset; {_SOURCES_HINT}")
        return BUNDLED[name](as_frame=True).frame
    path = Path(source)
    reader = FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise ParameterError(f"source {source!r} is not a known kind of source; {_SOURCES_HINT}")
    if not path.exists() or path.is_dir():
        raise InputError(
            f"source file {str(path.resolve())!r} does not exist; fix ol:source "
            "(relative paths resolve against the platform's working directory)"
        )
    try:
        return reader(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read source file {source!r} ({exc}); fix the file") from exc


def select_columns(frame: pd.DataFrame, target: str, drop: list[str]) -> pd.DataFrame:
    """``frame`` without ``drop``, after checking the target and dropped columns exist."""
    available = ", ".join(frame.columns)
    if target not in frame.columns:
        raise ParameterError(
            f"target column {target!r} is not in the data (columns: {available}); "
            "set ol:targetColumn to one of them"
        )
    missing = [column for column in drop if column not in frame.columns]
    if missing:
        raise ParameterError(
            f"drop column {', '.join(map(repr, missing))} is not in the data "
            f"(columns: {available}); fix ol:dropColumn"
        )
    if target in drop:
        raise ParameterError(
            f"the target column {target!r} cannot be dropped; remove it from ol:dropColumn"
        )
    return frame.drop(columns=drop)


def run(ctx: StepContext) -> PhaseOutput:
    params = ctx.params
    source = str(params.required("source"))
    target = str(params.required("target_column"))
    drop = params.names("drop_column")
    # An uploaded dataset arrives resolved by the platform to its stored Parquet file.
    resolved = params.text("source_path")
    frame = pd.read_parquet(resolved) if resolved else load_source(source)
    frame.columns = [str(column) for column in frame.columns]
    log.info("loaded %s: %d rows x %d columns", source, *frame.shape)
    if frame.empty:
        raise InputError(f"source {source!r} holds no rows; point ol:source at a non-empty table")
    frame = select_columns(frame, target, drop)
    if drop:
        log.info("dropped columns %s", ", ".join(drop))
    outputs = ctx.save(
        "dataset.parquet", lambda p: write_dataset(p, Dataset(frame, target, source))
    )
    features = [column for column in frame.columns if column != target]
    return PhaseOutput(
        outputs=outputs,
        parameters={"source": source, "target_column": target, "drop_column": drop},
        summary={
            "rows": len(frame),
            "columns": frame.shape[1],
            "target_column": target,
            "source": source,
            "feature_columns": features,
        },
    )
