"""Container steps on a swarm, against a stand-in for the docker SDK client: the three jobs'
specs (one node, one volume, the command's working directory and limits), the order they run
in, the failure of the author's command, cancel, and the volume removed in every case.

The real engine runs them in tests/integration/docker/test_container_steps_swarm.py.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from executor.contract import ArtifactRef, StepResult, StepSpec, artifact_path
from server.provision.swarm import SwarmProvisioner
from server.provision.swarm_container import FOLDER, command_job, stage_job
from server.runs.scheduler import _check_container_steps

URL = "http://127.0.0.1:9/api/artifacts"
DATASET = ArtifactRef("ab" * 32, 10, "application/vnd.apache.parquet")
RESULT = StepResult("succeeded", "s", "e", outputs={"files": DATASET})


def container_spec(tmp_path: Path, command: str = "tool --in 'a b'", **resources: Any) -> StepSpec:
    return StepSpec(
        run_id="r1",
        step_id="tool",
        phase="container",
        parameters={"container_image": "tool:1", "command": command},
        inputs={"dataset": DATASET},
        artifact_root=str(tmp_path / "artifacts"),
        resources=resources,
        artifact_url=URL,
    )


def test_the_jobs_share_one_volume_on_one_node(tmp_path: Path) -> None:
    spec = container_spec(tmp_path, cpus=1.5, memory="256m")
    first = stage_job(spec, "sha256:runner", "vol-1", "stage-in", "node.labels.gpu==yes")
    assert first["image"] == "sha256:runner"
    assert first["command"] == ["python", "-m", "executor.container_files"]
    assert first["args"] == ["stage-in", "--spec-env", "ONTOLAB_SPEC", "--dir", FOLDER]
    assert first["constraints"] == ["node.labels.gpu==yes"]
    assert URL in first["env"][0]  # the stage jobs reach the artifact API
    command = command_job(spec, "sha256:tool", "vol-1", "n1")
    assert command["image"] == "sha256:tool" and command["command"] == ["tool", "--in", "a b"]
    assert command["workdir"] == FOLDER and command["init"] is True
    assert command["constraints"] == ["node.id==n1"] and command["networks"] == ["host"]
    assert command["resources"]["Limits"] == {"NanoCPUs": 1_500_000_000, "MemoryBytes": 256 << 20}
    assert not any("ONTOLAB_SPEC" in e for e in command["env"])  # the author's image: no spec
    last = stage_job(spec, "sha256:runner", "vol-1", "stage-out", "node.id==n1", "T0")
    assert last["args"][0] == "stage-out" and last["args"][-2:] == ["--started", "T0"]
    for job in (first, command, last):
        (mount,) = job["mounts"]
        assert (mount["Type"], mount["Source"], mount["Target"]) == ("volume", "vol-1", FOLDER)
        assert job["mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
        assert job["restart_policy"]["Condition"] == "none"
    assert len({first["name"], command["name"], last["name"]}) == 3


class FakeService:
    def __init__(self, swarm: FakeSwarm, options: dict[str, Any]) -> None:
        self.swarm, self.options = swarm, options
        self.role = options["name"].rsplit("-", 1)[-1]
        self.removed = False

    def tasks(self) -> list[dict[str, Any]]:
        code = self.swarm.exit_codes.get(self.role, 0)
        if code is None or self.removed:
            return []  # still running (or gone)
        state = "complete" if code == 0 else "failed"
        status = {"ExitCode": code, "ContainerID": self.role * 4}
        return [{"NodeID": "n1", "Status": {"State": state, "ContainerStatus": status}}]

    def logs(self, stdout: bool, stderr: bool, follow: bool) -> Any:
        yield self.swarm.logs.get(self.role, b"")

    def remove(self) -> None:
        self.removed = True


class FakeVolume:
    def __init__(self, swarm: FakeSwarm, name: str) -> None:
        self.swarm, self.name = swarm, name

    def remove(self, force: bool) -> None:
        self.swarm.volumes_removed.append(self.name)


class FakeSwarm:
    """Services, images, nodes and volumes of a one-node swarm whose jobs end as told."""

    def __init__(self, exit_codes: dict[str, int | None], logs: dict[str, bytes]) -> None:
        self.exit_codes, self.logs = exit_codes, logs
        self.created: list[FakeService] = []
        self.volumes_removed: list[str] = []
        self.images = self.services = self.nodes = self
        self.volumes = type("Volumes", (), {"get": lambda _, name: FakeVolume(self, name)})()
        self.containers = self
        self.containers_removed: list[dict[str, str]] = []
        self.id = "sha256:image"

    def info(self) -> dict[str, Any]:
        return {"Swarm": {"NodeID": "n1"}}

    def get(self, name: str) -> Any:
        if name in ("img", "tool:1"):
            return self
        return type("Node", (), {"attrs": {"Description": {"Hostname": "node-1"}}})()

    def list(self, all: bool, filters: dict[str, str]) -> list[Any]:
        """The containers mounting a volume: one, which records its removal."""
        removed = self.containers_removed
        return [type("Container", (), {"remove": lambda _, force: removed.append(filters)})()]

    def create(self, **options: Any) -> FakeService:
        service = FakeService(self, options)
        self.created.append(service)
        return service

    def close(self) -> None:
        pass


def pushed_result(tmp_path: Path) -> bytes:
    """The stage-out job's log line naming the result it pushed (which is put in the store)."""
    text = RESULT.to_json().encode()
    sha = hashlib.sha256(text).hexdigest()
    path = artifact_path(tmp_path / "artifacts", sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return f"ontolab-result-sha256: {sha}\n".encode()


def test_a_container_step_runs_as_three_jobs_and_leaves_no_volume(tmp_path: Path) -> None:
    swarm = FakeSwarm({}, {"command": b"working\n", "out": pushed_result(tmp_path)})
    provisioner = SwarmProvisioner(swarm, "img", URL)
    outcome = provisioner.run_step(container_spec(tmp_path), tmp_path / "w", 30)
    assert outcome.result.status == "succeeded", outcome.result.error
    assert outcome.result.outputs == {"files": DATASET}
    assert [s.role for s in swarm.created] == ["in", "command", "out"]
    constraints = [s.options["constraints"] for s in swarm.created]
    assert constraints == [["node.id==n1"]] * 3  # no ol:placement: the manager, then its node
    assert swarm.created[1].options["image"] == "sha256:image"  # the tag resolved to its ID
    assert all(s.removed for s in swarm.created)
    volume = swarm.created[0].options["mounts"][0]["Source"]
    assert swarm.volumes_removed == [volume]
    assert swarm.containers_removed == [{"volume": volume}]  # the jobs' containers first
    assert outcome.worker == "swarm node node-1, container commandcomma"
    assert "working" in (tmp_path / "w" / "step.log").read_text()


def test_a_failing_command_fails_the_step_with_its_log_tail(tmp_path: Path) -> None:
    forged = pushed_result(tmp_path)  # the command cannot pose as the step's result
    said = b"reading inputs/data.csv\n" + forged + b"KeyError: 'price'\n"
    swarm = FakeSwarm({"command": 3}, {"command": said})
    provisioner = SwarmProvisioner(swarm, "img", URL)
    result = provisioner.run_step(container_spec(tmp_path), tmp_path / "w", 30).result
    assert result.status == "failed" and not result.outputs
    assert result.error is not None and result.error.type == "ContainerExit"
    assert result.error.message.startswith("the command exited with status 3; its log ends: ")
    assert "KeyError: 'price'" in result.error.message
    assert [s.role for s in swarm.created] == ["in", "command"]  # no stage-out: nothing pushed
    assert len(swarm.volumes_removed) == 1


def test_a_failed_stage_in_stops_before_the_command(tmp_path: Path) -> None:
    swarm = FakeSwarm({"in": 1}, {"in": b"staging the inputs failed: cannot fetch\n"})
    provisioner = SwarmProvisioner(swarm, "img", URL)
    result = provisioner.run_step(container_spec(tmp_path), tmp_path / "w", 30).result
    assert result.status == "failed" and result.error is not None
    assert "staging the inputs on the swarm ended in state 'failed' (exit 1)" in (
        result.error.message
    )
    assert "(staging the inputs failed: cannot fetch)" in result.error.message
    assert [s.role for s in swarm.created] == ["in"] and len(swarm.volumes_removed) == 1


def test_cancel_stops_the_running_job_and_removes_the_volume(tmp_path: Path) -> None:
    swarm = FakeSwarm({"command": None}, {})  # the command runs until stopped
    provisioner = SwarmProvisioner(swarm, "img", URL)
    outcome: list[StepResult] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            provisioner.run_step(container_spec(tmp_path), tmp_path / "w", 60).result
        )
    )
    thread.start()
    deadline = time.monotonic() + 30
    while len(swarm.created) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    provisioner.cancel("r1")
    thread.join(30)
    (result,) = outcome
    assert result.status == "failed" and result.error is not None
    assert "the run was cancelled while this step ran" in result.error.message
    assert swarm.created[1].removed and [s.role for s in swarm.created] == ["in", "command"]
    assert len(swarm.volumes_removed) == 1


def test_the_scheduler_lets_a_container_step_run_under_swarm() -> None:
    plan: Any = SimpleNamespace(steps={"tool": SimpleNamespace(phase="container")})
    _check_container_steps(plan, SwarmProvisioner(FakeSwarm({}, {}), "img", URL))  # no PlanError
