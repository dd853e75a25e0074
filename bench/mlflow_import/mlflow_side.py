"""MLflow's side of bench/mlflow_import: fill an SQLite store with its own client, timing it.

Run with the Python of a venv that has ``mlflow`` (bench/.venv-mlflow), never Ontolab's:

    python mlflow_side.py DB RUNS METRICS STEPS

Each run: ``create_run``, one ``log_batch`` (METRICS metrics x STEPS steps, 5 params, 2 tags),
``set_terminated``. Prints one JSON line: seconds spent in ``log_batch`` alone and in the whole
run lifecycle, and MLflow's own counts of what it holds.
"""

from __future__ import annotations

import json
import sys
import time

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient


def main(db: str, runs: int, metrics: int, steps: int) -> dict[str, float | int]:
    client = MlflowClient(f"sqlite:///{db}")
    experiment = client.create_experiment("bench")
    batch_seconds = 0.0
    started = time.perf_counter()
    base = 1_700_000_000_000
    for number in range(runs):
        run = client.create_run(experiment, run_name=f"run-{number}")
        params = [Param(f"p{i}", str(number % (i + 2))) for i in range(5)]
        points = [
            Metric(f"m{k}", (number * 31 + k * 7 + step) % 1000 / 1000, base + step, step)
            for k in range(metrics)
            for step in range(steps)
        ]
        tags = [RunTag("bench", "mlflow_import"), RunTag("seed", str(number))]
        before = time.perf_counter()
        client.log_batch(run.info.run_id, metrics=points, params=params, tags=tags)
        batch_seconds += time.perf_counter() - before
        client.set_terminated(run.info.run_id)
    total = time.perf_counter() - started
    return {
        "log_batch_seconds": batch_seconds,
        "lifecycle_seconds": total,
        "runs": runs,
        "metric_points": runs * metrics * steps,
    }


if __name__ == "__main__":
    db, runs, metrics, steps = sys.argv[1], *map(int, sys.argv[2:5])
    print(json.dumps(main(db, runs, metrics, steps)))
