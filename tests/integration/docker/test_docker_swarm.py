"""breast_cancer on local, docker and swarm gives the same metrics; the Compose file reproduces
a run by hand; a killed container fails its step and leaves a consistent run behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from executor.contract import StepSpec
from server import definitions
from server.platform import Platform
from server.provision.docker import DockerProvisioner
from server.settings import Settings
from server.tracking import catalog
from server.tracking.records import RunRecord
from tests.integration.docker.conftest import (
    RUNNER_IMAGE,
    Image,
    docker_settings,
    local_metrics_of,
    metrics,
    on_swarm,
    opened,
    run_text,
)
from tests.integration.docker.engine import Engine
from tests.integration.http.test_estimators_api import IMPLEMENTATIONS
from tests.integration.http.test_estimators_api import iris as iris_with_lightgbm

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "breast_cancer.ttl"
RUN_LABEL = "org.ontolab.run"


def run_example(platform: Platform) -> RunRecord:
    record = run_text(platform, EXAMPLE.read_text())
    assert record.status == "succeeded", record.error
    return record


@pytest.fixture(scope="module")
def local_metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], float]:
    return local_metrics_of(tmp_path_factory, run_example)


@pytest.fixture(scope="module")
def docker_run(
    tmp_path_factory: pytest.TempPathFactory, engine: Engine, runner_image: Image
) -> tuple[Settings, RunRecord, dict[tuple[str, str], float], dict[str, Any]]:
    settings = docker_settings(tmp_path_factory.mktemp("docker"), engine, "docker")
    with opened(settings) as platform:
        record = run_example(platform)
        details = catalog.run_details(platform.store, record.run_id)
        return settings, record, metrics(platform, record), details


def test_docker_gives_the_local_metrics(
    local_metrics: dict[tuple[str, str], float],
    docker_run: tuple[Settings, RunRecord, dict[tuple[str, str], float], dict[str, Any]],
    docker_client: Any,
) -> None:
    settings, record, found, details = docker_run
    assert found == local_metrics and ("validate", "accuracy") in found
    assert record.provisioner == "docker"
    assert {s["status"] for s in details["steps"]} == {"succeeded"}
    workers = [step.worker or "" for step in record.steps.values()]
    assert all(w.startswith("container ") for w in workers), workers
    leftovers = docker_client.containers.list(all=True, filters={"label": RUN_LABEL})
    assert leftovers == [], "containers are removed once their step ended"
    assert record.compose_file is not None
    compose = settings.runs_dir / record.run_id / "compose.yaml"
    assert compose.is_file()
    assert (settings.artifacts_dir / record.compose_file.sha256[:2]).is_dir()


def test_compose_file_reproduces_the_run_by_hand(
    docker_run: tuple[Settings, RunRecord, dict[tuple[str, str], float], dict[str, Any]],
    engine: Engine,
    tmp_path: Path,
) -> None:
    settings, record, found, _ = docker_run
    text = (settings.runs_dir / record.run_id / "compose.yaml").read_text()
    assert "service_completed_successfully" in text and '"network_mode": "host"' in text
    assert '"cpus": 1.0' in text and '"mem_limit": "1g"' in text  # the build step's limits
    shutil.copy(settings.runs_dir / record.run_id / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / "steps").mkdir()
    env = {**engine.env(), "COMPOSE_PROJECT_NAME": "ontolabbyhand"}
    up = subprocess.run(
        ["docker-compose", "up", "--no-color"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    subprocess.run(["docker-compose", "down"], cwd=tmp_path, env=env, capture_output=True)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    result = json.loads((tmp_path / "steps" / "validate" / "result.json").read_text())
    by_hand = {("validate", name): value for name, value in result["metrics"].items()}
    assert by_hand == {k: v for k, v in found.items() if k[0] == "validate"}


def test_swarm_gives_the_local_metrics(
    local_metrics: dict[tuple[str, str], float],
    engine: Engine,
    swarm: None,
    docker_client: Any,
    tmp_path: Path,
) -> None:
    with on_swarm(tmp_path / "data", engine) as platform:
        record = run_example(platform)
        assert metrics(platform, record) == local_metrics
    workers = [step.worker or "" for step in record.steps.values()]
    assert all(w.startswith("swarm node ") for w in workers), workers
    assert docker_client.services.list(filters={"label": RUN_LABEL}) == []
    # nor the steps' exited task containers (the services' names start with the run's id)
    left = docker_client.containers.list(
        all=True, filters={"label": "com.docker.swarm.service.name"}
    )
    services = [c.labels["com.docker.swarm.service.name"] for c in left]
    prefix = f"ontolab-{record.run_id}"[:40].replace("_", "-")
    assert [s for s in services if s.startswith(prefix)] == []


def test_a_lightgbm_model_fits_in_the_runner_image_as_in_a_local_process(
    tmp_path: Path, engine: Engine, runner_image: Image
) -> None:
    """LightGBM (in the default allow-list) needs its wheel and libgomp1 in the image."""
    text = iris_with_lightgbm()
    found = {}
    for provisioner in ("local", "docker"):
        if provisioner == "local":
            settings = Settings.load({"data": tmp_path / provisioner}, environ={})
        else:
            settings = docker_settings(tmp_path / provisioner, engine, "docker")
        with opened(settings) as platform:
            record = run_text(platform, text)
            assert record.status == "succeeded", record.error
            found[provisioner] = metrics(platform, record)
            implementations = platform.store.select(IMPLEMENTATIONS)
    assert ("validate", "accuracy") in found["docker"] and found["docker"] == found["local"]
    labels = {str(row["label"]) for row in implementations}
    assert "lightgbm.sklearn.LGBMClassifier" in labels, labels


def fifo_definition(fifo: Path) -> str:
    """breast_cancer on docker (whatever the platform's default) reading a pipe that blocks."""
    text = EXAMPLE.read_text()
    text = text.replace('"sklearn:breast_cancer"', json.dumps(str(fifo)))
    text = text.replace(
        'ol:targetColumn "target" ;',
        'ol:targetColumn "target" ; ol:requires [ ol:cpus 0.5 ; ol:memory "256m" ] ;',
    )
    return text.replace("ol:task ", 'ol:provisioner "docker" ;\n    ol:task ', 1)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "never.csv"  # in the data dir: a data root
    path.parent.mkdir(exist_ok=True)
    os.mkfifo(path)
    return path


def wait_for_container(client: Any, run_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.containers.list(filters={"label": f"{RUN_LABEL}={run_id}"})
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no container of run {run_id} started within {timeout} s")


def test_killed_container_fails_its_step_and_the_run_stays_consistent(
    engine: Engine, runner_image: Image, docker_client: Any, tmp_path: Path, fifo: Path
) -> None:
    settings = docker_settings(tmp_path / "data", engine, "local")  # the experiment asks docker
    with opened(settings) as platform:
        graph = definitions.parse(fifo_definition(fifo))
        version = definitions.submit(platform.store, graph, settings.source_roots).version
        record = platform.runs.start(version, use_cache=False)
        container = wait_for_container(docker_client, record.run_id)
        host = container.attrs["HostConfig"]
        assert (host["NanoCpus"], host["Memory"], host["NetworkMode"]) == (
            500_000_000,
            256 * 1024 * 1024,
            "host",
        )
        assert engine.cli("kill", container.id).returncode == 0
        assert platform.runs.wait(record.run_id, timeout=120)
        details = catalog.run_details(platform.store, record.run_id)
    assert record.provisioner == "docker"
    assert record.status == "failed" and details["status"] == "failed"
    extract = record.steps["extract"]
    assert extract.status == "failed" and extract.result and extract.result.error
    assert "container was killed (exit 137" in extract.result.error.message
    statuses = {s["step_id"]: s["status"] for s in details["steps"]}
    assert statuses == {s.id: s.status for s in record.steps.values()}
    assert set(statuses.values()) == {"failed", "skipped"}
    assert "container was killed" in (details.get("error") or record.error or "")
    assert docker_client.containers.list(all=True, filters={"label": RUN_LABEL}) == []


def fifo_spec(tmp_path: Path, fifo: Path, run_id: str) -> StepSpec:
    return StepSpec(
        run_id=run_id,
        step_id="extract",
        phase="extract",
        parameters={"task": "classification", "source": str(fifo), "target_column": "t"},
        inputs={},
        artifact_root=str(tmp_path / "artifacts"),
    )


def test_timeout_and_cancel_stop_the_container(
    engine: Engine, runner_image: Image, docker_client: Any, tmp_path: Path, fifo: Path
) -> None:
    provisioner = DockerProvisioner(docker_client, RUNNER_IMAGE)
    timed_out = provisioner.run_step(fifo_spec(tmp_path, fifo, "slow"), tmp_path / "w1", 3)
    assert timed_out.result.error is not None
    assert "longer than its timeout of 3 s" in timed_out.result.error.message
    outcomes = []
    spec = fifo_spec(tmp_path, fifo, "to-cancel")
    worker = threading.Thread(
        target=lambda: outcomes.append(provisioner.run_step(spec, tmp_path / "w2", 120))
    )
    worker.start()
    wait_for_container(docker_client, "to-cancel")
    provisioner.cancel("to-cancel")
    worker.join(60)
    assert outcomes and outcomes[0].result.error is not None
    assert "cancelled" in outcomes[0].result.error.message
    assert docker_client.containers.list(all=True, filters={"label": RUN_LABEL}) == []
