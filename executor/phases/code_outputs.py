"""What a code step's function returned, checked against its ``output_kind`` and stored.

Nothing is stored before the value is checked, so a return value of the wrong kind leaves no
artifact behind. Each kind is written exactly as the phase that usually makes it writes it
(a Parquet dataset with its target column, a splits or model joblib bundle, a JSON report),
so process, build and validate read a code step's output like any other.
"""

from __future__ import annotations

import io
import logging
import math
import pickle
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from executor.artifacts import SPLITS_KEYS, Dataset, write_dataset, write_joblib, write_json
from executor.context import PhaseOutput, StepContext
from executor.contract import MEDIA_TYPES, ArtifactRef, store_artifact
from executor.errors import CodeError
from executor.phases.build import library_versions, model_bundle, public_name, scalar_params

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

_METRIC = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def save_output(
    ctx: StepContext, kind: str, name: str, value: Any, output_dir: Path
) -> PhaseOutput:
    """Check ``value`` for ``kind``, store it, describe it; CodeError (nothing stored) if it
    does not fit."""
    return _SAVERS[kind](ctx, name, value, output_dir)


def wrong_kind(name: str, kind: str, value: Any, expected: str) -> CodeError:
    return CodeError(
        f"{name} returned {type(value).__name__}, but this code step's ol:outputKind is "
        f"{kind!r}, which takes {expected}; return {expected} or change ol:outputKind"
    )


def store(ctx: StepContext, kind: str, filename: str, write: Callable[[Path], None]) -> dict:
    path = ctx.workdir / filename
    write(path)
    ref: ArtifactRef = store_artifact(ctx.spec.artifact_root, path, MEDIA_TYPES[kind])
    log.info("stored %s %s (%d bytes)", kind, ref.sha256[:12], ref.size)
    return {kind: ref}


def check_portable(name: str, value: Any, kind: str, code_folder: Path) -> None:
    """CodeError when unpickling ``value`` would import the author's modules.

    A model or splits artifact is loaded later where the code bundle is not on the path: by
    validate and build steps, and by the platform's own serving, which must never import the
    author's code. So every class it holds must come from an installed library.
    """
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # lambdas, open files, locks...: joblib could not store it either
        raise CodeError(
            f"{name} returned {kind} that cannot be pickled ({type(exc).__name__}: {exc}); "
            "return one without lambdas, open files or locks"
        ) from exc
    seen: set[str] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, attribute: str) -> Any:
            seen.add(module)
            return super().find_class(module, attribute)

    Recorder(io.BytesIO(data)).load()
    root = str(code_folder.resolve())
    own = sorted(
        m for m in seen if str(getattr(sys.modules.get(m), "__file__", "") or "").startswith(root)
    )
    if own:
        raise CodeError(
            f"{name} returned {kind} holding classes from the code bundle ({', '.join(own)}), "
            "which later steps and the platform's serving load without your code; build it "
            "from installed libraries' classes (scikit-learn, lightgbm...) or wrap your logic "
            "in a FunctionTransformer of a library function"
        )


def save_dataset(ctx: StepContext, name: str, value: Any, _: Path) -> PhaseOutput:
    if not isinstance(value, pd.DataFrame):
        raise wrong_kind(name, "dataset", value, "a pandas DataFrame")
    odd = [repr(c) for c in value.columns if not isinstance(c, str)]
    if odd:
        raise CodeError(
            f"{name} returned a DataFrame with column names that are not strings "
            f"({', '.join(odd[:5])}); name every column with a string"
        )
    given: Dataset | None = ctx.inputs.get("dataset")
    target = ctx.params.text("target_column") or (given.target_column if given else None)
    if target is not None and target not in value.columns:
        raise CodeError(
            f"{name} returned a DataFrame without the target column {target!r}; keep that "
            "column, or name the new target with ol:targetColumn on the code step"
        )
    dataset = Dataset(value, target, given.source if given else None)
    outputs = store(ctx, "dataset", "dataset.parquet", lambda p: write_dataset(p, dataset))
    summary = {"rows": len(value), "columns": len(value.columns), "target_column": target}
    return PhaseOutput(outputs, summary=summary)


