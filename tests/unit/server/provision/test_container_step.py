"""Container steps around the author's image: inputs staged as files, outputs stored as one zip
only when the command succeeded; the local provisioner refuses them before a run exists."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from executor.contract import StepResult, StepSpec, artifact_path, store_artifact
from server import definitions
from server.errors import PlanError, StepError
from server.platform import Platform
from server.provision.container_step import command_of, image_facts, stage_inputs, write_result


def spec_with_dataset(tmp_path: Path, **parameters: str) -> StepSpec:
    root = tmp_path / "store"
    source = tmp_path / "data.parquet"
    source.write_bytes(b"PAR1 not really")
    ref = store_artifact(root, source, "application/vnd.apache.parquet")
    return StepSpec("run", "tool", "container", parameters, {"dataset": ref}, str(root))


def test_inputs_are_staged_and_outputs_stored_as_one_zip(tmp_path: Path) -> None:
    spec = spec_with_dataset(tmp_path, container_image="tool:1", command="tool --rows 'a b'")
    assert command_of(spec) == ("tool:1", ["tool", "--rows", "a b"])  # split, no shell
    workdir = tmp_path / "work"
    stage_inputs(spec, workdir)
    assert (workdir / "inputs" / "dataset.parquet").read_bytes() == b"PAR1 not really"
    (workdir / "outputs" / "deep").mkdir()
    (workdir / "outputs" / "deep" / "rows.txt").write_text("150\n")
    write_result(spec, workdir, 0, "2026-01-01T00:00:00+00:00")
    result = StepResult.from_json((workdir / "result.json").read_text())
    assert result.status == "succeeded" and result.summary["files"] == ["deep/rows.txt"]
    with zipfile.ZipFile(artifact_path(spec.artifact_root, result.outputs["files"].sha256)) as z:
        assert z.read("deep/rows.txt") == b"150\n"


def test_a_failed_command_stores_nothing(tmp_path: Path) -> None:
    spec = spec_with_dataset(tmp_path, container_image="tool:1", command="tool")
    workdir = tmp_path / "work"
    stage_inputs(spec, workdir)
    (workdir / "outputs" / "half.txt").write_text("half")
    before = sorted(Path(spec.artifact_root).rglob("*"))
    write_result(spec, workdir, 3, "2026-01-01T00:00:00+00:00")
    result = StepResult.from_json((workdir / "result.json").read_text())
    assert result.status == "failed" and not result.outputs
    assert result.error is not None and "exited with status 3" in result.error.message
    assert sorted(Path(spec.artifact_root).rglob("*")) == before


def test_a_container_step_without_a_command_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StepError, match="needs ol:containerImage and ol:command; add both"):
        command_of(spec_with_dataset(tmp_path, container_image="tool:1"))


CONTAINED = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://w3id.org/ontolab/examples/contained#> .
:experiment a ol:Experiment ; dcterms:identifier "contained" ; ol:task "classification" ;
    ol:hasStep :extract, :tool .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; ol:targetColumn "target" ;
    ol:produces :raw .
:tool a ol:ContainerStep ; ol:consumes :raw ; ol:containerImage "tool:1" ;
    ol:command "tool --all" ; ol:produces :files .
"""


def test_the_local_provisioner_refuses_container_steps_before_the_run(platform: Platform) -> None:
    version = definitions.submit(platform.store, definitions.parse(CONTAINED)).version
    with pytest.raises(
        PlanError, match=r"container steps \(tool\) run under the docker and swarm provisioners"
    ):
        platform.runs.start(version)
    assert (
        platform.store.select(
            "SELECT ?r WHERE { GRAPH ?g { ?r a <https://w3id.org/ontolab/ns#Run> } }"
        )
        == []
    )


class Images:
    """The ``images`` part of a docker SDK client: the engine's images by ID."""

    def __init__(self, known: dict[str, list[str]]) -> None:
        self.images, self.known = self, known

    def get(self, image_id: str) -> Any:
        if image_id not in self.known:
            raise LookupError(f"no such image {image_id}")  # the SDK's ImageNotFound, say
        return SimpleNamespace(attrs={"RepoDigests": self.known[image_id]})


def test_the_image_a_command_ran_is_recorded_by_id_with_its_registry_digests() -> None:
    image_id = "sha256:" + "c" * 64
    pulled = ["team/tool@sha256:" + "d" * 64]
    assert image_facts(Images({image_id: pulled}), "team/tool:1", image_id) == {
        "image": {"reference": "team/tool:1", "id": image_id, "repo_digests": pulled}
    }
    # Built or loaded here: no registry digest; removed since: the ID is still what it ran.
    assert image_facts(Images({image_id: []}), "t", image_id)["image"]["repo_digests"] == []
    assert image_facts(Images({}), "t", image_id)["image"]["id"] == image_id
    assert image_facts(Images({}), "t", "") == {}  # the engine did not say: nothing recorded
