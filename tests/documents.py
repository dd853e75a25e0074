"""The iris pipeline document the tests and benchmarks submit, written once.

``iris_document`` builds extract (``sklearn:iris``) → process → build → validate; its parameters
are what the callers vary. ``bench/load/run.py`` imports it too (it puts the repository root on
``sys.path``), so keep this module free of pytest.
"""

from __future__ import annotations

from typing import Any

#: Build parameters of a grid search over random forests: a few seconds of deterministic work,
#: long enough to act on a run (cancel, delete, kill the platform) while its build step runs.
GRID_SEARCH: dict[str, Any] = {
    "estimator": "RandomForestClassifier",
    "randomSeed": 1,
    "searchStrategy": "grid",
    "searchFolds": 2,
}
GRID_SEARCH_SPACE: dict[str, Any] = {"n_estimators": [60, 120], "max_depth": [2, 3]}


def iris_document(
    identifier: str,
    *,
    label: str | None = None,
    source: str = "sklearn:iris",
    estimator: str = "LogisticRegression",
    model: str | None = None,
    parameters: dict[str, Any] | None = None,
    hyper: dict[str, Any] | None = None,
    build: dict[str, Any] | None = None,
    validate: bool = True,
    min_accuracy: float | None = 0.5,
) -> dict[str, Any]:
    """A classification pipeline document over iris (or another ``source``), as a fresh dict.

    Args:
        identifier: The experiment's ``id``.
        label: Its ``label``; none when not given.
        source: The extract step's ``source``.
        estimator: The build step's ``estimator``.
        model: The build step's ``model_name``; none when not given.
        parameters: Further build parameters; they override ``estimator`` and ``model``.
        hyper: The build step's ``hyper_parameters``; none when not given.
        build: Further keys of the build step (``search_space``, ...).
        validate: Whether the document ends with a ModelValidation step.
        min_accuracy: That step's accuracy threshold; ``None`` for a step without thresholds.

    Returns:
        The document, safe to change: nothing in it is shared with another call.
    """
    build_parameters: dict[str, Any] = {"estimator": estimator}
    if model is not None:
        build_parameters["model_name"] = model
    build_parameters.update(parameters or {})
    build_step: dict[str, Any] = {
        "id": "build",
        "type": "ModelBuilding",
        "consumes": ["process"],
        "parameters": build_parameters,
    }
    if hyper is not None:
        build_step["hyper_parameters"] = dict(hyper)
    build_step.update(build or {})
    steps: list[dict[str, Any]] = [
        {
            "id": "extract",
            "type": "DataExtraction",
            "parameters": {"source": source, "target_column": "target"},
        },
        {"id": "process", "type": "DataProcessing", "consumes": ["extract"]},
        build_step,
    ]
    if validate:
        validation: dict[str, Any] = {
            "id": "validate",
            "type": "ModelValidation",
            "consumes": ["build", "process"],
        }
        if min_accuracy is not None:
            validation["thresholds"] = [{"metric": "accuracy", "min": min_accuracy}]
        steps.append(validation)
    document: dict[str, Any] = {"id": identifier}
    if label is not None:
        document["label"] = label
    document.update({"task": "classification", "steps": steps})
    return document


def grid_search_document(identifier: str, *, validate: bool = True) -> dict[str, Any]:
    """An iris document whose build step is the seconds-long ``GRID_SEARCH``."""
    return iris_document(
        identifier,
        parameters=GRID_SEARCH,
        build={"search_space": {k: list(v) for k, v in GRID_SEARCH_SPACE.items()}},
        validate=validate,
    )


def quick_document(identifier: str = "quick") -> dict[str, Any]:
    """An iris document of three quick steps (a GaussianNB build, no validation)."""
    return iris_document(identifier, estimator="GaussianNB", validate=False)
