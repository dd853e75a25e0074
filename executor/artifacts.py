"""Reading and writing the files phases exchange: Parquet datasets, JSON, joblib bundles.

A dataset carries its target column and source in the Parquet schema metadata (key
``ontolab``), so explore and process know the target without repeating ``ol:targetColumn``.
Splits and models are joblib files of plain dicts; the keys they must hold are listed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from executor.errors import InputError
from executor.standalone.profile import to_json_value

_METADATA_KEY = b"ontolab"

SPLITS_KEYS = (
    "train",
    "test",
    "target",
    "task",
    "feature_columns",
    "feature_dtypes",
    "preprocessor",
)
MODEL_KEYS = ("pipeline", "task", "target", "feature_columns", "feature_dtypes", "estimator")


@dataclass(frozen=True)
class Dataset:
    """A table plus what extract recorded about it."""

    frame: pd.DataFrame
    target_column: str | None = None
    source: str | None = None


def write_dataset(path: Path, dataset: Dataset) -> None:
    table = pa.Table.from_pandas(dataset.frame, preserve_index=False)
    extra = json.dumps({"target_column": dataset.target_column, "source": dataset.source})
    metadata = {**(table.schema.metadata or {}), _METADATA_KEY: extra.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def read_dataset(path: Path) -> Dataset:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"dataset artifact {path} is not a readable Parquet file ({exc}); "
            "re-run the extract step"
        ) from exc
    extra = json.loads((table.schema.metadata or {}).get(_METADATA_KEY, b"{}"))
    return Dataset(table.to_pandas(), extra.get("target_column"), extra.get("source"))


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(to_json_value(data), allow_nan=False, indent=1, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"artifact {path} is not valid JSON ({exc}); re-run its step") from exc


def write_joblib(path: Path, bundle: dict[str, Any]) -> None:
    joblib.dump(bundle, path)


def _bundle_reader(kind: str, keys: tuple[str, ...], producer: str) -> Callable[[Path], Any]:
    def read(path: Path) -> dict[str, Any]:
        try:
            bundle = joblib.load(path)
        except Exception as exc:  # unpickling can fail in many ways; all mean a bad artifact
            raise InputError(
                f"{kind} artifact {path} cannot be loaded ({type(exc).__name__}: {exc}); "
                f"re-run the {producer} step"
            ) from exc
        missing = [key for key in keys if not isinstance(bundle, dict) or key not in bundle]
        if missing:
            raise InputError(
                f"{kind} artifact {path} lacks {', '.join(missing)}; "
                f"make this step consume the output of a {producer} step"
            )
        return bundle

    return read


# How each input kind is loaded; the keys are the kinds in contract.REQUIRED_INPUTS.
LOADERS: dict[str, Callable[[Path], Any]] = {
    "dataset": read_dataset,
    "profile": read_json,
    "splits": _bundle_reader("splits", SPLITS_KEYS, "process"),
    "model": _bundle_reader("model", MODEL_KEYS, "build"),
    # What code steps exchange besides the above (executor.phases.code).
    "report": read_json,
    "files": lambda path: path,  # a zip, unpacked by the step that reads it
    # What a check step reads besides (executor.phases.check).
    "reference_profile": read_json,
    "data_report": read_json,
}
