"""FLAML's side of bench/automl, run in its own venv (bench/automl/.venv-flaml).

    .venv-flaml/bin/python flaml_side.py TASK_DIR SECONDS JOBS

Fits ``flaml.AutoML`` on the task's train split with the same budget, cores and metric as
Ontolab's side (accuracy or r2) and prints one JSON line: test score, wall seconds, best learner.
FLAML takes the raw table (it encodes categories and keeps missing values itself).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
from flaml import AutoML
from sklearn.metrics import accuracy_score, r2_score


def main(folder: Path, seconds: float, jobs: int) -> None:
    spec = json.loads((folder / "task.json").read_text())
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    target = spec["target"]
    x, y = train.drop(columns=[target]), train[target]
    for column in x.columns:
        if x[column].dtype == object:
            x[column] = x[column].astype("category")
    metric = "accuracy" if spec["task"] == "classification" else "r2"
    automl = AutoML()
    started = time.perf_counter()
    automl.fit(
        x,
        y,
        task=spec["task"],
        metric=metric,
        time_budget=seconds,
        n_jobs=jobs,
        seed=0,
        verbose=0,
    )
    wall = time.perf_counter() - started
    x_test = test[x.columns].copy()
    for column in x_test.columns:
        if str(x[column].dtype) == "category":
            x_test[column] = pd.Categorical(x_test[column], categories=x[column].cat.categories)
    predicted = automl.predict(x_test)
    score = (accuracy_score if metric == "accuracy" else r2_score)(test[target], predicted)
    print(json.dumps({"score": float(score), "wall": wall, "best": automl.best_estimator}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