def save_splits(ctx: StepContext, name: str, value: Any, _: Path) -> PhaseOutput:
    if not isinstance(value, dict):
        raise wrong_kind(name, "splits", value, "a dict like the splits it was given")
    check_portable(name, value, "splits", ctx.workdir / "code")
    bundle = {**ctx.inputs.get("splits", {}), **value}
    missing = [key for key in SPLITS_KEYS if key not in bundle]
    if missing:
        raise CodeError(
            f"{name} returned splits without {', '.join(missing)}; return the splits dict it "
            "was given with train and test replaced, or consume splits from a process step"
        )
    if not all(isinstance(bundle[k], pd.DataFrame) for k in ("train", "test")):
        raise CodeError(f"{name} returned splits whose train or test is not a DataFrame; fix it")
    outputs = store(ctx, "splits", "splits.joblib", lambda p: write_joblib(p, bundle))
    summary = {"train_rows": len(bundle["train"]), "test_rows": len(bundle["test"])}
    return PhaseOutput(outputs, summary=summary)


def save_model(ctx: StepContext, name: str, value: Any, _: Path) -> PhaseOutput:
    if not (callable(getattr(value, "fit", None)) and callable(getattr(value, "predict", None))):
        raise wrong_kind(name, "model", value, "a fitted model with fit and predict")
    try:
        check_is_fitted(value)
    except NotFittedError as exc:
        raise CodeError(
            f"{name} returned a model that is not fitted; call fit before returning it"
        ) from exc
    except (TypeError, AttributeError):
        pass  # not a scikit-learn estimator; fit and predict are what validate needs
    splits = ctx.inputs.get("splits")
    if splits is None:
        raise CodeError(
            "a code step that returns a model must consume splits (the columns and target "
            "the model was fitted on); add ol:consumes with the output of a process step"
        )
    check_portable(name, value, "a model", ctx.workdir / "code")
    estimator = value.steps[-1][1] if hasattr(value, "steps") else value
    model_name = ctx.params.text("model_name") or ctx.spec.step_id.lower()
    provenance = {
        "estimator": type(estimator).__name__,
        "hyperparameters": scalar_params(estimator) if hasattr(estimator, "get_params") else {},
        "library_versions": library_versions(type(estimator)),
        "serialization_format": "joblib",
        "model_name": model_name,
        "feature_columns": splits["feature_columns"],
    }
    bundle = model_bundle(value, splits, provenance)
    outputs = store(ctx, "model", "model.joblib", lambda p: write_joblib(p, bundle))
    summary = {
        **provenance,
        "estimator_class": public_name(type(estimator)),
        "target_column": splits["target"],
    }
    return PhaseOutput(outputs, parameters={"model_name": model_name}, summary=summary)


def save_report(ctx: StepContext, name: str, value: Any, _: Path) -> PhaseOutput:
    if not isinstance(value, dict):
        raise wrong_kind(name, "report", value, "a dict of metric name to number")
    bad = [
        str(k)
        for k, v in value.items()
        if not (isinstance(k, str) and _METRIC.fullmatch(k))
        or isinstance(v, bool)
        or not isinstance(v, int | float)
    ]
    if bad:
        raise CodeError(
            f"{name} returned a report whose entries {', '.join(bad[:5])} are not a metric "
            "name (letters, digits, _) with a number; return e.g. {'f1': 0.93}"
        )
    metrics = {k: float(v) for k, v in value.items() if math.isfinite(v)}
    report = {"metrics": metrics, "task": ctx.params.text("task")}
    outputs = store(ctx, "report", "report.json", lambda p: write_json(p, report))
    return PhaseOutput(outputs, metrics=metrics)


def save_files(ctx: StepContext, name: str, value: Any, output_dir: Path) -> PhaseOutput:
    items = value if isinstance(value, list | tuple) else [value]
    if not items or not all(isinstance(item, str | Path) for item in items):
        raise wrong_kind(name, "files", value, "a path or a list of paths")
    paths = [output_dir / item for item in items]  # an absolute path stays as it is
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CodeError(
            f"{name} returned paths that do not exist: {', '.join(missing)}; write them first"
        )
    outputs = store(ctx, "files", "files.zip", lambda p: zip_paths(p, paths, output_dir))
    return PhaseOutput(outputs, summary={"files": [p.name for p in paths]})


def zip_paths(target: Path, paths: list[Path], base: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            for file in [path] if path.is_file() else sorted(path.rglob("*")):
                if file.is_file() and not file.is_symlink():
                    inside = file.resolve().is_relative_to(base.resolve())
                    arcname = file.resolve().relative_to(base.resolve()) if inside else file.name
                    archive.write(file, str(arcname))


_SAVERS: dict[str, Callable[[StepContext, str, Any, Path], PhaseOutput]] = {
    "dataset": save_dataset,
    "splits": save_splits,
    "model": save_model,
    "report": save_report,
    "files": save_files,
}
