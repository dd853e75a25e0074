"""What the permission check costs per request, against MLflow's per-request password check.

    .venv/bin/python bench/auth/token_check.py [--requests 5000]

Ontolab's side: an app with auth on over an embedded store in a temporary data dir; the
permission check (``Gate.check``: bearer token → user, groups, grants → the route's rule) is
timed inside a request context, for (1) a global viewer on ``GET /api/experiments``, (2) a
user with a per-experiment grant on ``GET /api/runs/ID`` (the run's experiment is looked up
in the store), and (3) the whole request through the Flask test client with and without auth
on a route that does little (``GET /api/auth/me``).

MLflow's side (bench/.venv-mlflow): its basic-auth app checks the password on every request
with werkzeug's ``check_password_hash`` on the stored hash (``SqlAlchemyStore.authenticate_
user``); that call is timed with the werkzeug of MLflow's venv and its default hash method.
(The auth app itself needs Flask-WTF, which that venv lacks; the hash check is its cost.)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from server.auth.check import Gate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
MLFLOW_PYTHON = ROOT / "bench" / ".venv-mlflow" / "bin" / "python"
if not MLFLOW_PYTHON.exists():
    MLFLOW_PYTHON = Path("/work/main/bench/.venv-mlflow/bin/python")
MLFLOW_SIDE = """
import statistics, sys, time
from werkzeug.security import check_password_hash, generate_password_hash
for method in (None, "pbkdf2:sha256:600000"):
    stored = generate_password_hash("a-long-password", *([method] if method else []))
    times = []
    for _ in range(int(sys.argv[1])):
        start = time.perf_counter()
        assert check_password_hash(stored, "a-long-password")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(stored.split("$")[0], statistics.median(times), times[int(len(times) * 0.95) - 1])
"""


def percentiles(times: list[float]) -> tuple[float, float, float]:
    times = sorted(times)
    return (
        statistics.median(times),
        times[int(len(times) * 0.95) - 1],
        times[int(len(times) * 0.99) - 1],
    )


def timed(call: Callable[[], object], n: int) -> tuple[float, float, float]:
    for _ in range(min(200, n)):  # warm up: imports, caches, the store's first reads
        call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return percentiles(times)


def timed_check(
    app: Flask, gate: Gate, path: str, headers: dict[str, str], n: int
) -> tuple[float, float, float]:
    """``gate.check()`` alone, inside a request context made (untimed) for each call."""
    times = []
    for number in range(n + min(200, n)):
        with app.test_request_context(path, headers=headers):
            start = time.perf_counter()
            gate.check()
            if number >= min(200, n):
                times.append((time.perf_counter() - start) * 1000)
    return percentiles(times)


def ontolab_side(n: int) -> dict[str, tuple[float, float, float]]:
    from server.app import create_app
    from server.auth.check import close_auth, gate_of
    from server.auth.roles import Grant, Role
    from server.platform import open_platform
    from server.settings import Settings
    from tests.unit.server.auth.conftest import add_run

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"data": Path(tmp) / "on", "auth": True, "admin_password": "admin-pass-1"}
        platform = open_platform(Settings.load(overrides, environ={}))
        app = create_app(platform=platform)
        gate = gate_of(app)
        assert gate is not None
        gate.accounts.add_user("viewer", "a-long-password")
        gate.accounts.grant(Grant("user:viewer", Role.VIEWER))
        gate.accounts.add_user("alice", "a-long-password")
        gate.accounts.grant(Grant("user:alice", Role.RUNNER, "experiment", "exp-a"))
        add_run(platform, "exp-a", "run-a")
        viewer = {"Authorization": "Bearer " + gate.accounts.create_token("viewer")[0]}
        alice = {"Authorization": "Bearer " + gate.accounts.create_token("alice")[0]}

        for name, path, headers in (
            ("check, global viewer", "/api/experiments", viewer),
            ("check, per-experiment grant on a run", "/api/runs/run-a", alice),
        ):
            figures[name] = timed_check(app, gate, path, headers, n)
        client = app.test_client()
        figures["GET /api/auth/me, auth on (whole request)"] = timed(
            lambda: client.get("/api/auth/me", headers=viewer), n
        )
        off = open_platform(Settings.load({"data": Path(tmp) / "off"}, environ={}))
        off_client = create_app(platform=off).test_client()
        figures["GET /api/auth/me, auth off (whole request)"] = timed(
            lambda: off_client.get("/api/auth/me"), n
        )
        close_auth(app)
        platform.close()
        off.close()
    return figures


def mlflow_side(n: int) -> list[tuple[str, float, float]] | None:
    if not MLFLOW_PYTHON.exists():
        return None
    answer = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", MLFLOW_SIDE, str(n)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    rows = [line.split() for line in answer.stdout.splitlines() if line.strip()]
    return [(method, float(p50), float(p95)) for method, p50, p95 in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--mlflow-checks", type=int, default=30)
    args = parser.parse_args()
    figures = ontolab_side(args.requests)
    print(f"{'what':48} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, (p50, p95, p99) in figures.items():
        print(f"{name:48} {p50:8.3f} {p95:8.3f} {p99:8.3f}")
    mlflow = mlflow_side(args.mlflow_checks)
    if mlflow is None:
        print("MLflow's side skipped: no bench/.venv-mlflow")
        return
    ours = figures["check, global viewer"]
    for method, p50, p95 in mlflow:
        print(f"{'MLflow basic auth, ' + method:48} {p50:8.3f} {p95:8.3f}")
        print(
            f"  ratio to Ontolab's token check: p50 {p50 / ours[0]:.0f}x, p95 {p95 / ours[1]:.0f}x"
        )


if __name__ == "__main__":
    main()
