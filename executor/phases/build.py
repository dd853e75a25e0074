"""build: fit an allow-listed estimator behind the preprocessing, optionally searching.

The model is a Pipeline of a clone of the process step's preprocessor and the estimator,
fitted on raw train rows, so it takes raw rows. A search runs over the whole pipeline, so the
preprocessing is refitted inside every fold.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import platform
import re
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline

from executor import estimators
from executor.artifacts import write_joblib, write_json
from executor.context import PhaseOutput, StepContext
from executor.errors import InputError, ParameterError
from executor.params import Params
from executor.standalone.reference import reference_profile

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

SEARCHES = {"grid": GridSearchCV, "random": RandomizedSearchCV}
MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
SERIALIZATION_FORMAT = "joblib"


def library_versions(estimator: type | None = None) -> dict[str, str]:
    """The versions a model needs to load; with ``estimator``, its own library's too. SciPy
    (scikit-learn's solvers) and PyArrow (the Parquet the steps exchange) are recorded as well,
    so an export (``ontolab export``) can pin everything its pipeline needs to reproduce it."""
    versions = {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": importlib.metadata.version("joblib"),
        "python": platform.python_version(),
    }
    for library in ("scipy", "pyarrow"):
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            pass  # not installed where this step ran: nothing to pin
    library = (estimator.__module__ if estimator else "sklearn").split(".")[0]
    if library != "sklearn":  # e.g. lightgbm: unpickling the model needs it too
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            pass  # a module that is no distribution of its own: nothing to pin
    return versions


def model_name(ctx: StepContext) -> str:
    """``model_name`` (the server passes ``{experiment}-{step}`` by default), else the step id."""
    name = ctx.params.text("model_name") or ctx.spec.step_id.lower()
    if not MODEL_NAME.fullmatch(name):
        raise ParameterError(
            f"model_name {name!r} must match [a-z0-9][a-z0-9_.-]*; "
            "set ol:modelName to lower-case letters, digits, '_', '.' or '-'"
        )
    return name


def search_settings(params: Params) -> dict[str, Any] | None:
    """The search parameters, or None when no search is asked for."""
    space = params.mapping("search_space")
    if "search_strategy" not in params:
        if space:
            raise ParameterError(
                "search_space is given but no search_strategy; add ol:searchStrategy "
                '"grid" or "random" to the build step'
            )
        return None
    strategy = params.choice("search_strategy", tuple(SEARCHES), None)
    if not space:
        raise ParameterError(
            f"search_strategy {strategy!r} needs a search_space; add ol:searchSpace "
            "[ ol:parameterName …; ol:candidateValue … ] to the build step"
        )
    settings = {
        "search_strategy": strategy,
        "search_space": {k: v if isinstance(v, list) else [v] for k, v in space.items()},
        "search_folds": params.integer("search_folds", 5, minimum=2),
        "search_scoring": params.text("search_scoring"),
    }
    if strategy == "random":
        settings["search_iterations"] = params.integer("search_iterations", 10, minimum=1)
    return settings


def check_search(name: str, estimator: BaseEstimator, settings: dict[str, Any]) -> None:
    estimators.check_names(name, type(estimator), settings["search_space"], "ol:searchSpace")
    empty = [key for key, values in settings["search_space"].items() if not values]
    if empty:
        raise ParameterError(
            f"search_space {', '.join(empty)} has no candidates; give each ol:candidateValue"
        )
    scoring = settings["search_scoring"]
    if scoring is not None and scoring not in get_scorer_names():
        raise ParameterError(
            f"search_scoring {scoring!r} is not a scikit-learn scorer; set ol:searchScoring "
            f"to one of {', '.join(sorted(get_scorer_names()))}"
        )


def make_search(pipeline: Pipeline, settings: dict[str, Any], seed: int) -> BaseEstimator:
    grid = {f"estimator__{k}": v for k, v in settings["search_space"].items()}
    common = {"cv": settings["search_folds"], "scoring": settings["search_scoring"]}
    if settings["search_strategy"] == "grid":
        return GridSearchCV(pipeline, grid, error_score="raise", **common)
    # Asking for more draws than the grid holds only makes scikit-learn warn.
    size = math.prod(len(values) for values in grid.values())
    iterations = min(settings["search_iterations"], size)
    return RandomizedSearchCV(
        pipeline, grid, n_iter=iterations, random_state=seed, error_score="raise", **common
    )


def search_summary(search: Any, settings: dict[str, Any], task: str) -> dict[str, Any]:
    default = "accuracy" if task == "classification" else "r2"
    best = {k.removeprefix("estimator__"): v for k, v in search.best_params_.items()}
    return {
        "best_params": best,
        "cv_best_score": float(search.best_score_),
        "cv_scoring": settings["search_scoring"] or default,
        "candidates": len(search.cv_results_["params"]),
    }


def scalar_params(estimator: BaseEstimator) -> dict[str, Any]:
    """The estimator's parameters whose values are JSON scalars."""
    kept: dict[str, Any] = {}
    for key, value in estimator.get_params(deep=False).items():
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if value is None or isinstance(value, bool | int | float | str):
            kept[key] = value
    return kept


public_name = estimators.public_name


def fit(ctx: StepContext, name: str, search: dict[str, Any] | None) -> tuple[Pipeline, dict]:
    """The fitted pipeline and, when a search ran, its summary."""
    params, splits = ctx.params, ctx.inputs["splits"]
    hyperparameters = params.mapping("hyperparameters")
    seed = params.integer("random_seed", 42)
    entry = params.text("estimator_import")
    estimator = estimators.make_estimator(name, splits["task"], hyperparameters, seed, entry)
    pipeline = Pipeline([("preprocess", clone(splits["preprocessor"])), ("estimator", estimator)])
    train = splits["train"]
    x, y = train[splits["feature_columns"]], train[splits["target"]]
    if search is None:
        log.info("fitting %s on %d rows", name, len(train))
        estimators.fit_checked(name, hyperparameters, lambda: pipeline.fit(x, y))
        return pipeline, {}
    check_search(name, estimator, search)
    searcher = make_search(pipeline, search, seed)
    log.info(
        "%s search for %s, %d folds, on %d rows",
        search["search_strategy"],
        name,
        search["search_folds"],
        len(train),
    )
    given = {**hyperparameters, **search["search_space"]}
    estimators.fit_checked(name, given, lambda: searcher.fit(x, y))
    found = search_summary(searcher, search, splits["task"])
    log.info(
        "best %s %.4f with %s", found["cv_scoring"], found["cv_best_score"], found["best_params"]
    )
    return searcher.best_estimator_, found


def check_task(ctx: StepContext) -> str:
    task, made_for = ctx.params.task(), ctx.inputs["splits"]["task"]
    if task != made_for:
        raise InputError(
            f"the splits were made for {made_for} but this step's task is {task}; "
            "consume splits from a process step of the same experiment"
        )
    return task


def run(ctx: StepContext) -> PhaseOutput:
    task = check_task(ctx)
    params, splits = ctx.params, ctx.inputs["splits"]
    name = str(params.required("estimator"))
    estimators.estimator_class(name, task, params.text("estimator_import"))
    search = search_settings(params)
    used: dict[str, Any] = {
        "estimator": name,
        "hyperparameters": params.mapping("hyperparameters"),
        "random_seed": params.integer("random_seed", 42),
        "model_name": model_name(ctx),
        **(search or {}),
    }
    pipeline, found = fit(ctx, name, search)
    provenance = {
        "estimator": name,
        "hyperparameters": scalar_params(pipeline.named_steps["estimator"]),
        "library_versions": library_versions(type(pipeline.named_steps["estimator"])),
        "serialization_format": SERIALIZATION_FORMAT,
        "model_name": used["model_name"],
        "feature_columns": splits["feature_columns"],
    }
    bundle = model_bundle(pipeline, splits, provenance)
    outputs = ctx.save("model.joblib", lambda p: write_joblib(p, bundle))
    outputs |= save_reference(ctx, splits)
    summary = {
        **provenance,
        "estimator_class": public_name(type(pipeline.named_steps["estimator"])),
        "target_column": splits["target"],
        **found,
    }
    return PhaseOutput(outputs=outputs, parameters=used, summary=summary)


def save_reference(ctx: StepContext, splits: dict[str, Any]) -> dict[str, Any]:
    """The training rows' reference profile (``reference_profile.json``), computed once here
    so serving compares its inputs against it without ever reading the training data."""
    profile = reference_profile(splits["train"], list(splits["feature_columns"]))
    return ctx.save(
        "reference_profile.json", lambda p: write_json(p, profile), kind="reference_profile"
    )


def model_bundle(
    pipeline: Pipeline, splits: dict[str, Any], provenance: dict[str, Any]
) -> dict[str, Any]:
    """What the model artifact holds: the pipeline, what it expects, where it came from."""
    bundle = {
        "pipeline": pipeline,
        "task": splits["task"],
        "target": splits["target"],
        "feature_dtypes": splits["feature_dtypes"],
        **provenance,
    }
    if splits["task"] == "classification":
        bundle["classes"] = splits.get("classes")
    return bundle
