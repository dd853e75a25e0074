"""The estimator allow-list: a name from a definition → a class with the scikit-learn API.

The platform resolves the name through its allow-list (scikit-learn's estimators plus the
``ONTOLAB_ESTIMATORS`` entries) and passes the entry (``module:ClassName``) in the build step's
``estimator_import`` parameter; without one (a spec written by hand) the name must be one of
scikit-learn's. Only that entry is imported, never a dotted path that came from a definition.
Hyperparameter names are checked against the estimator's own parameters before construction,
and values the estimator rejects at fit time become ParameterErrors.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sklearn.base import BaseEstimator

from executor.contract import SKLEARN_ESTIMATORS, parse_entry
from executor.errors import ParameterError

# scikit-learn's names per task, each with its entry (module:ClassName).
ALLOWED: dict[str, dict[str, str]] = {
    task: {name: entry for name, (entry, of) in SKLEARN_ESTIMATORS.items() if of == task}
    for task in ("classification", "regression")
}
CLASSIFIERS = ALLOWED["classification"]
REGRESSORS = ALLOWED["regression"]

# scikit-learn's InvalidParameterError message: "The 'C' parameter of LogisticRegression must…"
_INVALID_PARAMETER = re.compile(r"The '(\w+)' parameter of \w+ must")

# What other allow-listed libraries raise when they refuse a setting (LightGBM: "Check failed:
# (learning_rate) > (0.0)"), matched by name so neither library need be installed.
LIBRARY_ERRORS = ("LightGBMError", "XGBoostError")

T = TypeVar("T")


def estimator_class(name: str, task: str, entry: str | None = None) -> type[BaseEstimator]:
    """The class allowed under ``name`` for ``task``.

    ``entry`` is the allow-list entry the platform resolved ``name`` to (``module:ClassName``,
    already checked against the task); None: ``name`` must be one of scikit-learn's.
    """
    if entry is None:
        entry = _sklearn_entry(name, task)
    try:
        module, class_name = parse_entry(entry)
    except ValueError as exc:
        raise ParameterError(f"estimator_import {exc}; fix ONTOLAB_ESTIMATORS") from exc
    if class_name != name:
        raise ParameterError(
            f"estimator_import {entry!r} does not name {name!r}; the platform resolves "
            "ol:estimator to its allow-list entry, so leave estimator_import to it"
        )
    try:
        cls = getattr(importlib.import_module(module), class_name, None)
    except (ImportError, OSError) as exc:  # OSError: a shared library it needs is missing
        raise ParameterError(
            f"estimator {name!r} needs {module!r}, which this step's Python cannot import "
            f"({exc}); install it where steps run (executor/requirements.txt for the runner "
            "image) or remove the entry from ONTOLAB_ESTIMATORS"
        ) from exc
    if not isinstance(cls, type) or not all(hasattr(cls, m) for m in ("fit", "predict")):
        raise ParameterError(
            f"estimator_import {entry!r} is not a class with fit and predict; "
            "fix the entry in ONTOLAB_ESTIMATORS"
        )
    return cls


def _sklearn_entry(name: str, task: str) -> str:
    allowed = ALLOWED[task]
    if name in allowed:
        return allowed[name]
    other = next((t for t, names in ALLOWED.items() if name in names), None)
    reason = f"is a {other} estimator" if other else "is not in the allow-list"
    raise ParameterError(
        f"estimator {name!r} {reason}; for {task} set ol:estimator to one of {', '.join(allowed)}"
    )


def public_name(cls: type) -> str:
    """``sklearn.linear_model.LogisticRegression``, without private submodules."""
    module = ".".join(part for part in cls.__module__.split(".") if not part.startswith("_"))
    return f"{module}.{cls.__name__}"


def parameter_names(cls: type[BaseEstimator]) -> list[str]:
    return sorted(cls().get_params(deep=False))


def check_names(name: str, cls: type[BaseEstimator], given: dict[str, Any], what: str) -> None:
    """Raise when ``given`` holds a name ``cls`` does not take; ``what`` names the property."""
    valid = parameter_names(cls)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ParameterError(
            f"hyperparameter {', '.join(repr(u) for u in unknown)} is not a parameter of "
            f"{name} (valid: {', '.join(valid)}); fix the ol:parameterName of that {what}"
        )


def make_estimator(
    name: str,
    task: str,
    hyperparameters: dict[str, Any],
    random_seed: int,
    entry: str | None = None,
) -> BaseEstimator:
    """An unfitted estimator; ``random_state`` is the seed unless the user set it.

    ``entry``: the allow-list entry the platform resolved ``name`` to (see ``estimator_class``).
    """
    cls = estimator_class(name, task, entry)
    check_names(name, cls, hyperparameters, "ol:hyperParameter")
    estimator = cls(**hyperparameters)
    if "random_state" in estimator.get_params() and "random_state" not in hyperparameters:
        estimator.set_params(random_state=random_seed)
    return estimator


def fit_checked(name: str, hyperparameters: dict[str, Any], fit: Callable[[], T]) -> T:
    """Run ``fit``; turn the estimator's rejection of a hyperparameter into a ParameterError."""
    try:
        return fit()
    except (ValueError, TypeError) as exc:
        raise _as_parameter_error(name, hyperparameters, exc) from exc
    except Exception as exc:
        if type(exc).__name__ not in LIBRARY_ERRORS:
            raise
        raise _as_parameter_error(name, hyperparameters, exc) from exc


def _as_parameter_error(name: str, given: dict[str, Any], exc: Exception) -> Exception:
    message = str(exc).strip()  # LightGBM ends its messages with a newline
    named = _INVALID_PARAMETER.search(message)
    if named:
        return ParameterError(
            f"hyperparameter {named.group(1)!r} of {name} is invalid: {message}; "
            "fix its ol:parameterValue"
        )
    if "contains NaN" in message:
        return ParameterError(
            f"{name} does not accept missing values: {message}; set ol:imputation on the "
            "process step, or use an estimator that handles them (HistGradientBoosting*)"
        )
    if given:
        listed = ", ".join(f"{key}={value!r}" for key, value in given.items())
        return ParameterError(
            f"{name} rejected its hyperparameters ({listed}): {message}; "
            "fix the ol:hyperParameter values"
        )
    return exc
