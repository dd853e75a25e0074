"""The estimator allow-list: a name from a definition → a scikit-learn class.

Names resolve through the dicts below only; nothing here imports a dotted path that came
from a definition. Hyperparameter names are checked against the estimator's own parameters
before construction, and values scikit-learn rejects at fit time become ParameterErrors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from executor.errors import ParameterError

CLASSIFIERS: dict[str, type[BaseEstimator]] = {
    "LogisticRegression": LogisticRegression,
    "RandomForestClassifier": RandomForestClassifier,
    "GradientBoostingClassifier": GradientBoostingClassifier,
    "ExtraTreesClassifier": ExtraTreesClassifier,
    "DecisionTreeClassifier": DecisionTreeClassifier,
    "KNeighborsClassifier": KNeighborsClassifier,
    "SVC": SVC,
    "GaussianNB": GaussianNB,
    "HistGradientBoostingClassifier": HistGradientBoostingClassifier,
    "RidgeClassifier": RidgeClassifier,
}

REGRESSORS: dict[str, type[BaseEstimator]] = {
    "LinearRegression": LinearRegression,
    "Ridge": Ridge,
    "Lasso": Lasso,
    "ElasticNet": ElasticNet,
    "RandomForestRegressor": RandomForestRegressor,
    "GradientBoostingRegressor": GradientBoostingRegressor,
    "ExtraTreesRegressor": ExtraTreesRegressor,
    "DecisionTreeRegressor": DecisionTreeRegressor,
    "KNeighborsRegressor": KNeighborsRegressor,
    "SVR": SVR,
    "HistGradientBoostingRegressor": HistGradientBoostingRegressor,
}

ALLOWED: dict[str, dict[str, type[BaseEstimator]]] = {
    "classification": CLASSIFIERS,
    "regression": REGRESSORS,
}

# scikit-learn's InvalidParameterError message: "The 'C' parameter of LogisticRegression must…"
_INVALID_PARAMETER = re.compile(r"The '(\w+)' parameter of \w+ must")

T = TypeVar("T")


def estimator_class(name: str, task: str) -> type[BaseEstimator]:
    """The class allowed under ``name`` for ``task``."""
    allowed = ALLOWED[task]
    if name in allowed:
        return allowed[name]
    other = next((t for t, names in ALLOWED.items() if name in names), None)
    reason = f"is a {other} estimator" if other else "is not in the allow-list"
    raise ParameterError(
        f"estimator {name!r} {reason}; for {task} set ol:estimator to one of {', '.join(allowed)}"
    )


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
    name: str, task: str, hyperparameters: dict[str, Any], random_seed: int
) -> BaseEstimator:
    """An unfitted estimator; ``random_state`` is the seed unless the user set it."""
    cls = estimator_class(name, task)
    check_names(name, cls, hyperparameters, "ol:hyperParameter")
    estimator = cls(**hyperparameters)
    if "random_state" in estimator.get_params() and "random_state" not in hyperparameters:
        estimator.set_params(random_state=random_seed)
    return estimator


def fit_checked(name: str, hyperparameters: dict[str, Any], fit: Callable[[], T]) -> T:
    """Run ``fit``; turn scikit-learn's rejection of a hyperparameter into a ParameterError."""
    try:
        return fit()
    except (ValueError, TypeError) as exc:
        raise _as_parameter_error(name, hyperparameters, exc) from exc


def _as_parameter_error(name: str, given: dict[str, Any], exc: Exception) -> Exception:
    message = str(exc)
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
