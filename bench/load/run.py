"""Load: 50 clients at once against a served platform with a deployed model.

Each client thread sends, in turn, the request kinds a busy platform gets: predicts on the
deployment's own ``/predict`` and on the platform's ``/api/models/NAME/predict``, the run list,
a compare of two runs, a SPARQL count, the health check; a few clients also start one run each.
Every request has a timeout; any non-2xx answer, connection error or timeout is an error.
Afterwards the graph must be consistent: every started run has ended (succeeded), ``/api/runs``
counts exactly the runs started, each run's model version is in the registry, and a SPARQL
count of runs agrees.

    .venv/bin/python bench/load/run.py [--clients 50] [--duration 30] [--runs 3]

Reported per kind: requests, req/s, p50 and p99 latency; the same functions drive
``tests/integration/http/test_load.py``. Everything runs on 127.0.0.1 in a throw-away data dir;
the platform and its model server are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.app import create_app  # noqa: E402
from server.platform import open_platform  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.documents import iris_document  # noqa: E402

TIMEOUT = 30.0  # seconds per request: well past any answer; a timeout is an error (a hang)
RUN_DEADLINE = 300.0
MODEL = "iris-lr"
EXPERIMENT = "iris_load"
OL = "https://w3id.org/ontolab/ns#"
RUN_COUNT_QUERY = f"SELECT (COUNT(DISTINCT ?run) AS ?n) WHERE {{ ?run <{OL}runId> ?id }}"
PIPELINE = iris_document(EXPERIMENT, label="Iris under load", model=MODEL, hyper={"max_iter": 500})
ROW = {
    "sepal length (cm)": 5.1,
    "sepal width (cm)": 3.5,
    "petal length (cm)": 1.4,
    "petal width (cm)": 0.2,
}


@dataclass
class Target:
    """The served platform, two finished runs and the deployment's URL."""

    api: str
    runs: list[str]
    deployment: str
    warm_up_seconds: float = 0.0


@dataclass
class Tally:
    """Latencies by kind, errors, and the runs the clients started; thread-safe."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error is not None:
                self.errors.append(f"{kind}: {error}")

    def summary(self) -> dict[str, dict[str, float]]:
        """Per kind (and ``all``): requests, req/s, p50 and p99 in ms."""
        kinds = dict(self.latencies)
        kinds["all"] = [s for values in self.latencies.values() for s in values]
        return {kind: _figures(values, self.seconds) for kind, values in sorted(kinds.items())}


def _figures(values: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return {
        "requests": len(ordered),
        "per_second": round(len(ordered) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else 0.0,
        "p99_ms": round(p99 * 1000, 1),
    }


def _checked(answer: requests.Response, status: int = 200) -> dict[str, Any]:
    if answer.status_code != status:
        raise AssertionError(
            f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text}"
        )
    body: dict[str, Any] = answer.json()
    return body


def wait_finished(api: str, run_id: str, deadline: float = RUN_DEADLINE) -> dict[str, Any]:
    """The run's details once it has ended; AssertionError past ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        run = _checked(requests.get(f"{api}/api/runs/{run_id}", timeout=TIMEOUT))
        if run["status"] != "running":
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} did not end within {deadline:g} s")


def seed(api: str) -> Target:
    """The experiment, two finished runs (the model's versions 1 and 2) and a deployment."""
    _checked(requests.post(f"{api}/api/experiments", json=PIPELINE, timeout=TIMEOUT), 201)
    runs = [start_run(requests.Session(), api) for _ in range(2)]
    for run_id in runs:
        run = wait_finished(api, run_id)
        assert run["status"] == "succeeded", run
    body = {"model": MODEL, "version": 1}
    deployment = _checked(requests.post(f"{api}/api/deployments", json=body, timeout=60), 201)
    target = Target(api, runs, str(deployment["url"]))
    # The first in-process predict loads the model (and imports scikit-learn into the platform's
    # process): seconds, during which a burst of predicts holds every request thread. Timed
    # here, once, so the load measures the steady state.
    begun = time.perf_counter()
    with requests.Session() as session:
        for kind in KINDS.values():
            _checked(kind(session, target))
    target.warm_up_seconds = time.perf_counter() - begun
    return target


def start_run(session: requests.Session, api: str) -> str:
    answer = session.post(f"{api}/api/runs", json={"experiment": EXPERIMENT}, timeout=TIMEOUT)
    return str(_checked(answer, 202)["run_id"])


Request = Callable[[requests.Session, Target], requests.Response]

KINDS: dict[str, Request] = {
    "predict (deployment)": lambda s, t: s.post(
        f"{t.deployment}/predict", json={"dataframe_records": [ROW]}, timeout=TIMEOUT
    ),
    "predict (platform)": lambda s, t: s.post(
        f"{t.api}/api/models/{MODEL}/predict", json={"inputs": ROW}, timeout=TIMEOUT
    ),
    "run list": lambda s, t: s.get(f"{t.api}/api/runs?limit=20", timeout=TIMEOUT),
    "compare": lambda s, t: s.get(f"{t.api}/api/compare?runs={','.join(t.runs)}", timeout=TIMEOUT),
    "sparql": lambda s, t: s.get(
        f"{t.api}/sparql",
        params={"query": RUN_COUNT_QUERY},
        headers={"Accept": "application/sparql-results+json"},
        timeout=TIMEOUT,
    ),
    "health": lambda s, t: s.get(f"{t.api}/api/health", timeout=TIMEOUT),
}


