"""A container step under swarm: the author's image (no executor in it, another user) runs its
command between a stage-in and a stage-out job on one node, its zip feeds the next step and
has its checksum in the graph, and no service or volume is left; a failing command fails the
step with the end of its log and stores nothing."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from server import definitions
from server.definitions.code_bundles import bundle_beside
from server.definitions.versioning import ExperimentVersion
from server.interop.run_facts import read_run
from server.platform import Platform
from server.provision.swarm_container import VOLUME_LABEL
from server.tracking import catalog
from server.tracking.records import RunRecord
from tests.integration.docker.conftest import (
    Image,
    author_image_from,
    on_swarm,
)
from tests.integration.docker.engine import Engine

pytestmark = pytest.mark.docker
AUTHOR_IMAGE = "ontolab-author:test"
RUN_LABEL = "org.ontolab.run"

DEFINITION = '''
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://w3id.org/ontolab/examples/contained_swarm#> .
:experiment a ol:Experiment ; dcterms:identifier "contained_swarm" ;
    ol:task "classification" ; ol:codeFolder "code" ;
    ol:hasStep :extract, :tool, :features, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:tool a ol:ContainerStep ; ol:consumes :raw ; ol:containerImage "AUTHOR_IMAGE" ;
    ol:command """COMMAND""" ; ol:produces :table .
:features a ol:CodeStep ; ol:consumes :table ; ol:function "features:load" ;
    ol:outputKind "dataset" ; ol:targetColumn "target" ; ol:produces :engineered .
:process a ol:DataProcessing ; ol:consumes :engineered ; ol:testSize 0.3 ; ol:randomSeed 7 ;
    ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "RandomForestClassifier" ;
    ol:randomSeed 7 ; ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ; ol:produces :report .
'''
# The CSV the container writes, read back by the author's function of the next step.
FEATURES = """import pandas as pd


def load(files):
    return pd.read_csv(files / "table.csv")
"""
TO_CSV = (
    'python -c \'import pandas as p; d = p.read_parquet("inputs/dataset.parquet"); '
    'd["area"] = d.iloc[:, 2] * d.iloc[:, 3]; d.to_csv("outputs/table.csv", index=False)\''
)
FAILS = "python -c 'import sys; print(\"bad row 7 in inputs/dataset.parquet\"); sys.exit(3)'"


@pytest.fixture(scope="module")
def author_image(docker_client: Any, runner_image: Image) -> str:
    """An image of the author's, made FROM the runner (nothing can be pulled), as another user."""
    return author_image_from(docker_client, runner_image, AUTHOR_IMAGE)


def submit(
    platform: Platform, folder: Path, command: str, image: str = AUTHOR_IMAGE
) -> ExperimentVersion:
    """The definition running ``command`` in the author's image, written to ``folder`` with its
    code folder, bundled and stored."""
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "features.py").write_text(FEATURES)
    text = DEFINITION.replace("AUTHOR_IMAGE", image).replace("COMMAND", command)
    (folder / "experiment.ttl").write_text(text)
    graph = definitions.parse(text, "turtle")
    bundle_beside(folder / "experiment.ttl", graph, platform.artifacts.put)
    return definitions.submit(platform.store, graph).version


def run(platform: Platform, folder: Path, command: str, image: str = AUTHOR_IMAGE) -> RunRecord:
    return platform.runs.run(submit(platform, folder, command, image), use_cache=False)


def leftovers(docker_client: Any, run_id: str) -> tuple[list[Any], list[Any]]:
    """The run's services, and its steps' volumes, still on the engine."""
    services = docker_client.services.list(filters={"label": f"{RUN_LABEL}={run_id}"})
    volumes = docker_client.volumes.list(filters={"label": [VOLUME_LABEL, f"{RUN_LABEL}={run_id}"]})
    return services, volumes


def test_a_container_step_runs_under_swarm_and_feeds_the_next_step(
    engine: Engine, swarm: None, docker_client: Any, author_image: str, tmp_path: Path
) -> None:
    with on_swarm(tmp_path / "data", engine) as platform:
        record = run(platform, tmp_path / "definition", TO_CSV)
        assert record.status == "succeeded", record.error
        details = catalog.run_details(platform.store, record.run_id)
        result = record.steps["tool"].result
        assert result is not None
        files = result.outputs["files"]
        with zipfile.ZipFile(platform.artifacts.path(files.sha256)) as z:
            table = z.read("table.csv").decode().splitlines()
        log = (platform.settings.runs_dir / record.run_id / "tool" / "step.log").read_text()
        image_digests = {
            (s.id, s.image_digest) for s in read_run(platform.store, record.run_id).steps
        }
    assert len(table) == 151 and table[0].endswith(",area")
    assert result.summary["files"] == ["table.csv"]
    stored = [a for a in details["artifacts"] if a["step_id"] == "tool"]
    assert [(a["kind"], a["sha256"], a["size"]) for a in stored] == [
        ("files", files.sha256, files.size)
    ]
    assert {s["step_id"]: s["status"] for s in details["steps"]}["features"] == "succeeded"
    assert any(m["step_id"] == "validate" for m in details["metrics"])
    assert (record.steps["tool"].worker or "").startswith("swarm node ")
    # The image the command ran, by its ID on the engine: what an export runs again.
    assert result.summary["image"]["id"] == docker_client.images.get(AUTHOR_IMAGE).id
    assert ("tool", docker_client.images.get(AUTHOR_IMAGE).id) in image_digests
    for job in ("stage-in", "command", "stage-out"):
        assert f"---- {job} ----" in log
    assert leftovers(docker_client, record.run_id) == ([], []), (
        "every job's service and the volume are removed"
    )


def test_a_failing_command_fails_the_step_with_its_log_tail_under_swarm(
    engine: Engine, swarm: None, docker_client: Any, author_image: str, tmp_path: Path
) -> None:
    with on_swarm(tmp_path / "data", engine) as platform:
        record = run(platform, tmp_path / "definition", FAILS)
    assert record.status == "failed"
    assert "ContainerExit: the command exited with status 3; its log ends: bad row 7" in (
        record.error or ""
    )
    result = record.steps["tool"].result
    assert result is not None and not result.outputs
    assert record.steps["features"].status != "succeeded"
    assert leftovers(docker_client, record.run_id) == ([], [])


def test_cancel_stops_the_running_command_and_removes_the_volume(
    engine: Engine, swarm: None, docker_client: Any, author_image: str, tmp_path: Path
) -> None:
    with on_swarm(tmp_path / "data", engine) as platform:
        version = submit(platform, tmp_path / "definition", "sleep 600")
        record = platform.runs.start(version, use_cache=False)
        run_id = record.run_id
        deadline = time.monotonic() + 300
        label = {"label": f"{RUN_LABEL}={run_id}"}
        while time.monotonic() < deadline and not any(
            s.name.endswith("-command") for s in docker_client.services.list(filters=label)
        ):
            time.sleep(0.5)
        platform.runs.cancel(run_id)
        assert platform.runs.wait(run_id, timeout=120)
    assert record.status == "cancelled", record.error
    assert record.steps["tool"].status == "cancelled"
    assert leftovers(docker_client, run_id) == ([], [])
