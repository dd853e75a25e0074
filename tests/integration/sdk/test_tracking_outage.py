"""Tracking through a platform outage: nothing is lost, nothing is doubled.

A real `ontolab serve` process on a free port is stopped while a run logs; the run keeps logging
while it is down (long enough to cross the SDK's backoff several times), the platform starts
again on the same data dir and port, and the run ends: every metric point, param and artifact
is in the graph exactly once. A process that exits while the platform is down leaves its spool;
the next ``Client`` (as ``start_run`` and ``ontolab.flush_spool``) sends it once the platform is
back, as ``ontolab.flush_spool`` does in the same process for a run whose end timed out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import ontolab
from tests.conftest import ROOT
from tests.processes import free_port, stop_process

# Past several of the SDK's backoffs (capped at ontolab.tracking.MAX_BACKOFF), which then keep
# their pace however long the outage lasts; ONTOLAB_TEST_OUTAGE_SECONDS=60 gives the minute.
DOWN_SECONDS = float(os.environ.get("ONTOLAB_TEST_OUTAGE_SECONDS", "12"))


class Platform:
    """`ontolab serve` on a fixed data dir and port, which can be stopped and started again."""

    def __init__(self, data: Path, log: Path) -> None:
        self.data, self.log = data, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "server.cli", "--data", str(self.data), "serve"]
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ONTOLAB_HOST": "127.0.0.1"},
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                requests.get(f"{self.url}/api/health", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        pytest.fail(f"ontolab serve did not answer in 90 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def tracked(self, run_id: str) -> dict:
        answer = requests.get(f"{self.url}/api/tracking/runs/{run_id}", timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict = answer.json()
        return body

    def count(self, run_id: str, pattern: str) -> int:
        query = (
            "PREFIX ol: <https://w3id.org/ontolab/ns#> SELECT (COUNT(*) AS ?n) WHERE { "
            f"GRAPH ?g {{ {pattern} }} VALUES ?g {{ <https://w3id.org/ontolab/id/run/{run_id}> "
            f"<https://w3id.org/ontolab/id/run/{run_id}/history> }} }}"
        )
        answer = requests.post(
            f"{self.url}/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    served = Platform(tmp_path / "data", tmp_path / "serve.log")
    served.start()
    yield served
    served.stop()


def test_nothing_is_lost_or_doubled_across_an_outage(platform: Platform, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    files = []
    for n in range(3):
        files.append(tmp_path / f"file{n}.txt")
        files[-1].write_text(f"content {n}")
    run = ontolab.start_run("outage", url=platform.url, spool_dir=spool, interval=0.2)
    step = 0

    def log(seconds: float) -> None:
        nonlocal step
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_param(f"p{step}", step)
            step += 1
            time.sleep(0.05)

    log(2)
    run.log_artifact(files[0])
    run.flush(timeout=30)
    platform.stop()
    log(DOWN_SECONDS / 2)
    run.log_artifact(files[1], artifact_path="down")
    log(DOWN_SECONDS / 2)
    assert list(spool.glob("*/ops.jsonl")), "what was not sent is spooled"
    platform.start()
    log(1)
    run.log_artifact(files[2])
    run.end()

    stored = platform.tracked(run.run_id)
    assert stored["status"] == "succeeded"
    history = stored["metric_history"]["loss"]
    assert [p["step"] for p in history] == list(range(step))  # all, once, in order
    assert stored["params"] == {f"p{n}": str(n) for n in range(step)}
    paths = [a["path"] for a in stored["artifacts"]]
    assert paths == ["down/file1.txt", "file0.txt", "file2.txt"]
    assert platform.count(run.run_id, "?p a ol:MetricPoint") == step
    assert platform.count(run.run_id, "?a ol:artifactPath ?path") == 3
    assert not list(spool.glob("*/ops.jsonl")), "the spool is empty once everything went"


def test_a_process_that_exits_while_the_platform_is_down_leaves_its_spool(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    platform.stop()
    script = textwrap.dedent(
        f"""
        import ontolab
        run = ontolab.start_run("offline", url={platform.url!r}, spool_dir={str(spool)!r},
                                flush_timeout=1)
        for step in range(50):
            run.log_metric("loss", step / 10, step=step)
        run.log_params({{"lr": 0.1}})
        run.end()
        print(run.run_id)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split()[-1]
    assert (spool / run_id / "ops.jsonl").is_file()

    platform.start()
    monkeypatch.setenv("ONTOLAB_SPOOL", str(spool))
    with ontolab.Client(platform.url):  # a new client sends what was spooled, off-thread
        deadline = time.monotonic() + 60
        while (spool / run_id).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    stored = platform.tracked(run_id)
    assert stored["status"] == "succeeded" and stored["params"] == {"lr": "0.1"}
    assert len(stored["metric_history"]["loss"]) == 50
    assert not (spool / run_id).exists()
    assert ontolab.flush_spool(platform.url, spool_dir=spool) == 0  # nothing is left


def test_a_run_whose_end_timed_out_is_sent_by_flush_spool(
    platform: Platform, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    platform.stop()
    run = ontolab.start_run("offline", url=platform.url, spool_dir=spool, flush_timeout=0.5)
    run.log_metric("loss", 1.0)
    run.end()  # waits half a second, then leaves the rest in the spool and stops sending
    platform.start()
    assert ontolab.flush_spool(platform.url, spool_dir=spool) == 3  # start, one batch, end
    assert platform.tracked(run.run_id)["status"] == "succeeded"
    assert not (spool / run.run_id).exists()
    assert ontolab.flush_spool(platform.url, spool_dir=spool) == 0
