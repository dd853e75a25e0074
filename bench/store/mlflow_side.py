"""MLflow's side of bench/store, run inside bench/.venv-mlflow (MLflow, sqlite backend).

Reads runs (metrics and params) as JSON lines on stdin and logs each as one MLflow run:
``create_run``, then one ``log_batch`` and ``set_terminated``. The last EXTRA are timed apart,
in ROUNDS rounds (the median counts), so the write rate is taken on a store that already holds
the others, as on Ontolab's side. Then times ``search_runs`` ordered by a metric and prints one
JSON object.

For comparison only, the same EXTRA runs are then logged again with the step-level facts an
Ontolab run graph holds: one nested run per step (MLflow's way to record steps) with its
status, worker and output artifact (checksum, size, media type) as tags. The target is set
against the plain rate above.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    metric, extra, repeats, rounds = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    runs = [json.loads(line) for line in sys.stdin]
    with tempfile.TemporaryDirectory() as tmp:
        client = MlflowClient(tracking_uri=f"sqlite:///{Path(tmp) / 'mlflow.db'}")
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
            return time.perf_counter() - started

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
            return time.perf_counter() - started

        first, last = runs[: len(runs) - extra], runs[len(runs) - extra :]
        first_seconds = log(first)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            top = client.search_runs(
                [experiment], order_by=[f"metrics.{metric} DESC"], max_results=10
            )
            times.append(time.perf_counter() - t0)
        assert len(top) == 10
        size = max(1, extra // rounds)
        rates = [size / log(last[i : i + size]) for i in range(0, size * rounds, size)]
        with_steps = [
            size / log_with_steps(last[i : i + size]) for i in range(0, size * rounds, size)
        ]
        print(
            json.dumps(
                {
                    "runs_per_s": statistics.median(rates),
                    "with_steps_runs_per_s": statistics.median(with_steps),
                    "first_runs_per_s": len(first) / first_seconds,
                    "search_runs_p50_ms": statistics.median(times) * 1000,
                }
            )
        )


if __name__ == "__main__":
    main()
