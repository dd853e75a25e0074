"""Ontolab's side of bench/automl: the AutoML step's search and refit on one task, and the
default RandomForest, behind the preprocessing a process step with default settings fits.

    PYTHONPATH=. .venv/bin/python bench/automl/ontolab_side.py TASK_DIR SECONDS JOBS

Candidates are the AutoML step's defaults that the default allow-list holds (as the platform
resolves them). Prints one JSON line: test scores of the search's model, of the default
RandomForest (n_jobs=JOBS, seeded) and of a constant predictor, wall seconds, the best trial.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline

from executor import automl, search_spaces
from executor.contract import AUTOML_CANDIDATES
from executor.phases import automl as phase
from executor.phases.process import column_groups, make_preprocessor, normalise_features
from server.definitions.estimators import default_allow_list

SEED = 0
PROCESS = {"imputation": "median", "scaling": "standard", "one_hot_encoding": True}


def main(folder: Path, seconds: float, jobs: int) -> None:
    spec = json.loads((folder / "task.json").read_text())
    task, target = spec["task"], spec["target"]
    train = normalise_features(pd.read_parquet(folder / "train.parquet"))
    test = normalise_features(pd.read_parquet(folder / "test.parquet"))
    features = [c for c in train.columns if c != target]
    preprocessor = make_preprocessor(*column_groups(train, features), PROCESS)
    preprocessor.fit(train[features])
    x, y, x_test, y_test = train[features], train[target], test[features], test[target]
    metric = automl.DEFAULT_METRIC[task]
    scorer = get_scorer(metric)
    allowed = default_allow_list()
    names = [n for n in AUTOML_CANDIDATES[task] if n in allowed.names(task)]
    if len(train) > automl.HOLDOUT_ROWS:
        names = [n for n in names if n not in search_spaces.QUADRATIC]
    search = automl.Search(
        task=task,
        x=x,
        y=y,
        preprocessor=preprocessor,
        candidates={n: allowed.resolve(n, task).entry for n in names},
        budget=automl.Budget(seconds=seconds),
        metric=metric,
        seed=SEED,
        jobs=jobs,
    )
    started = time.perf_counter()
    outcome = automl.run_search(search)
    model = phase.refit(search, outcome.best, {"preprocessor": preprocessor})
    wall = time.perf_counter() - started
    forest_class = RandomForestClassifier if task == "classification" else RandomForestRegressor
    forest_model = forest_class(random_state=SEED, n_jobs=jobs)
    forest = Pipeline([("preprocess", clone(preprocessor)), ("estimator", forest_model)]).fit(x, y)
    constant = (DummyClassifier() if task == "classification" else DummyRegressor()).fit(x, y)
    baseline = outcome.trials[0]
    print(
        json.dumps(
            {
                "score": float(scorer(model, x_test, y_test)),
                "rf": float(scorer(forest, x_test, y_test)),
                "constant": float(scorer(constant, x_test, y_test)),
                "wall": wall,
                "best": f"{outcome.best.estimator} (trial {outcome.best.number})",
                "trials": len(outcome.trials),
                "validation": outcome.validation,
                "best_validation": outcome.best.mean_score,
                "baseline_validation": baseline.mean_score,
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
