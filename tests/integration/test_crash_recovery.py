"""A real kill -9 of `ontolab serve` mid-step: the restart marks the run interrupted (run and
unfinished step runs, with time and reason), cancel answers 409 saying so, and resume finishes
it as a new run that reuses the finished steps from the step cache."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.documents import grid_search_document
from tests.processes import free_port, stop_process

#: The build step searches a grid of random forests: a few seconds of deterministic work, long
#: enough to kill the platform while it runs.
SLOW_BUILD = grid_search_document("crash")


class Served:
    """One `ontolab serve` process on a free loopback port over a given data dir."""

    def __init__(self, data: Path, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "--data", str(data), "serve"]
                + ["--port", self.url.rsplit(":", 1)[1]],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ONTOLAB_HOST": "127.0.0.1"},
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()[-3000:]
            try:
                requests.get(self(""), timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        pytest.fail(f"ontolab serve did not answer in 90 s:\n{log.read_text()[-3000:]}")

    def __call__(self, path: str) -> str:
        return f"{self.url}/api{path}"

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """``serve()`` starts `ontolab serve` on the test's data dir; every one started is stopped."""
    started: list[Served] = []

    def start() -> Served:
        started.append(Served(tmp_path / "data", tmp_path / "serve.log"))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def descendants(pid: int) -> set[int]:
    """Every live process under ``pid`` (the warm step parent, the step it forked, …)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that is not ours to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for_step(served: Served, run_id: str, step_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, Any] = requests.get(served(f"/runs/{run_id}"), timeout=10).json()
        steps = {s["step_id"]: s["status"] for s in run["steps"]}
        if steps.get(step_id) == status:
            return run
        assert run["status"] == "running", f"the run ended before {step_id} was {status}: {run}"
        time.sleep(0.05)
    raise AssertionError(f"step {step_id} of run {run_id} was not {status} within 120 s")


def crash_mid_build(serve: Any) -> str:
    """Run SLOW_BUILD under `ontolab serve`, kill -9 the platform while its build step runs,
    and check that no step process outlives it; returns the run's id."""
    first = serve()
    created = requests.post(first("/experiments"), json=SLOW_BUILD, timeout=30)
    assert created.status_code == 201, created.text
    started = requests.post(first("/runs"), json={"experiment": "crash"}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    wait_for_step(first, run_id, "build", "running")
    workers = descendants(first.process.pid)
    assert workers, "the platform runs its step in a process of its own"

    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "no step process outlives the platform"
    return run_id


@pytest.mark.slow
def test_kill_9_mid_step_then_restart_marks_interrupted_and_resume_finishes(
    serve: Any, finished_run: Any
) -> None:
    run_id = crash_mid_build(serve)
    second = serve()
    run = requests.get(second(f"/runs/{run_id}"), timeout=10).json()
    assert run["status"] == "interrupted"
    assert "the platform stopped while the run was in flight" in run["error"]
    assert f"ontolab runs resume {run_id}" in run["error"]
    assert run["ended"] >= run["started"]
    steps = {s["step_id"]: s for s in run["steps"]}
    assert {k: s["status"] for k, s in steps.items()} == {
        "extract": "succeeded",
        "process": "succeeded",
        "build": "interrupted",
        "validate": "interrupted",
    }
    assert steps["build"]["error_message"] == "the platform stopped while this step ran"
    assert "ended" in steps["build"]
    assert steps["validate"]["error_message"] == "the platform stopped before this step started"

    cancel = requests.post(second(f"/runs/{run_id}/cancel"), timeout=10)
    assert cancel.status_code == 409
    assert cancel.json()["detail"].startswith(f"run {run_id} is not running: it was interrupted")
    assert f"POST /api/runs/{run_id}/resume" in cancel.json()["detail"]

    resumed = requests.post(second(f"/runs/{run_id}/resume"), timeout=30)
    assert resumed.status_code == 202, resumed.text
    assert resumed.json()["resumes"] == run_id
    new_id = resumed.json()["run_id"]
    assert new_id != run_id
    done = finished_run(second.url, new_id, timeout=300)
    assert done["status"] == "succeeded", done
    assert done["resumes"] == run_id
    cached = {s["step_id"]: s["cache_hit"] for s in done["steps"]}
    assert cached == {"extract": True, "process": True, "build": False, "validate": False}
    reused = {s["step_id"]: s.get("reused_from") for s in done["steps"]}
    assert reused["extract"] == steps["extract"]["step_run"], "the interrupted run's own step"
    assert requests.get(second(f"/runs/{run_id}"), timeout=10).json()["resumed_by"] == new_id
    versions = requests.get(second("/models/crash-build"), timeout=10).json()["versions"]
    assert [v["run_id"] for v in versions] == [new_id], "only the resumed run registers one"

    again = requests.post(second(f"/runs/{run_id}/resume"), timeout=10)
    assert again.status_code == 409 and f"already resumed by run {new_id}" in again.text
    finished = requests.post(second(f"/runs/{new_id}/resume"), timeout=10)
    assert finished.status_code == 409 and "already succeeded" in finished.text


@pytest.mark.slow
def test_after_kill_9_the_cli_shows_the_run_interrupted_and_resumes_it(
    serve: Any, tmp_path: Path
) -> None:
    run_id = crash_mid_build(serve)

    def ontolab(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "server.cli", "--data", str(tmp_path / "data"), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300)

    shown = ontolab("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert "— interrupted (local)" in shown.stdout
    assert "error: the platform stopped while the run was in flight" in shown.stdout

    resumed = ontolab("runs", "resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    found = re.search(
        r"run ([0-9a-f]{16}) resumed run (\w+); steps from the cache: (.*)", resumed.stdout
    )
    assert found, resumed.stdout
    new_id = found.group(1)
    assert (found.group(2), found.group(3)) == (run_id, "extract, process")
    shown = ontolab("runs", "show", new_id)
    assert "— succeeded (local)" in shown.stdout and f"resumes run {run_id}" in shown.stdout
    assert f"resumed by run {new_id}" in ontolab("runs", "show", run_id).stdout

    again = ontolab("runs", "resume", run_id)
    assert again.returncode == 1
    assert f"already resumed by run {new_id}" in again.stderr
