"""Export of a container step: its image run again by the ID the run recorded, its inputs
staged as the provisioners stage them, and what it needs besides Python said in the README,
requirements.txt and by verify.py (the real engine: tests/integration/docker)."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from executor.artifacts import Dataset, write_dataset
from server.definitions.code_bundles import zip_folder
from server.errors import ExportError
from server.interop import assemble
from server.interop.generators import ExportContext, generate
from server.interop.run_facts import RunFacts, StepFacts
from server.interop.templates import container as template
from server.tracking.artifacts import ArtifactStore

IMAGE_ID = "sha256:" + "a" * 64
REPO_DIGEST = "team/tool@sha256:" + "b" * 64
COMMAND = "python /app/run.py --rows 'all of them'"


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


def stored(store: ArtifactStore, tmp_path: Path, name: str, data: bytes) -> dict[str, Any]:
    (tmp_path / name).write_bytes(data)
    ref = store.put(tmp_path / name, "application/octet-stream")
    return {"sha256": ref.sha256, "size": ref.size, "media_type": ref.media_type}


def parquet(tmp_path: Path, frame: pd.DataFrame, target: str, source: str) -> bytes:
    """A table as the executor stores it (with its ``ontolab`` schema metadata)."""
    write_dataset(tmp_path / "table.parquet", Dataset(frame, target, source))
    return (tmp_path / "table.parquet").read_bytes()


def files_zip(tmp_path: Path, files: dict[str, bytes]) -> bytes:
    """The zip a container step's outputs/ was stored as."""
    for name, data in files.items():
        (tmp_path / "outputs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "outputs" / name).write_bytes(data)
    return zip_folder(tmp_path / "outputs", tmp_path / "outputs.zip").read_bytes()


def run_facts(store: ArtifactStore, tmp_path: Path, **tool: Any) -> tuple[StepFacts, ...]:
    frame = pd.DataFrame({"x": [1.0, 2.0], "target": [0, 1]})
    table = stored(store, tmp_path, "d", parquet(tmp_path, frame, "target", "sk"))
    extract = StepFacts("extract", "extract", {}, {}, artifacts={"dataset": table})
    build = StepFacts(
        "build", "build", {}, {}, artifacts={"model": stored(store, tmp_path, "m", b"model")}
    )
    outputs = files_zip(tmp_path, {"out/table.csv": b"x\n1\n", "rows.txt": b"2"})
    facts = {
        "artifacts": {"files": stored(store, tmp_path, "f", outputs)},
        "image_digest": IMAGE_ID,
        "repo_digests": (REPO_DIGEST,),
        **tool,
    }
    parameters = {"container_image": "team/tool:1", "command": COMMAND}
    inputs = {"dataset": "extract", "model": "build"}
    return extract, build, StepFacts("tool", "container", parameters, inputs, **facts)


def context(store: ArtifactStore, steps: tuple[StepFacts, ...]) -> ExportContext:
    run = RunFacts("0123456789abcdef", "succeeded", "demo", 1, "classification", steps)
    return ExportContext(run, store, {s.id: f"step_{s.id}" for s in steps})


def test_a_container_step_runs_its_image_by_the_recorded_id(
    store: ArtifactStore, tmp_path: Path
) -> None:
    steps = run_facts(store, tmp_path)
    code = generate(context(store, steps), steps[-1])
    params = code.parameters
    assert (params["image_id"], params["image"]) == (IMAGE_ID, f"team/tool:1@{IMAGE_ID}")
    assert params["command"] == ["python", "/app/run.py", "--rows", "all of them"]  # as shlex
    assert params["repo_digests"] == [REPO_DIGEST]
    # The model is staged from the run's own file; the dataset from the pipeline's table,
    # with the schema metadata the run's file carried.
    assert params["stored_inputs"] == {"model": "data/build-model.joblib"}
    assert code.files["data/build-model.joblib"].read_bytes() == b"model"  # type: ignore[union-attr]
    assert json.loads(params["dataset_metadata"]) == {"target_column": "target", "source": "sk"}
    (entry,) = code.manifest
    assert (entry["kind"], entry["path"], entry["sha256"]) == (
        "model",
        "data/build-model.joblib",
        hashlib.sha256(b"model").hexdigest(),
    )
    assert code.expected == {
        "files": {
            "out/table.csv": hashlib.sha256(b"x\n1\n").hexdigest(),
            "rows.txt": hashlib.sha256(b"2").hexdigest(),
        }
    }
    assert "return run_container('tool', params, {'dataset': dataset, 'model': model})" in (
        code.function
    )
    ast.parse(code.function)
    assert any(f"docker pull {REPO_DIGEST}" in need for need in code.needs)
    assert code.needs[0].startswith("Docker: the `docker` CLI and a running Docker Engine")


def test_a_run_without_a_recorded_digest_is_refused_with_the_fix(
    store: ArtifactStore, tmp_path: Path
) -> None:
    steps = run_facts(store, tmp_path, image_digest=None)
    with pytest.raises(ExportError, match="recorded no image digest for container step 'tool'"):
        generate(context(store, steps), steps[-1])


def test_readme_and_requirements_say_docker_and_the_image_are_needed(
    store: ArtifactStore, tmp_path: Path
) -> None:
    steps = run_facts(store, tmp_path)
    code = generate(context(store, steps), steps[-1])
    run = context(store, steps).run
    requirements = assemble.requirements(run, (), code.needs)
    assert "# Needed besides, which pip cannot install (see README.md):\n# - Docker: " in (
        requirements
    )
    readme = assemble.readme(run, code.needs)
    assert "## Needed besides Python" in readme
    assert "`docker save -o image.tar team/tool:1` where the run ran" in readme
    assert "## Needed besides" not in assemble.readme(run)  # a run without container steps


@pytest.fixture
def params() -> dict[str, Any]:
    given = {
        "kind": "container",
        "image": f"team/tool:1@{IMAGE_ID}",
        "image_reference": "team/tool:1",
        "image_id": IMAGE_ID,
        "repo_digests": [REPO_DIGEST],
        "stored_inputs": {},
    }
    return given


def docker_saying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, said: str) -> None:
    """A ``docker`` on PATH that fails saying ``said`` (as the CLI does without the image or
    without an engine)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "docker").write_text(f"#!/bin/sh\necho {json.dumps(said)} >&2\nexit 1\n")
    (folder / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_without_docker_verify_is_told_so(
    params: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    (problem,) = template.container_problems({"extract": {}, "tool": params})
    assert problem.startswith(
        f"step tool: docker is not installed: this step runs the image team/tool:1@{IMAGE_ID}; "
        "install Docker"
    )
    with pytest.raises(template.ContainerError, match="docker is not installed"):
        template.run_container("tool", params, {})


def test_without_the_image_verify_says_how_to_get_it(
    params: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker_saying(tmp_path, monkeypatch, f"Error: No such image: {IMAGE_ID}")
    assert template.image_problem(params) == (
        f"image team/tool:1@{IMAGE_ID} is not present: load it with `docker load -i "
        "image.tar`, image.tar made on the machine the run ran on with `docker save -o "
        f"image.tar team/tool:1` (while that name still points at {IMAGE_ID}); or pull it "
        f"with `docker pull {REPO_DIGEST}`"
    )


def test_without_an_engine_verify_names_where_it_looked(
    params: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is it running?"
    docker_saying(tmp_path, monkeypatch, said)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nowhere.sock")
    assert template.image_problem(params) == (
        f"cannot reach the Docker Engine at unix:///nowhere.sock ({said}); start it, or point "
        "DOCKER_HOST at one"
    )


def test_a_dataset_is_staged_byte_for_byte_as_the_executor_stores_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.5, None], "c": ["a", "b"], "target": [0, 1]})
    write_dataset(tmp_path / "executor.parquet", Dataset(frame, "target", "sklearn:iris"))
    metadata = json.dumps({"target_column": "target", "source": "sklearn:iris"})
    staged = tmp_path / "staged"
    staged.mkdir()
    params = {"stored_inputs": {}, "dataset_metadata": metadata}
    template.stage_input("dataset", frame, staged, params)
    found = (staged / "dataset.parquet").read_bytes()
    assert found == (tmp_path / "executor.parquet").read_bytes()
