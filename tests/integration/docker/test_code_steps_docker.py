"""Code steps under docker and swarm: the code bundle is an artifact the container reads (a
mounted store under docker, the artifact API under swarm), and the run gives the metrics the
local provisioner gives."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from server import definitions
from server.definitions.code_bundles import bundle_beside
from server.platform import Platform
from server.tracking.records import RunRecord
from tests.integration.docker.conftest import (
    RUNNER_IMAGE,
    Image,
    docker_settings,
    local_metrics_of,
    metrics,
    on_swarm,
    opened,
)
from tests.integration.docker.engine import Engine

pytestmark = pytest.mark.docker
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "wine_custom_code.ttl"


def run_example(platform: Platform) -> RunRecord:
    graph = definitions.parse(EXAMPLE.read_text(), "turtle")
    bundle_beside(EXAMPLE, graph, platform.artifacts.put)
    version = definitions.submit(platform.store, graph).version
    record = platform.runs.run(version, use_cache=False)
    assert record.status == "succeeded", record.error
    return record


@pytest.fixture(scope="module")
def local_metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], float]:
    return local_metrics_of(tmp_path_factory, run_example)


def test_docker_runs_code_steps(
    local_metrics: dict[tuple[str, str], float],
    engine: Engine,
    runner_image: Image,
    tmp_path: Path,
) -> None:
    with opened(docker_settings(tmp_path / "data", engine, "docker")) as platform:
        record = run_example(platform)
        assert metrics(platform, record) == local_metrics
    for step in ("features", "ensemble"):
        assert (record.steps[step].worker or "").startswith("container "), record.steps[step]


def test_swarm_runs_code_steps(
    local_metrics: dict[tuple[str, str], float],
    engine: Engine,
    swarm: None,
    docker_client: Any,
    tmp_path: Path,
) -> None:
    with on_swarm(tmp_path / "data", engine) as platform:
        record = run_example(platform)
        assert metrics(platform, record) == local_metrics
    for step in ("features", "ensemble"):
        assert (record.steps[step].worker or "").startswith("swarm node "), record.steps[step]


CONTAINED = '''
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://w3id.org/ontolab/examples/contained#> .
:experiment a ol:Experiment ; dcterms:identifier "contained" ; ol:task "classification" ;
    ol:provisioner "docker" ; ol:hasStep :extract, :tool .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:tool a ol:ContainerStep ; ol:consumes :raw ; ol:containerImage "IMAGE" ;
    ol:command """COMMAND""" ; ol:produces :files .
'''
COUNT_ROWS = (
    'python -c \'import pandas as p; rows = len(p.read_parquet("inputs/dataset.parquet")); '
    'open("outputs/rows.txt", "w").write(str(rows))\''
)


FAILS = "python -c 'import sys; print(\"no rows here\"); sys.exit(1)'"


@pytest.mark.parametrize(("command", "succeeds"), [(COUNT_ROWS, True), (FAILS, False)])
def test_docker_runs_a_container_step_with_files_in_its_workdir(
    engine: Engine, runner_image: Image, tmp_path: Path, command: str, succeeds: bool
) -> None:
    text = CONTAINED.replace("IMAGE", RUNNER_IMAGE).replace("COMMAND", command)
    with opened(docker_settings(tmp_path / "data", engine, "docker")) as platform:
        version = definitions.submit(platform.store, definitions.parse(text)).version
        record = platform.runs.run(version, use_cache=False)
        result = record.steps["tool"].result
        assert result is not None
        if not succeeds:
            assert record.status == "failed" and not result.outputs
            assert "ContainerExit: the command exited with status 1" in (record.error or "")
            assert "its log ends: no rows here" in (record.error or "")  # its reason
            return
        assert record.status == "succeeded", record.error
        with zipfile.ZipFile(platform.artifacts.path(result.outputs["files"].sha256)) as z:
            assert z.read("rows.txt") == b"150"
