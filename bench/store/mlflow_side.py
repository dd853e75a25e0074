"""MLflow's side of bench/store, run inside bench/.venv-mlflow (MLflow, sqlite backend).

    python mlflow_side.py METRIC EXTRA ROUNDS [DB]

Reads runs (metrics and params) as JSON lines on stdin up to a blank line, and logs all but
the last EXTRA as MLflow runs: ``create_run``, then one ``log_batch`` and ``set_terminated``,
and answers with the rate. Given DB (a copy: it gets the timed runs), an sqlite file that
already holds the runs in experiment ``breast_cancer`` (bench/api/mlflow_side.py builds one),
it logs none of them, reads only the EXTRA runs, and answers with how many runs the
experiment holds.
Then it answers one command a line, so that its timed rounds can take turns with Ontolab's
(a slow minute of a noisy machine then falls on both sides):

- ``plain I``: log write round I (of ROUNDS equal rounds of the last EXTRA runs) as above;
- ``with_steps I``: log round I again, with the step-level facts an Ontolab run graph holds:
  one nested run per step (MLflow's way to record steps) with its status, worker and output
  artifact (checksum, size, media type) as tags; for comparison only;
- ``search N``: time ``search_runs`` ordered by the metric, N times.

Each answer is one line: ``@`` and a JSON object with ``value`` (runs/s, or the p50 in ms).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> None:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    metric, extra, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kept = sys.argv[4] if len(sys.argv) > 4 else None
    runs = [json.loads(line) for line in iter(sys.stdin.readline, "\n")]
    with tempfile.TemporaryDirectory() as tmp:
        client = MlflowClient(tracking_uri=f"sqlite:///{kept or Path(tmp) / 'mlflow.db'}")
        if kept:
            found = client.get_experiment_by_name("breast_cancer")
            assert found is not None, f"{kept} has no experiment breast_cancer"
            experiment = found.experiment_id
        else:
            experiment = client.create_experiment("breast_cancer", artifact_location=tmp)

        def log(batch: list[dict[str, Any]]) -> float:
            started = time.perf_counter()
            for run in batch:
                created = client.create_run(experiment)
                now = int(time.time() * 1000)
                client.log_batch(
                    created.info.run_id,
                    metrics=[Metric(k, v, now, 0) for k, v in run["metrics"].items()],
                    params=[Param(k, str(v)) for k, v in run["params"].items()],
                )
                client.set_terminated(created.info.run_id)
            return len(batch) / (time.perf_counter() - started)

        def log_with_steps(batch: list[dict[str, Any]]) -> float:
            started = time.perf_counter()
            for run in batch:
                parent = client.create_run(experiment).info.run_id
                for step, facts in run["steps"].items():
                    child = client.create_run(
                        experiment, tags={"mlflow.parentRunId": parent, "step": step}
                    ).info.run_id
                    client.log_batch(child, tags=[RunTag(k, str(v)) for k, v in facts.items()])
                    client.set_terminated(child)
                now = int(time.time() * 1000)
                client.log_batch(
                    parent,
                    metrics=[Metric(k, v, now, 0) for k, v in run["metrics"].items()],
                    params=[Param(k, str(v)) for k, v in run["params"].items()],
                )
                client.set_terminated(parent)
            return len(batch) / (time.perf_counter() - started)

        def search(repeats: int) -> float:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                top = client.search_runs(
                    [experiment], order_by=[f"metrics.{metric} DESC"], max_results=10
                )
                times.append(time.perf_counter() - t0)
            assert len(top) == 10
            return statistics.median(times) * 1000

        first, last = runs[: len(runs) - extra], runs[len(runs) - extra :]
        answer(count(kept, experiment) if kept else log(first))
        size = max(1, extra // rounds)
        batches = [last[i : i + size] for i in range(0, size * rounds, size)]
        commands: dict[str, Callable[[int], float]] = {
            "plain": lambda i: log(batches[i]),
            "with_steps": lambda i: log_with_steps(batches[i]),
            "search": search,
        }
        for line in sys.stdin:
            command, argument = line.split()
            answer(commands[command](int(argument)))


def count(db: str, experiment: str) -> int:
    """How many runs the experiment holds in the sqlite file ``db``."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        query = "SELECT COUNT(*) FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active'"
        return int(connection.execute(query, (experiment,)).fetchone()[0])


def answer(value: float) -> None:
    print("@" + json.dumps({"value": value}), flush=True)


if __name__ == "__main__":
    main()
