"""MLflow's side of bench/store, run inside bench/.venv-mlflow (MLflow, sqlite backend).

Reads runs (metrics and params) as JSON lines on stdin and logs each as one MLflow run with one
``log_batch``; the last EXTRA are timed apart, so the write rate is taken on a store that
already holds the others, as on Ontolab's side. Then times ``search_runs`` ordered by a metric
and prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    metric, extra, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runs = [json.loads(line) for line in sys.stdin]
    with tempfile.TemporaryDirectory() as tmp:
        client = MlflowClient(tracking_uri=f"sqlite:///{Path(tmp) / 'mlflow.db'}")
        experiment = client.create_experiment("breast_cancer", artifact_location=tmp)

        def log(batch: list[dict[str, dict[str, float]]]) -> float:
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
        write_seconds = log(last)
        print(
            json.dumps(
                {
                    "runs_per_s": len(last) / write_seconds,
                    "first_runs_per_s": len(first) / first_seconds,
                    "search_runs_p50_ms": statistics.median(times) * 1000,
                }
            )
        )


if __name__ == "__main__":
    main()
