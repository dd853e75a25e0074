"""A swarm AutoML step cancelled mid-search keeps the trials it finished: its workdir is inside
its container, so they come back from the marked lines of its job's logs, read before the
cancel removes the service."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from executor.contract import TRIAL_MARKER
from server import definitions
from tests.integration.docker.conftest import docker_settings, opened, served
from tests.integration.docker.engine import Engine
from tests.processes import free_port

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "automl_wine.ttl"
RUN_LABEL = "org.ontolab.run"
FEW = 3  # trials finished before the cancel


def generous() -> str:
    """The AutoML example with a budget the test never lets it use up."""
    text = EXAMPLE.read_text()
    text = text.replace("ol:timeBudget 30 ;", "ol:timeBudget 900 ;")
    return text.replace("ol:trialBudget 40 ;", "ol:trialBudget 5000 ;")


def printed_trials(client: Any, run_id: str, timeout: float = 420) -> list[int]:
    """Wait until the run's AutoML job printed ``FEW`` finished trials; their numbers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for service in client.services.list(filters={"label": f"{RUN_LABEL}={run_id}"}):
            if not service.name.endswith("-automl"):
                continue
            try:
                text = b"".join(service.logs(stdout=True, stderr=True)).decode(errors="replace")
            except Exception:  # not started yet
                continue
            lines = [line for line in text.splitlines() if line.startswith(TRIAL_MARKER)]
            if len(lines) >= FEW:
                return [json.loads(line[len(TRIAL_MARKER) :])["number"] for line in lines]
        time.sleep(0.5)
    raise AssertionError(f"the AutoML job of run {run_id} finished no {FEW} trials in {timeout} s")


def test_a_cancelled_swarm_automl_step_keeps_its_finished_trials(
    engine: Engine, swarm: None, docker_client: Any, tmp_path: Path
) -> None:
    port = free_port()
    with opened(docker_settings(tmp_path / "data", engine, "swarm", port)) as platform:
        with served(platform, port) as url:
            version = definitions.submit(platform.store, definitions.parse(generous())).version
            record = platform.runs.start(version, use_cache=False)
            seen = printed_trials(docker_client, record.run_id)
            platform.runs.cancel(record.run_id)
            assert platform.runs.wait(record.run_id, timeout=120)
            with urllib.request.urlopen(f"{url}/api/runs/{record.run_id}/trials", timeout=60) as r:
                listed = json.loads(r.read())
    assert record.status == "cancelled", record.error
    step = record.steps["automl"]
    assert step.status == "cancelled"
    assert step.result is not None and not step.result.outputs
    trials = listed["trials"]
    numbers = sorted(t["number"] for t in trials if t["step_id"] == "automl")
    assert set(seen) <= set(numbers), (seen, numbers)
    assert numbers == list(range(len(numbers))) and len(numbers) >= FEW
    assert all(t["estimator"] and t["fold_scores"] for t in trials if t["status"] == "succeeded")
    assert not any(t["best"] for t in trials), "no model: no best trial"
    assert docker_client.services.list(filters={"label": RUN_LABEL}) == []
