"""A swarm AutoML step cancelled, killed or timed out mid-search keeps the trials it finished:
its workdir is inside its container, so they come back from the marked lines of its job's logs
(read before a cancel removes the service)."""

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


def generous(timeout: int | None = None) -> str:
    """The AutoML example with a budget the test never lets it use up (and a step timeout)."""
    text = EXAMPLE.read_text()
    text = text.replace("ol:timeBudget 30 ;", "ol:timeBudget 900 ;")
    text = text.replace("ol:trialBudget 40 ;", "ol:trialBudget 5000 ;")
    if timeout:
        limit = f"ol:requires [ ol:timeoutSeconds {timeout} ] ;"
        text = text.replace('ol:modelName "wine-automl" ;', f'{limit} ol:modelName "wine-automl" ;')
    return text


def automl_job(client: Any, run_id: str) -> Any:
    for service in client.services.list(filters={"label": f"{RUN_LABEL}={run_id}"}):
        if service.name.endswith("-automl"):
            return service
    return None


def printed_trials(client: Any, run_id: str, timeout: float = 420) -> list[int]:
    """Wait until the run's AutoML job printed ``FEW`` finished trials; their numbers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service = automl_job(client, run_id)
        try:
            text = b"".join(service.logs(stdout=True, stderr=True)).decode(errors="replace")
        except Exception:  # not created or not started yet
            text = ""
        lines = [line for line in text.splitlines() if line.startswith(TRIAL_MARKER)]
        if len(lines) >= FEW:
            return [json.loads(line[len(TRIAL_MARKER) :])["number"] for line in lines]
        time.sleep(0.5)
    raise AssertionError(f"the AutoML job of run {run_id} finished no {FEW} trials in {timeout} s")


def kill_task(engine: Engine, client: Any, run_id: str) -> None:
    """``docker kill`` the AutoML job's container, as the OOM killer or a node would."""
    tasks = automl_job(client, run_id).tasks()
    container = tasks[0]["Status"]["ContainerStatus"]["ContainerID"]
    assert engine.cli("kill", container).returncode == 0


@pytest.mark.parametrize("how", ["cancel", "kill", "timeout"])
def test_a_swarm_automl_step_stopped_mid_search_keeps_its_finished_trials(
    engine: Engine, swarm: None, docker_client: Any, tmp_path: Path, how: str
) -> None:
    port = free_port()
    text = generous(timeout=90 if how == "timeout" else None)
    with opened(docker_settings(tmp_path / "data", engine, "swarm", port)) as platform:
        with served(platform, port) as url:
            version = definitions.submit(platform.store, definitions.parse(text)).version
            record = platform.runs.start(version, use_cache=False)
            seen = printed_trials(docker_client, record.run_id)
            if how == "cancel":
                platform.runs.cancel(record.run_id)
            elif how == "kill":
                kill_task(engine, docker_client, record.run_id)
            assert platform.runs.wait(record.run_id, timeout=300)
            with urllib.request.urlopen(f"{url}/api/runs/{record.run_id}/trials", timeout=60) as r:
                trials = json.loads(r.read())["trials"]
    step = record.steps["automl"]
    assert step.result is not None and not step.result.outputs
    assert step.result.error is not None
    expected = {
        "cancel": "cancelled while this step ran",
        "kill": "the swarm task ended in state 'failed' (exit 137)",
        "timeout": "longer than its timeout of 90 s",
    }[how]
    assert expected in step.result.error.message
    assert step.status == ("cancelled" if how == "cancel" else "failed")
    numbers = sorted(t["number"] for t in trials if t["step_id"] == "automl")
    assert set(seen) <= set(numbers), (seen, numbers)
    assert numbers == list(range(len(numbers))) and len(numbers) >= FEW
    assert all(t["estimator"] and t["fold_scores"] for t in trials if t["status"] == "succeeded")
    assert not any(t["best"] for t in trials), "no model: no best trial"
    assert docker_client.services.list(filters={"label": RUN_LABEL}) == []
