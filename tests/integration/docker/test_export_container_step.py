"""Export of a run with a container step, on the real engine: the step run records the ID of
the image its command ran, the export runs that image again by it (inputs staged as the
provisioner staged them, the files it writes feeding the next step), and verify.py, in a
fresh venv made from the export's requirements.txt, reproduces every metric exactly; without
docker or without the image it says so, with the fix, and runs nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.interop.export import export_run
from server.interop.run_facts import read_run
from tests.integration.conftest import PythonFor, assert_reproduced, verify
from tests.integration.docker.conftest import (
    Image,
    author_image_from,
    docker_settings,
    metrics,
    opened,
)
from tests.integration.docker.engine import Engine
from tests.integration.docker.test_container_steps_swarm import TO_CSV, run

pytestmark = pytest.mark.docker
# An image of this module's own: the test that removes it (and loads it back) harms no other.
EXPORT_IMAGE = "ontolab-export-author:test"
DOCKER = "/usr/bin/docker"  # Debian's client, matching the engine


@dataclass
class Exported:
    folder: Path
    image_id: str
    metrics: dict[tuple[str, str], float]


@pytest.fixture(scope="module")
def exported(
    engine: Engine,
    docker_client: Any,
    runner_image: Image,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Exported]:
    """A run (docker provisioner) whose container step writes a CSV the next code step reads,
    exported into a folder."""
    author_image_from(docker_client, runner_image, EXPORT_IMAGE, label="export")
    image_id = str(docker_client.images.get(EXPORT_IMAGE).id)
    tmp = tmp_path_factory.mktemp("export-container")
    with opened(docker_settings(tmp / "data", engine, "docker")) as platform:
        record = run(platform, tmp / "definition", TO_CSV, image=EXPORT_IMAGE)
        assert record.status == "succeeded", record.error
        (tool,) = [s for s in read_run(platform.store, record.run_id).steps if s.id == "tool"]
        assert tool.image_digest == image_id  # recorded from the engine when it ran
        export_run(platform.store, platform.artifacts, record.run_id, tmp / "export")
        yield Exported(tmp / "export", image_id, metrics(platform, record))
    docker_client.images.remove(EXPORT_IMAGE, force=True)


def docker_env(engine: Engine) -> dict[str, str]:
    return {"DOCKER_HOST": engine.host}


def test_a_container_step_export_reproduces_the_metrics_in_a_fresh_venv(
    exported: Exported, engine: Engine, python_for: PythonFor
) -> None:
    folder = exported.folder
    params = json.loads((folder / "params.json").read_text())
    assert params["tool"]["image_id"] == exported.image_id
    assert params["tool"]["command"][:2] == ["python", "-c"]
    assert f"`docker save -o image.tar {EXPORT_IMAGE}`" in (folder / "README.md").read_text()
    assert "# - Docker: the `docker` CLI" in (folder / "requirements.txt").read_text()
    expected = json.loads((folder / "expected_metrics.json").read_text())
    assert list(expected["steps"]["tool"]["files"]) == ["table.csv"]
    done = verify(python_for(folder), folder, docker_env(engine))
    assert_reproduced(done, folder)
    assert "ok    tool.files = 1 file(s) as the run stored them (exact)" in done.stdout
    for (step, metric), value in exported.metrics.items():
        if step == "validate":
            assert f"ok    validate.{metric} = {value!r} (exact)" in done.stdout
    table = (folder / "outputs" / "tool.files" / "table.csv").read_text().splitlines()
    assert len(table) == 151 and table[0].endswith(",area")  # what the image wrote


def test_verify_says_clearly_when_docker_or_the_image_is_missing(
    exported: Exported, engine: Engine, docker_client: Any, python_for: PythonFor, tmp_path: Path
) -> None:
    folder, python = exported.folder, python_for(exported.folder)
    no_docker = {"PATH": str(python.parent)}  # the venv's Python, and no docker CLI
    done = verify(python, folder, {**docker_env(engine), **no_docker})
    assert done.returncode == 1, done.stdout
    assert "FAIL  step tool: docker is not installed: this step runs the image " in done.stderr
    assert "verify: pipeline.py cannot run here; nothing was run" in done.stderr
    assert "Traceback" not in done.stderr and "ok    " not in done.stdout
    saved = tmp_path / "image.tar"
    assert engine.cli("save", "-o", str(saved), EXPORT_IMAGE, timeout=600).returncode == 0
    docker_client.images.remove(EXPORT_IMAGE, force=True)
    try:
        path = {"PATH": f"{python.parent}:{Path(DOCKER).parent}:{os.environ.get('PATH', '')}"}
        done = verify(python, folder, {**docker_env(engine), **path})
        assert done.returncode == 1, done.stdout
        assert (
            f"FAIL  step tool: image {EXPORT_IMAGE}@{exported.image_id} is not present: load it "
            "with `docker load -i image.tar`"
        ) in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        loaded = engine.cli("load", "-i", str(saved), timeout=600)
        assert loaded.returncode == 0, loaded.stderr
    assert docker_client.images.get(exported.image_id).id == exported.image_id  # as the hint says
    assert_reproduced(verify(python, folder, docker_env(engine)), folder)