def client(index: int, target: Target, end: float, starts_run: bool, tally: Tally) -> None:
    """One client: optionally start a run, then cycle through the kinds until ``end``."""
    names = list(KINDS)
    with requests.Session() as session:
        if starts_run:
            begun = time.perf_counter()
            try:
                run_id = start_run(session, target.api)
                with tally.lock:
                    tally.started.append(run_id)
                tally.record("start run", time.perf_counter() - begun, None)
            except (AssertionError, requests.RequestException) as exc:
                tally.record("start run", time.perf_counter() - begun, str(exc)[:300])
        turn = index
        while time.monotonic() < end:
            kind = names[turn % len(names)]
            turn += 1
            begun = time.perf_counter()
            error = None
            try:
                answer = KINDS[kind](session, target)
                if not 200 <= answer.status_code < 300:
                    error = f"{answer.status_code} {answer.text[:300]}"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            tally.record(kind, time.perf_counter() - begun, error)


def hammer(target: Target, clients: int, duration: float, runs: int) -> Tally:
    """``clients`` threads for ``duration`` seconds; the first ``runs`` start one run each."""
    tally = Tally()
    end = time.monotonic() + duration
    threads = [
        threading.Thread(target=client, args=(i, target, end, i < runs, tally), daemon=True)
        for i in range(clients)
    ]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 2 * TIMEOUT)  # a request in flight at the end may take TIMEOUT
    tally.seconds = time.monotonic() - begun
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        tally.errors.append(f"{stuck} client(s) still waiting after {tally.seconds:.0f} s")
    return tally


def _model_sha256(target: Target, run_id: str) -> str | None:
    run = _checked(requests.get(f"{target.api}/api/runs/{run_id}", timeout=TIMEOUT))
    return next((a["sha256"] for a in run["artifacts"] if a["kind"] == "model"), None)


def consistency(target: Target, started: list[str]) -> list[str]:
    """What is inconsistent in the graph once every started run has ended (empty: nothing)."""
    problems = []
    finished = {run_id: wait_finished(target.api, run_id) for run_id in started}
    for run_id, run in finished.items():
        if run["status"] != "succeeded":
            problems.append(f"run {run_id} ended {run['status']}: {run.get('error')}")
    expected = len(target.runs) + len(started)
    listed = _checked(requests.get(f"{target.api}/api/runs", timeout=TIMEOUT))
    if listed["total"] != expected:
        problems.append(f"/api/runs counts {listed['total']} runs, {expected} were started")
    model = _checked(requests.get(f"{target.api}/api/models/{MODEL}", timeout=TIMEOUT))
    registered = {v["run_id"] for v in model["versions"]}
    checksums = {v["sha256"] for v in model["versions"]}
    for run_id in [*target.runs, *started]:
        if finished.get(run_id, {"status": "succeeded"})["status"] == "succeeded":
            # A run whose model is byte for byte one registered already adds no version.
            if run_id not in registered and _model_sha256(target, run_id) not in checksums:
                problems.append(f"run {run_id} succeeded but no version of {MODEL} holds its model")
    counted = _checked(
        requests.get(
            f"{target.api}/sparql",
            params={"query": RUN_COUNT_QUERY},
            headers={"Accept": "application/sparql-results+json"},
            timeout=TIMEOUT,
        )
    )
    runs_in_graph = int(counted["results"]["bindings"][0]["n"]["value"])
    if runs_in_graph != expected:
        problems.append(f"SPARQL counts {runs_in_graph} runs, {expected} were started")
    return problems


@contextmanager
def served_platform(data: Path, serve: Callable[[Any], Any]) -> Iterator[str]:
    """The platform on ``data``, served by ``serve(app)`` (a context manager yielding its URL)."""
    platform = open_platform(Settings.load({"data": data}, environ={}))
    try:
        with serve(create_app(platform=platform)) as url:
            yield url
    finally:
        platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3, help="clients that start one run each")
    args = parser.parse_args()
    from tests.conftest import serving  # waitress on a free port, 8 threads, as `ontolab serve`

    with tempfile.TemporaryDirectory() as tmp:
        with served_platform(Path(tmp) / "data", serving) as url:
            target = seed(url)
            tally = hammer(target, args.clients, args.duration, args.runs)
            problems = consistency(target, tally.started)
    figures = tally.summary()
    print(
        f"{args.clients} clients, {tally.seconds:.1f} s, {len(tally.errors)} errors; "
        f"warm-up (one request of each kind, the first loads the model): "
        f"{target.warm_up_seconds:.2f} s"
    )
    print(f"{'kind':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, row in figures.items():
        print(
            f"{kind:<22}{row['requests']:>9}{row['per_second']:>9}"
            f"{row['p50_ms']:>9}{row['p99_ms']:>9}"
        )
    for line in [*tally.errors[:20], *problems]:
        print("ERROR", line)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report = {
        "clients": args.clients,
        "seconds": round(tally.seconds, 1),
        "warm_up_seconds": round(target.warm_up_seconds, 2),
        "figures": figures,
        "errors": tally.errors,
        "inconsistent": problems,
    }
    (results / "load.json").write_text(json.dumps(report, indent=2))
    if tally.errors or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
