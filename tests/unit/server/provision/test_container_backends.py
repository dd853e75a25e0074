"""The docker and swarm backends on the skeleton, against a stand-in for the docker SDK client.

The real engine is exercised by tests/integration/docker; these check, without one, what each
backend makes of how its container or task ended, and that it cleans up after itself.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.contract import TRIALS_FILE, StepResult, artifact_path, trial_line
from server.provision.docker import DockerProvisioner
from server.provision.swarm import SwarmProvisioner
from tests.unit.server.provision.test_base_provisioner import spec

RESULT = StepResult(status="succeeded", started_at="s", ended_at="e", metrics={"m": 1.0})


class FakeContainer:
    def __init__(self, client: FakeClient, workdir: Path) -> None:
        self.id = "c0ffee" * 8
        self.client = client
        self.workdir = workdir
        self.stopped = threading.Event()
        self.exit_code = client.exit_code
        self.removed = False
        if client.writes_result:
            (workdir / "result.json").write_text(RESULT.to_json())
        if not client.blocks:
            self.stopped.set()

    def wait(self, timeout: float) -> dict[str, int]:
        import requests

        if not self.stopped.wait(timeout):
            raise requests.exceptions.ReadTimeout("still running")
        return {"StatusCode": self.exit_code}

    def logs(self, stream: bool, follow: bool) -> Any:
        yield b"a line\n"
        self.stopped.wait(30)

    def reload(self) -> None:
        pass

    @property
    def attrs(self) -> dict[str, Any]:
        return {"State": {"OOMKilled": self.client.oom}}

    def kill(self) -> None:
        self.exit_code = 137
        self.stopped.set()

    def remove(self, force: bool) -> None:
        self.removed = True


class FakeClient:
    def __init__(self, exit_code: int = 0, blocks: bool = False, oom: bool = False) -> None:
        self.exit_code, self.blocks, self.oom = exit_code, blocks, oom
        self.writes_result = exit_code == 0
        self.started: list[FakeContainer] = []
        self.closed = False
        self.containers = self

    def run(self, image: str, command: list[str], **options: Any) -> FakeContainer:
        workdir = Path(command[command.index("--workdir") + 1])
        container = FakeContainer(self, workdir)
        self.started.append(container)
        return container

    def close(self) -> None:
        self.closed = True


def test_docker_runs_a_step_and_removes_its_container(tmp_path: Path) -> None:
    client = FakeClient()
    outcome = DockerProvisioner(client, "img").run_step(spec(tmp_path), tmp_path / "w", 30)
    assert outcome.result.status == "succeeded" and outcome.result.metrics == {"m": 1.0}
    assert outcome.worker.startswith("container c0ffeec0ffee on ")
    assert "a line" in outcome.result.log_tail
    assert client.started[0].removed


def test_docker_says_how_a_container_was_stopped(tmp_path: Path) -> None:
    killed = DockerProvisioner(FakeClient(exit_code=137), "img")
    result = killed.run_step(spec(tmp_path), tmp_path / "k", 30).result
    assert result.error is not None
    assert "container was killed (exit 137, signal 9)" in result.error.message
    oom = DockerProvisioner(FakeClient(exit_code=137, oom=True), "img")
    result = oom.run_step(spec(tmp_path, memory="64m"), tmp_path / "o", 30).result
    assert result.error is not None
    assert "ran out of memory (limit 64m)" in result.error.message
    slow = DockerProvisioner(FakeClient(blocks=True), "img")
    result = slow.run_step(spec(tmp_path), tmp_path / "t", 0.3).result
    assert result.error is not None
    assert "timeout of 0.3 s and its container was stopped" in result.error.message


def test_docker_cancel_stops_the_container_and_close_closes_the_client(tmp_path: Path) -> None:
    client = FakeClient(blocks=True)
    provisioner = DockerProvisioner(client, "img")
    outcomes: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcomes.append(provisioner.run_step(spec(tmp_path), tmp_path / "w", 60))
    )
    worker.start()
    while not client.started:
        threading.Event().wait(0.02)
    provisioner.cancel("r1")
    worker.join(30)
    error = outcomes[0].result.error
    assert error.message == "the run was cancelled while this step ran (its container was stopped)"
    assert client.started[0].removed
    provisioner.end_run("r1")
    assert provisioner.tracked_runs() == set()
    provisioner.close()
    assert client.closed


class FakeService:
    def __init__(self, client: FakeSwarm, env: list[str]) -> None:
        self.client = client
        self.env = env
        self.removed = False

    def tasks(self) -> list[dict[str, Any]]:
        return [self.client.task] if self.client.task else []

    def logs(self, stdout: bool, stderr: bool, follow: bool) -> Any:
        if self.removed:  # as the engine: a removed service's logs are gone with it
            raise RuntimeError("service not found")
        yield self.client.log

    def remove(self) -> None:
        self.removed = True


class FakeSwarm:
    def __init__(self, task: dict[str, Any] | None, log: bytes) -> None:
        self.task, self.log = task, log
        self.created: list[FakeService] = []
        self.images = self
        self.services = self
        self.nodes = self
        self.id = "sha256:image"

    def get(self, name: str) -> Any:
        if name == "img":
            return self
        return type("Node", (), {"attrs": {"Description": {"Hostname": "node-1"}}})()

    def create(self, image: str, **options: Any) -> FakeService:
        service = FakeService(self, options["env"])
        self.created.append(service)
        return service


def test_swarm_reads_back_the_result_its_task_pushed(tmp_path: Path) -> None:
    text = RESULT.to_json().encode()
    sha = hashlib.sha256(text).hexdigest()
    path = artifact_path(tmp_path / "artifacts", sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(text)
    task = {
        "NodeID": "n1",
        "Status": {
            "State": "complete",
            "ContainerStatus": {"ExitCode": 0, "ContainerID": "ab" * 8},
        },
    }
    client = FakeSwarm(task, f"ontolab-result-sha256: {sha}\n".encode())
    provisioner = SwarmProvisioner(client, "img", "http://127.0.0.1:9/api/artifacts")
    outcome = provisioner.run_step(spec(tmp_path), tmp_path / "w", 30)
    assert outcome.result.metrics == {"m": 1.0}
    assert outcome.worker == "swarm node node-1, container abababababab"
    assert "http://127.0.0.1:9/api/artifacts" in client.created[0].env[0]
    assert client.created[0].removed


def test_swarm_says_how_its_task_ended(tmp_path: Path) -> None:
    task = {"Status": {"State": "rejected", "Err": "no such image"}}
    provisioner = SwarmProvisioner(FakeSwarm(task, b""), "img", "http://127.0.0.1:9/api")
    result = provisioner.run_step(spec(tmp_path), tmp_path / "w", 30).result
    assert result.error is not None
    assert "the swarm task ended in state 'rejected' (exit None): no such image" in (
        result.error.message
    )
    provisioner.cancel("r2")  # cancelled before its step started: the service goes at once
    cancelled = provisioner.run_step(spec(tmp_path, "r2"), tmp_path / "c", 30)
    assert cancelled.worker == "swarm (no task ran)"
    assert cancelled.result.error is not None
    assert "(its swarm service was removed)" in cancelled.result.error.message


def test_a_cancelled_swarm_automl_step_keeps_the_trials_it_printed(tmp_path: Path) -> None:
    """Its service is removed, and its logs with it: they are read first, so the trials it
    finished reach the workdir's trials file."""
    trial = {"number": 0, "kind": "baseline", "estimator": "RandomForestClassifier"}
    log = f"fitting\n{trial_line({**trial, 'state': 'succeeded'})}\n".encode()
    client = FakeSwarm(None, log)  # its task never ends by itself
    provisioner = SwarmProvisioner(client, "img", "http://127.0.0.1:9/api/artifacts")
    automl = replace(spec(tmp_path), phase="build", parameters={"automl": True})
    outcomes: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcomes.append(provisioner.run_step(automl, tmp_path / "w", 600))
    )
    worker.start()
    while not client.created:
        threading.Event().wait(0.02)
    provisioner.cancel("r1")
    worker.join(30)

    assert not worker.is_alive(), "a cancelled job's wait ends with it, not at its timeout"
    error = outcomes[0].result.error
    assert error.message == (
        "the run was cancelled while this step ran (its swarm service was removed)"
    )
    assert client.created[0].removed
    assert "fitting" in (tmp_path / "w" / "step.log").read_text()
    lines = (tmp_path / "w" / TRIALS_FILE).read_text().splitlines()
    assert [json.loads(line)["number"] for line in lines] == [0]
