"""Benchmark: the run list, leaderboard, compare, lineage and writes at 10,000 and 100,000 runs,
the API as the UI calls it against MLflow's ``search_runs`` over a store of the same size.

Runs the breast_cancer example once for real, then records N more runs of the same shape
through the project's own result writer (metrics and C perturbed, each started 7 s after the
last), all in an on-disk embedded store, and times the API calls in-process (Flask test client,
JSON included): GET /api/runs as the UI asks for it (the newest 12, the top 10 by a metric, the
second page of 50 filtered on a parameter and sorted by a metric), the leaderboard, compare over
two runs and over 500, lineage, and writes (200 more runs, each saved at its start and with its
results, in 5 rounds: the median). MLflow (bench/.venv-mlflow, sqlite) logs the same number of
runs with its client and times the same questions (bench/api/mlflow_side.py).

Building 100,000 runs takes a while on both sides, so ``--data DIR`` and ``--mlflow-db FILE``
keep the stores and use them again (a store is rebuilt when it holds fewer runs than asked).

    .venv/bin/python bench/api/compare_runs.py --runs 10000 [--repeats 11] [--data DIR]
        [--mlflow-db FILE | --no-mlflow]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from server import definitions
from server.app import create_app
from server.platform import Platform, open_platform
from server.settings import Settings
from server.tracking.records import RunRecord, as_started
from server.tracking.writer import RunWriter

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "store"))
import run as store_bench  # noqa: E402  (bench/store/run.py: the same twins)

EXAMPLE = ROOT / "examples" / "breast_cancer.ttl"
MLFLOW_PYTHON = ROOT / "bench" / ".venv-mlflow" / "bin" / "python"
MARKER = "bench-runs.json"
WRITES, ROUNDS = 200, 5


def clone(record: RunRecord, index: int, rng: random.Random) -> RunRecord:
    """bench/store's twin of ``record`` as run ``index`` (metrics and C perturbed), started 7 s
    after run ``index - 1``, so that the newest runs are a question with one answer."""
    twin = store_bench.clone(record, index, rng)
    base = datetime.fromisoformat(record.started_at) - timedelta(days=30)
    twin.started_at = (base + timedelta(seconds=7 * index)).isoformat()
    return twin


def prepared(platform: Platform, data: Path, runs: int) -> RunRecord:
    """The example's real run (every time: its record is what writes clone), and ``runs``
    clones of it in the store (written unless the data directory already holds them)."""
    version = definitions.submit(platform.store, definitions.parse(EXAMPLE.read_text())).version
    record = platform.runs.run(version)
    marker = data / MARKER
    if marker.exists() and json.loads(marker.read_text())["runs"] >= runs:
        return record
    writer, rng = RunWriter(platform.store), random.Random(7)
    started = time.perf_counter()
    for index in range(runs):
        writer.write(clone(record, index, rng))
        if index and index % 10000 == 0:
            print(f"  {index} runs written ({time.perf_counter() - started:.0f} s)", flush=True)
    marker.write_text(json.dumps({"runs": runs}))
    return record


def timed(client: Any, url: str, repeats: int) -> float:
    """The median of ``repeats`` requests after one untimed (as on MLflow's side)."""
    assert client.get(url).status_code == 200
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reply = client.get(url)
        times.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return statistics.median(times) * 1000


def write_rate(platform: Platform, record: RunRecord, start: int) -> float:
    """Runs/s writing WRITES more runs, each saved at its start and with its results."""
    writer, rng = RunWriter(platform.store), random.Random(start)
    twins = [clone(record, start + i, rng) for i in range(WRITES)]
    size, rates = WRITES // ROUNDS, []
    for round_ in range(ROUNDS):
        t0 = time.perf_counter()
        for twin in twins[round_ * size : (round_ + 1) * size]:
            writer.write(as_started(twin))
            writer.write(twin)
        rates.append(size / (time.perf_counter() - t0))
    return statistics.median(rates)


def ontolab_side(args: argparse.Namespace, data: Path) -> dict[str, float]:
    platform = open_platform(Settings.load({"data": data}, environ={}))
    try:
        record = prepared(platform, data, args.runs)
        client = create_app(platform=platform).test_client()
        ids = [f"{i:016x}" for i in range(args.runs)]
        urls = {
            "newest_12": "/api/runs?limit=12",
            "top_10": "/api/runs?sort=-metrics.accuracy&limit=10",
            "filtered_page_2": "/api/runs?filter=params.C+%3D+0.1&sort=-metrics.f1"
            "&limit=50&offset=50",
            "leaderboard": "/api/experiments/breast_cancer/leaderboard?metric=accuracy&limit=10",
            "compare_2": "/api/compare?runs=" + ",".join(ids[-2:]),
            "compare_500": "/api/compare?runs=" + ",".join(ids[-500:]),
            "lineage": f"/api/lineage?run={ids[-1]}",
        }
        figures = {name: timed(client, url, args.repeats) for name, url in urls.items()}
        figures["writes_per_s"] = write_rate(platform, record, args.runs + 1_000_000)
        return figures
    finally:
        platform.close()


def mlflow_side(args: argparse.Namespace, db: Path) -> dict[str, float]:
    side = str(Path(__file__).with_name("mlflow_side.py"))
    subprocess.run([str(MLFLOW_PYTHON), side, "build", str(db), str(args.runs)], check=True)
    answer = subprocess.run(
        [str(MLFLOW_PYTHON), side, "time", str(db), str(args.repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return figures


LABELS = {
    "newest_12": "GET /api/runs, the newest 12 (dashboard)",
    "top_10": "GET /api/runs sorted by accuracy, top 10",
    "filtered_page_2": "GET /api/runs filtered on C, sorted by f1, page 2 of 50",
    "leaderboard": "leaderboard, top 10 by accuracy",
    "compare_2": "GET /api/compare, 2 runs",
    "compare_500": "GET /api/compare, 500 runs",
    "lineage": "GET /api/lineage of a run",
    "writes_per_s": "writes, runs/s (median of 5 rounds)",
}


def report(runs: int, ours: dict[str, float], theirs: dict[str, float]) -> None:
    print(f"\n{runs:,} runs (+1 real), embedded store on disk; p50 ms unless said")
    print(f"| {'':<56} | Ontolab | MLflow | ratio |")
    for key, label in LABELS.items():
        mine, other = ours[key], theirs.get(key)
        if key == "writes_per_s":
            ratio = f"{mine / other:.1f}x" if other else "–"
        elif key == "leaderboard" and "top_10" in theirs:
            other = theirs["top_10"]
            ratio = _times(other / mine)
        else:
            ratio = _times(other / mine) if other else "–"
        shown = f"{other:.1f}" if other else "–"
        print(f"| {label:<56} | {mine:7.1f} | {shown:>6} | {ratio:>5} |")


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--data", type=Path, help="keep the Ontolab store here, and reuse it")
    parser.add_argument("--mlflow-db", type=Path, help="keep MLflow's sqlite file here")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "ontolab"
        data.mkdir(parents=True, exist_ok=True)
        theirs: dict[str, float] = {}
        if not args.no_mlflow:
            if not MLFLOW_PYTHON.exists():
                sys.exit("MLflow's side needs bench/.venv-mlflow: run bench/serving/run.py once")
            theirs = mlflow_side(args, args.mlflow_db or Path(tmp) / "mlflow.db")
        ours = ontolab_side(args, data)
    report(args.runs, ours, theirs)


if __name__ == "__main__":
    main()
