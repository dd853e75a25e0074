"""Monitoring benchmark: where one window evaluation's time goes, from the log to the graph.

A deployment's prediction log is written with the model server's own line format
(``entry_line``): 1,000 requests of 10 rows × 25 features (20 numbers, 5 categories), feedback
for half of them. One evaluation of ``last:10000`` is then timed in its parts, as
``MonitoringService`` runs them:

1. ``read_window`` — reading the log files and joining feedback into a DataFrame;
2. ``evaluate_frame`` — drift against a prepared reference profile and live accuracy/F1;
3. the graph write — the evaluation's triples added to an embedded Oxigraph store
   (``evaluation_triples`` + ``add_to_graph``) and the "already recorded?" ASK.

Median of ``--repeats`` runs each (default 10). Results go to bench/results/monitoring-*.json.

    .venv/bin/python bench/monitoring/run.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from executor.standalone.reference import reference_profile  # noqa: E402
from server.graph.clock import utc_now  # noqa: E402
from server.monitoring import evaluation_record  # noqa: E402
from server.monitoring.drift import Reference  # noqa: E402
from server.monitoring.evaluation import Watched, evaluate_frame  # noqa: E402
from server.monitoring.prediction_log import (  # noqa: E402
    FEEDBACK,
    PREDICTIONS,
    entry_line,
    write_meta,
)
from server.monitoring.prediction_window import read_window  # noqa: E402
from server.monitoring.window import parse_window  # noqa: E402
from server.store import open_store  # noqa: E402

REQUESTS, ROWS_PER_REQUEST, NUMBERS, CATEGORIES = 1000, 10, 20, 5
LABELS = np.array(list("abcdefgh"), dtype=object)


def frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {f"x{i}": rng.normal(shift, 1, rows) for i in range(NUMBERS)}
    for i in range(CATEGORIES):
        columns[f"c{i}"] = rng.choice(LABELS, rows)
    return pd.DataFrame(columns)


def write_log(directory: Path, window: pd.DataFrame) -> None:
    write_meta(directory, {"task": "classification", "classes": [0, 1], "features": list(window)})
    records = window.to_dict(orient="records")
    now = time.time()
    with (directory / PREDICTIONS).open("wb") as log, (directory / FEEDBACK).open("wb") as given:
        for r in range(REQUESTS):
            rows = records[r * ROWS_PER_REQUEST : (r + 1) * ROWS_PER_REQUEST]
            predictions = [int(row["x0"] > 0) for row in rows]
            log.write(
                entry_line(now + r / 1000, f"req-{r}", {"dataframe_records": rows}, predictions)
            )
            if r % 2 == 0:
                labels = [int(row["x1"] > 0) for row in rows]
                line = {"request_id": f"req-{r}", "labels": labels, "time": utc_now()}
                given.write(json.dumps(line).encode() + b"\n")


def median_ms(action: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp) / "predictions"
        directory.mkdir()
        reference = Reference(reference_profile(frame(10_000, seed=1)))
        write_log(directory, frame(REQUESTS * ROWS_PER_REQUEST, seed=2, shift=0.2))
        window = parse_window("last:10000", 100_000)
        iri = "https://w3id.org/ontolab/id/deployment/bench"
        watched = Watched("bench", iri, "bench-model", 1, None, directory, True)
        read, rows = median_ms(lambda: read_window(directory, last=10_000), args.repeats)
        meta = {"task": "classification", "classes": [0, 1]}
        evaluate, evaluation = median_ms(
            lambda: evaluate_frame(watched, window, rows, reference, None, meta, utc_now()),
            args.repeats,
        )
        store = open_store("oxigraph:memory")
        graph = evaluation_record.monitoring_graph(watched)

        def record() -> None:
            evaluation_record.recorded(store, evaluation)
            store.add_to_graph(graph, evaluation_record.evaluation_triples(evaluation))

        write, _ = median_ms(record, args.repeats)
        store.close()
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "window": f"{len(rows)} rows x {NUMBERS + CATEGORIES} features "
        f"({REQUESTS} requests of {ROWS_PER_REQUEST} rows, feedback for half)",
        "read_window_ms": round(read, 1),
        "evaluate_frame_ms": round(evaluate, 1),
        "graph_write_ms": round(write, 1),
        "total_ms": round(read + evaluate + write, 1),
        "drift_share": evaluation.drift.drift_share if evaluation.drift else None,
        "labelled_rows": evaluation.performance.labelled,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"monitoring-{result['date']}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
