"""Benchmark: the run list and comparison endpoints as the store grows.

Runs the breast_cancer example once for real, then records N more runs of the same shape
through the project's own result writer (metrics and C perturbed), all in an on-disk
embedded store, and times the API calls in-process (Flask test client, JSON included):
GET /api/compare over up to 500 runs and over two, and GET /api/runs as the UI asks for it
(the newest 12, the top 10 by a metric, a filtered page of 50).

    .venv/bin/python bench/api/compare_runs.py [--runs 500] [--repeats 5]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path

from server import definitions
from server.app import create_app
from server.platform import open_platform
from server.settings import Settings
from server.tracking.writer import RunWriter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer.ttl"


def clone_runs(platform, record, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    writer = RunWriter(platform.store)
    ids = []
    for index in range(count):
        clone = copy.deepcopy(record)
        clone.run_id = f"{index:016x}"
        validate = clone.steps["validate"]
        metrics = {
            k: min(1.0, v * rng.uniform(0.9, 1.02)) for k, v in validate.result.metrics.items()
        }
        validate.result = dataclasses.replace(validate.result, metrics=metrics)
        build = clone.steps["build"]
        summary = dict(build.result.summary)
        summary["hyperparameters"] = {
            **summary["hyperparameters"],
            "C": rng.choice([0.1, 1.0, 10.0]),
        }
        build.result = dataclasses.replace(build.result, summary=summary)
        writer.write(clone)
        ids.append(clone.run_id)
    return ids


def timed(client, url: str, repeats: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reply = client.get(url)
        times.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return statistics.median(times), len(reply.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        platform = open_platform(Settings.load({"data": Path(tmp)}, environ={}))
        try:
            version = definitions.submit(
                platform.store, definitions.parse(EXAMPLE.read_text())
            ).version
            record = platform.runs.run(version)
            ids = clone_runs(platform, record, args.runs)
            client = create_app(platform=platform).test_client()
            many = ids[:500]
            urls = {
                f"GET /api/compare ({len(many)} runs)": "/api/compare?runs=" + ",".join(many),
                "GET /api/compare (2 runs)": "/api/compare?runs=" + ",".join(ids[-2:]),
                "GET /api/runs, the newest 12": "/api/runs?limit=12",
                "GET /api/runs sorted by accuracy, top 10": "/api/runs?sort=-metrics.accuracy"
                "&limit=10",
                "GET /api/runs filtered on C, a page of 50": "/api/runs?filter=params.C+%3D+0.1"
                "&sort=-metrics.f1&limit=50&offset=50",
            }
            timings = {label: timed(client, url, args.repeats) for label, url in urls.items()}
        finally:
            platform.close()
    print(f"{args.runs + 1} runs in the embedded store (on disk); median of {args.repeats}")
    for label, (seconds, size) in timings.items():
        print(f"  {label:<44}{seconds * 1000:9.1f} ms  {size / 1e6:6.2f} MB JSON")


if __name__ == "__main__":
    main()
