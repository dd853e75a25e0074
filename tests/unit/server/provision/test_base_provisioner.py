"""The provisioner skeleton, on a backend whose steps are events that wait to be set."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest

from executor.contract import StepResult, StepSpec, artifact_path
from server.provision.base import (
    BaseProvisioner,
    Ending,
    Provisioner,
    StepOutcome,
    unenforced_limits,
)
from server.provision.local import LocalProvisioner

FIX = (
    "to enforce them, run it on the docker or swarm provisioner (ONTOLAB_PROVISIONER=docker, "
    'or ol:provisioner "docker" on the experiment)'
)


class FakeStep:
    """A launched step: it ends when ``finish`` or ``kill`` is called."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ended = threading.Event()
        self.killed = False

    def finish(self, log: str = "done\n") -> None:
        (self.workdir / "step.log").write_text(log)
        result = StepResult(status="succeeded", started_at="s", ended_at="e", metrics={"m": 1.0})
        (self.workdir / "result.json").write_text(result.to_json())
        self.ended.set()

    def kill(self) -> None:
        self.killed = True
        self.ended.set()


class FakeProvisioner(BaseProvisioner[FakeStep]):
    name = "fake"
    stopped_how = "its event was set"

    def __init__(self, artifact_url: str | None = None) -> None:
        super().__init__(artifact_url)
        self.launched: list[FakeStep] = []
        self.released: list[FakeStep] = []
        self.shut_down = False

    def _launch(self, spec: StepSpec, workdir: Path) -> FakeStep:
        step = FakeStep(workdir)
        self.launched.append(step)
        return step

    def _await(self, handle: FakeStep, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        if not handle.ended.wait(timeout):
            handle.kill()
            return Ending("event", timed_out=True)
        return Ending("event", failure="it was killed" if handle.killed else None)

    def _kill(self, handle: FakeStep) -> None:
        handle.kill()

    def _release(self, handle: FakeStep) -> None:
        self.released.append(handle)

    def _shutdown(self) -> None:
        self.shut_down = True


class LimitingProvisioner(FakeProvisioner):
    supports_resource_limits = True


class Background:
    """``run_step`` in a thread; returns once the step was launched."""

    def __init__(self, provisioner: FakeProvisioner, spec: StepSpec, workdir: Path) -> None:
        self.outcomes: list[StepOutcome] = []
        launched = len(provisioner.launched)

        def run() -> None:
            self.outcomes.append(provisioner.run_step(spec, workdir, 60))

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        deadline = threading.Event()
        for _ in range(600):
            if len(provisioner.launched) > launched:
                break
            deadline.wait(0.05)
        self.step = provisioner.launched[launched]

    def outcome(self) -> StepOutcome:
        self.thread.join(30)
        assert not self.thread.is_alive(), "run_step did not return"
        return self.outcomes[0]


def spec(tmp_path: Path, run_id: str = "r1", **resources: Any) -> StepSpec:
    """An extract step's spec (also used by the container backends' tests)."""
    return StepSpec(
        run_id=run_id,
        step_id="extract",
        phase="extract",
        parameters={},
        inputs={},
        artifact_root=str(tmp_path / "artifacts"),
        resources=resources,
    )


def test_every_backend_is_a_provisioner() -> None:
    assert isinstance(FakeProvisioner(), Provisioner)
    assert issubclass(LocalProvisioner, BaseProvisioner)


def test_writes_the_spec_and_reads_the_result_back(tmp_path: Path) -> None:
    provisioner = FakeProvisioner()
    running = Background(provisioner, spec(tmp_path), tmp_path / "w")
    assert provisioner.tracked_runs() == {"r1"}
    running.step.finish(log="line 1\nline 2\n")
    outcome = running.outcome()
    assert outcome.result.status == "succeeded" and outcome.result.metrics == {"m": 1.0}
    assert outcome.result.log_tail == "line 1\nline 2"
    assert outcome.worker == "event"
    assert StepSpec.from_json((tmp_path / "w" / "spec.json").read_text()) == spec(tmp_path)
    assert provisioner.released == [running.step]
    assert provisioner.tracked_runs() == set()  # no entry left behind per run


def test_a_step_without_a_result_failed_and_says_so(tmp_path: Path) -> None:
    running = Background(FakeProvisioner(), spec(tmp_path), tmp_path / "w")
    running.step.ended.set()
    result = running.outcome().result
    assert result.status == "failed" and result.error is not None
    assert "without writing result.json" in result.error.message


def test_an_abnormal_end_overrides_the_result(tmp_path: Path) -> None:
    running = Background(FakeProvisioner(), spec(tmp_path), tmp_path / "w")
    running.step.killed = True
    running.step.finish()
    result = running.outcome().result
    assert result.status == "failed" and result.error is not None
    assert result.error.message == "it was killed"


def test_timeout_names_how_the_backend_stopped_the_step(tmp_path: Path) -> None:
    outcome = FakeProvisioner().run_step(spec(tmp_path), tmp_path / "w", 0.2)
    assert outcome.result.error is not None
    assert outcome.result.error.message == (
        "the step ran longer than its timeout of 0.2 s and its event was set; "
        "raise ol:timeoutSeconds in its ol:requires if it needs longer"
    )


def test_cancel_stops_the_run_s_steps_and_is_forgotten_when_the_run_ends(tmp_path: Path) -> None:
    provisioner = FakeProvisioner()
    other = Background(provisioner, spec(tmp_path, "other"), tmp_path / "o")
    running = Background(provisioner, spec(tmp_path, "r1"), tmp_path / "w")
    provisioner.cancel("r1")
    result = running.outcome().result
    assert running.step.killed and not other.step.killed
    assert result.error is not None
    assert result.error.message == "the run was cancelled while this step ran"
    assert provisioner.tracked_runs() == {"r1", "other"}  # r1 stays cancelled until it ends

    provisioner.end_run("r1")
    assert provisioner.tracked_runs() == {"other"}
    other.step.finish()
    assert other.outcome().result.status == "succeeded"
    assert provisioner.tracked_runs() == set()


def test_a_step_starting_while_its_run_is_cancelled_is_stopped_at_once(tmp_path: Path) -> None:
    provisioner = FakeProvisioner()
    provisioner.cancel("r1")  # e.g. while the step was being launched
    outcome = provisioner.run_step(spec(tmp_path), tmp_path / "w", 60)
    assert provisioner.launched[0].killed
    assert outcome.result.error is not None and "cancelled" in outcome.result.error.message
    provisioner.end_run("r1")
    assert provisioner.tracked_runs() == set()
    rerun = Background(provisioner, spec(tmp_path), tmp_path / "w2")  # same id, not cancelled
    rerun.step.finish()
    assert rerun.outcome().result.status == "succeeded"


def test_close_stops_every_running_step_then_shuts_the_backend_down(tmp_path: Path) -> None:
    provisioner = FakeProvisioner()
    running = [Background(provisioner, spec(tmp_path, r), tmp_path / r) for r in ("a", "b")]
    provisioner.close()
    assert provisioner.shut_down
    for each in running:
        assert each.step.killed and each.outcome().result.status == "failed"


def push(root: Path, result: StepResult) -> tuple[str, Path]:
    text = result.to_json().encode()
    sha = hashlib.sha256(text).hexdigest()
    path = artifact_path(root, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return sha, path


def test_a_remote_step_gets_the_artifact_url_and_its_pushed_result_is_checked(
    tmp_path: Path,
) -> None:
    url = "http://127.0.0.1:9/api/artifacts"
    provisioner = FakeProvisioner(artifact_url=url)
    pushed = StepResult(status="succeeded", started_at="s", ended_at="e", metrics={"m": 2.0})
    sha, path = push(tmp_path / "artifacts", pushed)

    running = Background(provisioner, spec(tmp_path), tmp_path / "w")
    assert StepSpec.from_json((tmp_path / "w" / "spec.json").read_text()).artifact_url == url
    (tmp_path / "w" / "step.log").write_text(f"ontolab-result-sha256: {sha}\n")
    running.step.ended.set()
    assert running.outcome().result.metrics == {"m": 2.0}

    path.write_bytes(path.read_bytes().replace(b"2.0", b"3.0"))  # damaged: not trusted
    damaged = Background(provisioner, spec(tmp_path, "r2"), tmp_path / "w2")
    (tmp_path / "w2" / "step.log").write_text(f"ontolab-result-sha256: {sha}\n")
    damaged.step.ended.set()
    result = damaged.outcome().result
    assert result.status == "failed" and result.error is not None
    assert "without writing result.json" in result.error.message


def test_limits_a_provisioner_cannot_enforce_are_warned_about_with_the_fix() -> None:
    resources: dict[str, dict[str, Any]] = {
        "build": {"cpus": 2.0, "memory": "1g", "timeout_seconds": 60},
        "extract": {"timeout_seconds": 60},
        "validate": {"memory": "512m"},
    }
    assert unenforced_limits(LocalProvisioner(warm=False), resources) == [
        "step 'build' sets ol:cpus 2.0 and ol:memory \"1g\" but the local provisioner cannot "
        f"enforce resource limits, so the step ran without them; {FIX}",
        "step 'validate' sets ol:memory \"512m\" but the local provisioner cannot enforce "
        f"resource limits, so the step ran without them; {FIX}",
    ]
    assert unenforced_limits(LimitingProvisioner(), resources) == []


@pytest.mark.parametrize("resources", [{}, {"extract": {}}, {"extract": {"image": "x"}}])
def test_no_limits_no_warning(resources: dict[str, dict[str, Any]]) -> None:
    assert unenforced_limits(LocalProvisioner(warm=False), resources) == []


class FactfulProvisioner(FakeProvisioner):
    """A backend that learns what the step cannot know itself (a container step's image)."""

    def _await(self, handle: FakeStep, spec: StepSpec, workdir: Path, timeout: float) -> Ending:
        ending = super()._await(handle, spec, workdir, timeout)
        return Ending(ending.worker, ending.timed_out, ending.failure, {"image": {"id": "x"}})


def test_what_the_backend_learned_joins_the_result_summary(tmp_path: Path) -> None:
    running = Background(FactfulProvisioner(), spec(tmp_path), tmp_path / "w")
    running.step.finish()
    result = running.outcome().result
    assert result.status == "succeeded" and result.metrics == {"m": 1.0}
    assert result.summary == {"image": {"id": "x"}}
