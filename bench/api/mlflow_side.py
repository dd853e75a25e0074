"""MLflow's side of bench/api/compare_runs.py, run inside bench/.venv-mlflow (sqlite backend).

    python mlflow_side.py build DB RUNS      # log RUNS runs (skipped when DB holds them)
    python mlflow_side.py time DB REPEATS    # p50 of the calls the UI's run list would make

``build`` logs each run as MLflow's client does: ``create_run`` (a start time a few seconds
after the last), one ``log_batch`` of five metrics and C, ``set_terminated``; the metrics and C
are perturbed as the Ontolab side perturbs them. ``time`` prints one JSON object: the p50 in ms
of ``search_runs`` for the newest 12, the top 10 by accuracy, the second page of 50 filtered on
a parameter and sorted by a metric, two ``get_run`` calls (compare), and the runs/s of logging
200 more runs (in 5 rounds; the median), all against the DB of RUNS runs.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

METRICS = {"accuracy": 0.96, "f1": 0.97, "precision": 0.96, "recall": 0.98, "roc_auc": 0.99}


def main() -> None:
    from mlflow.tracking import MlflowClient

    command, db, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    found = client.get_experiment_by_name("breast_cancer")
    experiment = found.experiment_id if found else client.create_experiment("breast_cancer")
    if command == "build":
        marker = Path(f"{db}.runs")
        have = int(marker.read_text()) if found and marker.exists() else 0
        if have < number:
            log(client, experiment, number - have, random.Random(have))
            marker.write_text(str(number))
        return
    print(json.dumps(timings(client, experiment, number)), flush=True)


def log(client: Any, experiment: str, count: int, rng: random.Random) -> float:
    from mlflow.entities import Metric, Param

    started = time.perf_counter()
    clock = int(time.time() * 1000)
    for index in range(count):
        now = clock + index * 7000
        created = client.create_run(experiment, start_time=now)
        metrics = {k: min(1.0, v * rng.uniform(0.9, 1.02)) for k, v in METRICS.items()}
        client.log_batch(
            created.info.run_id,
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            params=[Param("C", str(rng.choice([0.1, 1.0, 10.0]))), Param("max_iter", "500")],
        )
        client.set_terminated(created.info.run_id)
        if index and index % 10000 == 0:
            print(f"{index} runs logged", file=sys.stderr, flush=True)
    return count / (time.perf_counter() - started)


def p50(call: Callable[[], object], repeats: int) -> float:
    """The median of ``repeats`` calls after one untimed (as on Ontolab's side)."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def timings(client: Any, experiment: str, repeats: int) -> dict[str, float]:
    newest = client.search_runs([experiment], max_results=12)
    assert len(newest) == 12
    filtered: dict[str, Any] = {
        "filter_string": "params.C = '0.1'",
        "order_by": ["metrics.f1 DESC"],
        "max_results": 50,
    }
    second_page = client.search_runs([experiment], **filtered).token
    two = [run.info.run_id for run in newest[:2]]
    figures = {
        "newest_12": p50(lambda: client.search_runs([experiment], max_results=12), repeats),
        "top_10": p50(
            lambda: client.search_runs(
                [experiment], order_by=["metrics.accuracy DESC"], max_results=10
            ),
            repeats,
        ),
        "filtered_page_2": p50(
            lambda: client.search_runs([experiment], page_token=second_page, **filtered), repeats
        ),
        "compare_2": p50(lambda: [client.get_run(run_id) for run_id in two], repeats),
    }
    rates = [log(client, experiment, 40, random.Random(round_)) for round_ in range(5)]
    figures["writes_per_s"] = statistics.median(rates)
    return figures


if __name__ == "__main__":
    main()
