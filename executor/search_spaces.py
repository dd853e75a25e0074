"""The AutoML search space: one table, estimator name → its hyperparameters' ranges.

Ranges are the ones practitioners search in (scikit-learn's and LightGBM's guides, FLAML's
defaults): counts and strengths on log scales, fractions on linear ones. ``FIXED`` holds settings
every trial of an estimator takes (enough iterations to converge, LightGBM quiet). An allowed
estimator with no row here is still a candidate: it is tried once with its defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Int:
    low: int
    high: int
    log: bool = False


@dataclass(frozen=True)
class Float:
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]


Dimension = Int | Float | Choice

_FOREST: dict[str, Dimension] = {
    "n_estimators": Int(50, 500, log=True),
    "max_features": Float(0.1, 1.0),
    "min_samples_leaf": Int(1, 20, log=True),
}
_HIST_GB: dict[str, Dimension] = {
    "learning_rate": Float(0.01, 0.3, log=True),
    "max_iter": Int(50, 500, log=True),
    "max_leaf_nodes": Int(8, 128, log=True),
    "min_samples_leaf": Int(5, 100, log=True),
    "l2_regularization": Float(1e-8, 10.0, log=True),
}
_GB: dict[str, Dimension] = {
    "learning_rate": Float(0.01, 0.3, log=True),
    "n_estimators": Int(50, 300, log=True),
    "max_depth": Int(2, 8),
    "subsample": Float(0.5, 1.0),
}
_LGBM: dict[str, Dimension] = {
    "n_estimators": Int(50, 1000, log=True),
    "learning_rate": Float(0.01, 0.3, log=True),
    "num_leaves": Int(8, 256, log=True),
    "min_child_samples": Int(5, 100, log=True),
    "colsample_bytree": Float(0.4, 1.0),
    "reg_lambda": Float(1e-8, 10.0, log=True),
}
_TREE: dict[str, Dimension] = {
    "max_depth": Int(2, 30, log=True),
    "min_samples_leaf": Int(1, 50, log=True),
}
_KNN: dict[str, Dimension] = {
    "n_neighbors": Int(1, 50, log=True),
    "weights": Choice(("uniform", "distance")),
}

SPACES: dict[str, dict[str, Dimension]] = {
    "RandomForestClassifier": _FOREST,
    "RandomForestRegressor": _FOREST,
    "ExtraTreesClassifier": _FOREST,
    "ExtraTreesRegressor": _FOREST,
    "HistGradientBoostingClassifier": _HIST_GB,
    "HistGradientBoostingRegressor": _HIST_GB,
    "GradientBoostingClassifier": _GB,
    "GradientBoostingRegressor": _GB,
    "LGBMClassifier": _LGBM,
    "LGBMRegressor": _LGBM,
    "DecisionTreeClassifier": _TREE,
    "DecisionTreeRegressor": _TREE,
    "KNeighborsClassifier": _KNN,
    "KNeighborsRegressor": _KNN,
    "LogisticRegression": {"C": Float(1e-3, 1e3, log=True)},
    "RidgeClassifier": {"alpha": Float(1e-3, 1e3, log=True)},
    "Ridge": {"alpha": Float(1e-3, 1e3, log=True)},
    "Lasso": {"alpha": Float(1e-4, 10.0, log=True)},
    "ElasticNet": {"alpha": Float(1e-4, 10.0, log=True), "l1_ratio": Float(0.0, 1.0)},
    "SVC": {"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-4, 1.0, log=True)},
    "SVR": {
        "C": Float(1e-2, 1e3, log=True),
        "gamma": Float(1e-4, 1.0, log=True),
        "epsilon": Float(1e-3, 1.0, log=True),
    },
    "GaussianNB": {"var_smoothing": Float(1e-12, 1e-6, log=True)},
}

# Settings every trial of the estimator takes, searched or not.
FIXED: dict[str, dict[str, Any]] = {
    "LogisticRegression": {"max_iter": 2000},
    "Lasso": {"max_iter": 5000},
    "ElasticNet": {"max_iter": 5000},
    "LGBMClassifier": {"verbose": -1, "subsample": 0.8, "subsample_freq": 1},
    "LGBMRegressor": {"verbose": -1, "subsample": 0.8, "subsample_freq": 1},
}

# Estimators whose ``n_jobs`` are joblib workers: the step's cores go to them.
PARALLEL = frozenset(
    {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "KNeighborsClassifier",
        "KNeighborsRegressor",
    }
)
# Estimators whose ``n_jobs`` are OpenMP threads: they get the search's OpenMP threads.
OPENMP = frozenset({"LGBMClassifier", "LGBMRegressor"})

# Kernel and neighbour methods grow with the square of the rows: left out of the default
# candidates on data large enough for a holdout, where one fit could eat the budget.
QUADRATIC = frozenset({"SVC", "SVR", "KNeighborsClassifier", "KNeighborsRegressor"})


class Suggester(Protocol):
    """The part of ``optuna.Trial`` a space is sampled through."""

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


def searchable(name: str) -> bool:
    return bool(SPACES.get(name))


def sample(trial: Suggester, name: str) -> dict[str, Any]:
    """Hyperparameters for ``name`` drawn through ``trial``; each dimension is named
    ``ESTIMATOR.PARAM`` so the sampler keeps one history per estimator's parameter."""
    drawn: dict[str, Any] = {}
    for param, dim in SPACES.get(name, {}).items():
        key = f"{name}.{param}"
        if isinstance(dim, Int):
            drawn[param] = trial.suggest_int(key, dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Float):
            drawn[param] = trial.suggest_float(key, dim.low, dim.high, log=dim.log)
        else:
            drawn[param] = trial.suggest_categorical(key, list(dim.values))
    return drawn


def settings(name: str, drawn: dict[str, Any], jobs: int, threads: int) -> dict[str, Any]:
    """What the estimator is made with: its fixed settings, the drawn ones, and ``n_jobs``
    (``jobs`` joblib workers, or ``threads`` OpenMP threads)."""
    made = {**FIXED.get(name, {}), **drawn}
    if name in PARALLEL:
        made["n_jobs"] = jobs
    elif name in OPENMP:
        made["n_jobs"] = threads
    return made


# What a fit of each estimator costs against its default settings (trial 0 or 1, or an
# earlier trial of it): the size settings the cost grows with. Used to skip a draw that the
# time left cannot pay for; a running fit cannot be stopped.
_DEFAULT_FEATURES = {
    "RandomForestClassifier": "sqrt",
    "ExtraTreesClassifier": "sqrt",
    "RandomForestRegressor": 1.0,
    "ExtraTreesRegressor": 1.0,
}


def cost_factor(name: str, settings: dict[str, Any], columns: int) -> float | None:
    """The cost of fitting ``name`` with ``settings`` relative to its defaults; None: unknown."""
    if name in _DEFAULT_FEATURES:
        default = _DEFAULT_FEATURES[name]
        base = math.sqrt(columns) if default == "sqrt" else columns
        features = float(settings.get("max_features", default if default != "sqrt" else 0))
        used = features * columns if features else base
        return settings.get("n_estimators", 100) / 100 * max(used, 1.0) / max(base, 1.0)
    leaves = settings.get("max_leaf_nodes", settings.get("num_leaves", 31))
    if name.startswith("HistGradientBoosting"):
        return settings.get("max_iter", 100) / 100 * math.sqrt(leaves / 31)
    if name.startswith("LGBM"):
        return settings.get("n_estimators", 100) / 100 * math.sqrt(leaves / 31)
    return None
