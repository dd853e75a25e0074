"""Benchmark: GET /api/compare over 500 runs and GET /api/runs sorted by a metric.

Runs the breast_cancer example once for real, then records 500 more runs of the same shape
through the project's own result writer (metrics and C perturbed), all in an on-disk
embedded store, and times the API calls in-process (Flask test client, JSON included).

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
from server.run_writer import RunWriter
from server.settings import Settings

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
            compare, size = timed(client, "/api/compare?runs=" + ",".join(ids), args.repeats)
            ranked, _ = timed(client, "/api/runs?sort=-metrics.accuracy&limit=10", args.repeats)
        finally:
            platform.close()
    print(f"{args.runs + 1} runs in the embedded store (on disk); median of {args.repeats}")
    print(
        f"  GET /api/compare ({args.runs} runs, {size / 1e6:.1f} MB JSON)  {compare * 1000:7.1f} ms"
    )
    print(f"  GET /api/runs sorted by accuracy, top 10          {ranked * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
