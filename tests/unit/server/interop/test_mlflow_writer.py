"""The MLflow import's writer on an embedded platform, fed neutral values (no MLflow): what
lands in the platform, what the report counts, idempotence, and what counts as a loss."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from server.interop.mlflow_import.model import (
    MlflowArtifact,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowPoint,
    MlflowRun,
)
from server.interop.mlflow_import.writer import MlflowImporter, registry_name
from server.platform import Platform

RUN_A = "a" * 32
RUN_B = "b" * 32


@dataclass
class FakeSource:
    """An MLflow store as a reader would hand it over."""

    location: Path
    runs_: list[MlflowRun]
    models_: list[MlflowModel] = field(default_factory=list)
    kind: str = "file store"

    def experiments(self) -> list[MlflowExperiment]:
        return [MlflowExperiment("1", "Iris Trees", tags={"team": "x"})]

    def runs(self) -> Iterator[MlflowRun]:
        yield from self.runs_

    def models(self) -> list[MlflowModel]:
        return self.models_

    def close(self) -> None:
        pass


def a_run(tmp_path: Path, run_id: str, status: str = "FINISHED") -> MlflowRun:
    model = tmp_path / run_id / "model.pkl"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(run_id.encode())
    return MlflowRun(
        run_id,
        "1",
        f"run-{run_id[0]}",
        status,
        1_700_000_000_123,
        1_700_000_005_000,
        params={"max_depth": "3"},
        tags={"mlflow.runName": f"run-{run_id[0]}"},
        metrics={
            "loss": [MlflowPoint(1.0, 1_700_000_000_000, 0), MlflowPoint(0.5, 1_700_000_001_000, 1)]
        },
        artifacts=[MlflowArtifact("model/model.pkl", model)],
    )


def importer(platform: Platform) -> MlflowImporter:
    return MlflowImporter(platform.store, platform.tracked, platform.registry, platform.artifacts)


def iris_model(*versions: tuple[int, str]) -> MlflowModel:
    return MlflowModel(
        "Iris Model",
        versions=[
            MlflowModelVersion("Iris Model", n, rid, f"runs:/{rid}/model") for n, rid in versions
        ],
        aliases={"champion": versions[-1][0]},
    )


def test_runs_models_and_aliases_land_and_a_second_import_adds_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    source = FakeSource(
        tmp_path,
        [a_run(tmp_path, RUN_A), a_run(tmp_path, RUN_B)],
        [iris_model((1, RUN_A), (2, RUN_B))],
    )
    first = importer(platform).run(source)
    assert first.complete, first.lines()
    assert {k: (t.found, t.imported, t.present) for k, t in first.tallies.items()} == {
        "experiments": (1, 1, 0),
        "runs": (2, 2, 0),
        "params": (2, 2, 0),
        "metric_points": (4, 4, 0),
        "tags": (2, 2, 0),
        "artifacts": (2, 2, 0),
        "model_versions": (2, 2, 0),
    }
    run = platform.tracked.get(RUN_A)
    assert (run.source, run.status, run.started_at[:23]) == (
        "import",
        "succeeded",
        "2023-11-14T22:13:20.123",
    )
    assert [(p.value, p.step) for p in run.metrics["loss"]] == [(1.0, 0), (0.5, 1)]
    entry = platform.registry.model("iris-model")
    assert [(v.number, v.run_id) for v in entry.versions] == [(1, RUN_A), (2, RUN_B)]
    assert entry.aliases["champion"].version == 2
    assert "'Iris Model' is 'iris-model'" in "\n".join(first.lines())

    again = importer(platform).run(source)
    assert again.complete
    assert all(t.imported == 0 and t.present == t.found for t in again.tallies.values())


def test_a_run_mlflow_left_running_is_recorded_cancelled_with_a_note(
    platform: Platform, tmp_path: Path
) -> None:
    report = importer(platform).run(FakeSource(tmp_path, [a_run(tmp_path, RUN_A, "RUNNING")]))
    assert report.complete
    assert platform.tracked.get(RUN_A).status == "cancelled"
    assert f"run {RUN_A} was RUNNING in MLflow: cancelled" in report.notes


def test_a_refused_artifact_and_an_unreachable_model_source_are_losses(
    platform: Platform, tmp_path: Path
) -> None:
    run = a_run(tmp_path, RUN_A)
    run.artifacts.append(MlflowArtifact("leak.txt", None, "symbolic link /x leads outside /src"))
    model = MlflowModel(
        "m", versions=[MlflowModelVersion("m", 1, None, "models:/m-0123")], aliases={}
    )
    report = importer(platform).run(FakeSource(tmp_path, [run], [model]))
    assert not report.complete
    assert report["artifacts"].lost == 1
    assert report["model_versions"].lost == 1
    text = "\n".join(report.lines())
    assert f"run {RUN_A} artifact leak.txt: refused, symbolic link /x leads outside /src" in text
    assert "model 'm' version 1: its source 'models:/m-0123' is not a run imported here" in text
    assert "INCOMPLETE" in text


def test_registry_names() -> None:
    assert registry_name("IrisModel") == "irismodel"
    assert registry_name("Churn model/v2") == "churn-model-v2"
    assert registry_name("___") == "model"


def test_a_run_the_platform_refuses_is_a_loss_and_the_others_land(
    platform: Platform, tmp_path: Path
) -> None:
    bad = a_run(tmp_path, RUN_A)
    bad.params["bad\x01key"] = "1"  # a control character: TrackedRuns refuses the whole run
    report = importer(platform).run(FakeSource(tmp_path, [bad, a_run(tmp_path, RUN_B)]))
    assert not report.complete
    assert (report["runs"].found, report["runs"].imported, report["runs"].lost) == (2, 1, 1)
    assert report["params"].lost == 2
    assert any(line.startswith(f"run {RUN_A}: refused by the platform") for line in report.losses)
    assert platform.tracked.get(RUN_B).run_id == RUN_B


def test_a_logged_model_version_becomes_a_version_of_its_source_runs_files(
    platform: Platform, tmp_path: Path
) -> None:
    """MLflow 3: ``models:/m-ID`` resolves to the logged model's files, kept by its source run
    under ``mlflow-logged-models/m-ID/``; a second import adds nothing."""
    run = a_run(tmp_path, RUN_A)
    skops = tmp_path / "m-1" / "model.skops"
    skops.parent.mkdir()
    skops.write_bytes(b"logged model bytes")
    (skops.parent / "MLmodel").write_text("flavors: {}\n")
    run.logged_models = {
        "m-1": [
            MlflowArtifact("MLmodel", skops.parent / "MLmodel"),
            MlflowArtifact("model.skops", skops),
        ]
    }
    version = MlflowModelVersion("LogReg", 1, None, "models:/m-1")  # run id found via m-1
    model = MlflowModel("LogReg", versions=[version], aliases={"prod": 1})
    report = importer(platform).run(FakeSource(tmp_path, [run], [model]))
    assert report.complete, report.losses
    assert report["artifacts"].found == 1  # the run's own files, as MLflow counts them
    assert report["model_versions"].imported == 1
    stored = platform.tracked.get(RUN_A)
    assert set(stored.artifacts) == {
        "model/model.pkl",
        "mlflow-logged-models/m-1/MLmodel",
        "mlflow-logged-models/m-1/model.skops",
    }
    entry = platform.registry.model("logreg")
    assert [(v.number, v.run_id) for v in entry.versions] == [(1, RUN_A)]
    assert (
        entry.versions[0].sha256 == stored.artifacts["mlflow-logged-models/m-1/model.skops"].sha256
    )
    assert {a: x.version for a, x in entry.aliases.items()} == {"prod": 1}
    again = importer(platform).run(FakeSource(tmp_path, [run], [model]))
    assert again.complete and again["model_versions"].imported == 0
    assert again["model_versions"].present == 1


def test_a_refused_logged_model_file_is_a_loss(platform: Platform, tmp_path: Path) -> None:
    run = a_run(tmp_path, RUN_A)
    run.logged_models = {"m-2": [MlflowArtifact("*", None, "the artifact folder /x leads outside")]}
    report = importer(platform).run(FakeSource(tmp_path, [run], []))
    assert not report.complete
    assert f"run {RUN_A} artifact mlflow-logged-models/m-2/*: refused" in "\n".join(report.lines())


def test_a_logged_model_id_that_is_no_mlflow_id_is_a_loss(
    platform: Platform, tmp_path: Path
) -> None:
    run = a_run(tmp_path, RUN_A)
    run.logged_models = {"../../x": [MlflowArtifact("MLmodel", tmp_path / RUN_A / "model.pkl")]}
    report = importer(platform).run(FakeSource(tmp_path, [run], []))
    assert not report.complete
    assert f"run {RUN_A} logged model '../../x': not an MLflow model id" in report.losses
    assert not any(".." in p for p in platform.tracked.get(RUN_A).artifacts)
