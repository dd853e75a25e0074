"""The local provisioner runs real executor processes: warm (forked) and cold (subprocess)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from executor.contract import StepSpec, artifact_path
from server.provision.base import Provisioner
from server.provision.local import LocalProvisioner


def extract_spec(tmp_path: Path, source: str = "sklearn:iris", run_id: str = "r1") -> StepSpec:
    return StepSpec(
        run_id=run_id,
        step_id="extract",
        phase="extract",
        parameters={"task": "classification", "source": source, "target_column": "target"},
        inputs={},
        artifact_root=str(tmp_path / "artifacts"),
    )


@pytest.fixture(params=[True, False], ids=["warm", "cold"])
def provisioner(request: pytest.FixtureRequest) -> LocalProvisioner:
    return LocalProvisioner(warm=request.param)


@pytest.fixture
def blocking_source(tmp_path: Path) -> str:
    """A CSV path that blocks whoever reads it: a named pipe nobody writes to."""
    fifo = tmp_path / "never.csv"
    os.mkfifo(fifo)
    return str(fifo)


def test_implements_the_protocol(provisioner: LocalProvisioner) -> None:
    assert isinstance(provisioner, Provisioner)


def test_step_runs_in_its_own_process_and_logs(
    provisioner: LocalProvisioner, tmp_path: Path
) -> None:
    outcome = provisioner.run_step(extract_spec(tmp_path), tmp_path / "work", timeout=120)
    assert outcome.result.status == "succeeded", outcome.result.log_tail
    ref = outcome.result.outputs["dataset"]
    assert artifact_path(tmp_path / "artifacts", ref.sha256).stat().st_size == ref.size
    assert outcome.worker.startswith("pid ")
    assert int(outcome.worker.split()[1]) != os.getpid()
    assert (tmp_path / "work" / "step.log").read_text().strip()
    assert (tmp_path / "work" / "spec.json").is_file()


def test_failing_step_reports_its_error(provisioner: LocalProvisioner, tmp_path: Path) -> None:
    outcome = provisioner.run_step(
        extract_spec(tmp_path, "sklearn:mnist"), tmp_path / "work", timeout=120
    )
    assert outcome.result.status == "failed"
    assert outcome.result.error is not None
    assert "mnist" in outcome.result.error.message


def test_timeout_stops_the_step(
    provisioner: LocalProvisioner, tmp_path: Path, blocking_source: str
) -> None:
    started = time.monotonic()
    outcome = provisioner.run_step(extract_spec(tmp_path, blocking_source), tmp_path / "w", 3)
    assert time.monotonic() - started < 60
    assert outcome.result.status == "failed"
    assert outcome.result.error is not None
    assert "longer than its timeout of 3 s" in outcome.result.error.message
    assert "ol:timeoutSeconds" in outcome.result.error.message


def test_cancel_kills_the_running_step(
    provisioner: LocalProvisioner, tmp_path: Path, blocking_source: str
) -> None:
    spec = extract_spec(tmp_path, blocking_source, run_id="to-cancel")
    outcomes = []
    worker = threading.Thread(
        target=lambda: outcomes.append(provisioner.run_step(spec, tmp_path / "w", 120))
    )
    worker.start()
    deadline = time.monotonic() + 60
    while not (tmp_path / "w" / "step.log").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    provisioner.cancel("to-cancel")
    worker.join(60)
    assert outcomes and outcomes[0].result.status == "failed"
    assert outcomes[0].result.error is not None
    assert "cancelled" in outcomes[0].result.error.message
