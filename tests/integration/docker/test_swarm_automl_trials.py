"""A swarm AutoML step cancelled, killed or timed out mid-search keeps the trials it finished:
its workdir is inside its container, so they come back from the marked lines of its job's logs
(read before a cancel removes the service)."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from executor.contract import TRIAL_MARKER
from server import definitions
from server.platform import Platform
from server.tracking.records import RunRecord
from tests.integration.docker.conftest import docker_settings, opened, served
from tests.integration.docker.engine import Engine
from tests.processes import free_port

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "automl_wine.ttl"
RUN_LABEL = "org.ontolab.run"
FEW = 3  # trials finished before the cancel
HOW = ["cancel", "kill", "timeout"]


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


def printed_trials(client: Any, run_id: str) -> list[int]:
    """The numbers of the finished trials the run's AutoML job has printed so far."""
    service = automl_job(client, run_id)
    try:
        text = b"".join(service.logs(stdout=True, stderr=True)).decode(errors="replace")
    except Exception:  # not created or not started yet
        return []
    lines = [line for line in text.splitlines() if line.startswith(TRIAL_MARKER)]
    return [json.loads(line[len(TRIAL_MARKER) :])["number"] for line in lines]


def kill_task(engine: Engine, client: Any, run_id: str) -> None:
    """``docker kill`` the AutoML job's container, as the OOM killer or a node would."""
    tasks = automl_job(client, run_id).tasks()
    container = tasks[0]["Status"]["ContainerStatus"]["ContainerID"]
    assert engine.cli("kill", container).returncode == 0


def stop_each_after_few_trials(
    platform: Platform, engine: Engine, client: Any, records: dict[str, RunRecord]
) -> dict[str, list[int]]:
    """Once a run's AutoML job has printed ``FEW`` finished trials, stop it its way (the
    timeout's run is left to its step timeout); the trials each had printed by then."""
    seen: dict[str, list[int]] = {}
    deadline = time.monotonic() + 420
    while len(seen) < len(records) and time.monotonic() < deadline:
        for how, record in records.items():
            numbers = [] if how in seen else printed_trials(client, record.run_id)
            if len(numbers) >= FEW:
                seen[how] = numbers
                if how == "cancel":
                    platform.runs.cancel(record.run_id)
                elif how == "kill":
                    kill_task(engine, client, record.run_id)
        time.sleep(0.5)
    missing = sorted(set(records) - set(seen))
    assert not missing, f"the AutoML jobs of {missing} finished no {FEW} trials in 420 s"
    return seen


@dataclass
class Stopped:
    record: RunRecord
    seen: list[int]  # the trials its job had printed when it was stopped
    trials: list[dict[str, Any]]  # GET /api/runs/ID/trials once the run ended


@pytest.fixture(scope="module")
def stopped(
    engine: Engine, swarm: None, docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Stopped]:
    """One run per way of stopping (cancel, docker kill, ol:timeoutSeconds), all three at once
    on one swarm platform: the others are stopped while the timeout's run waits for its 90 s."""
    port = free_port()
    data = tmp_path_factory.mktemp("automl-swarm") / "data"
    with opened(docker_settings(data, engine, "swarm", port)) as platform:
        with served(platform, port) as url:
            records = {}
            for how in HOW:
                text = generous(timeout=90 if how == "timeout" else None)
                version = definitions.submit(platform.store, definitions.parse(text)).version
                records[how] = platform.runs.start(version, use_cache=False)
            seen = stop_each_after_few_trials(platform, engine, docker_client, records)
            found = {}
            for how, record in records.items():
                assert platform.runs.wait(record.run_id, timeout=300)
                answer = f"{url}/api/runs/{record.run_id}/trials"
                with urllib.request.urlopen(answer, timeout=60) as r:
                    found[how] = Stopped(record, seen[how], json.loads(r.read())["trials"])
    return found


@pytest.mark.parametrize("how", HOW)
def test_a_swarm_automl_step_stopped_mid_search_keeps_its_finished_trials(
    stopped: dict[str, Stopped], docker_client: Any, how: str
) -> None:
    record, seen, trials = stopped[how].record, stopped[how].seen, stopped[how].trials
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
