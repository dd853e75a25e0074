"""The MLflow readers on small hand-made stores: what each reads, and the refusals (a corrupt
or foreign mlflow.db, a SOURCE that is no MLflow store, artifact paths escaping the source).
Stores made by the real MLflow are read in tests/integration/interop."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from server.errors import MlflowImportError
from server.interop.mlflow_import.model import MlflowSource
from server.interop.mlflow_import.sources import open_source

RUN = "a" * 32


def file_store(root: Path, artifact_uri: str | None = None) -> Path:
    """mlruns/ with one experiment and one run, as MLflow's FileStore writes them."""
    mlruns = root / "mlruns"
    experiment = mlruns / "7"
    run = experiment / RUN
    for folder in ("params", "metrics", "tags/mlflow", "artifacts/model"):
        (run / folder).mkdir(parents=True)
    (experiment / "meta.yaml").write_text("experiment_id: '7'\nname: iris\n")
    uri = artifact_uri or f"file://{run}/artifacts"
    (run / "meta.yaml").write_text(
        f"run_id: {RUN}\nexperiment_id: '7'\nrun_name: first\nstatus: 3\n"
        f"start_time: 1700000000000\nend_time: 1700000005000\nlifecycle_stage: active\n"
        f"artifact_uri: {uri}\n"
    )
    (run / "params" / "max_depth").write_text("3")
    (run / "metrics" / "loss").write_text("1700000000000 0.5 0\n1700000001000 nan 1\n")
    (run / "tags" / "mlflow" / "runName").write_text("first")
    (run / "artifacts" / "notes.txt").write_text("hi")
    (run / "artifacts" / "model" / "model.pkl").write_bytes(b"\x80")
    return mlruns


def read(source: MlflowSource) -> tuple[list, list, list]:
    try:
        return source.experiments(), list(source.runs()), source.models()
    finally:
        source.close()


def test_file_store_run_with_history_tags_and_artifacts(tmp_path: Path) -> None:
    experiments, runs, models = read(open_source(file_store(tmp_path)))
    assert [(e.experiment_id, e.name) for e in experiments] == [("7", "iris")]
    (run,) = runs
    assert (run.run_id, run.name, run.status, run.start_time) == (
        RUN,
        "first",
        "FINISHED",
        1700000000000,
    )
    assert run.params == {"max_depth": "3"}
    assert run.tags == {"mlflow/runName": "first"}  # a key with "/" is a nested file
    assert [(p.value, p.step) for p in run.metrics["loss"]][0] == (0.5, 0)
    assert run.metric_points == 2
    assert [a.path for a in run.artifacts] == ["model/model.pkl", "notes.txt"]
    assert models == []


def test_the_folder_holding_mlruns_is_a_file_store_too(tmp_path: Path) -> None:
    file_store(tmp_path)
    assert open_source(tmp_path).kind == "file store"


def test_a_symbolic_link_out_of_the_source_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    mlruns = file_store(tmp_path / "store")
    link = mlruns / "7" / RUN / "artifacts" / "leak.txt"
    link.symlink_to(secret)
    (run,) = read(open_source(mlruns))[1]
    refused = {a.path: a.refused for a in run.artifacts if a.file is None}
    assert list(refused) == ["leak.txt"]
    assert "leads outside" in str(refused["leak.txt"])


def test_an_artifact_uri_climbing_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "id_rsa").write_text("key")
    mlruns = file_store(tmp_path / "store", artifact_uri=f"{tmp_path}/store/mlruns/../../elsewhere")
    (mlruns / "7" / RUN / "artifacts" / "notes.txt").unlink()
    (mlruns / "7" / RUN / "artifacts" / "model" / "model.pkl").unlink()
    (mlruns / "7" / RUN / "artifacts" / "model").rmdir()
    (mlruns / "7" / RUN / "artifacts").rmdir()
    (run,) = read(open_source(mlruns))[1]
    assert [a.file for a in run.artifacts] == [None]
    assert "--artifacts" in str(run.artifacts[0].refused)


def test_artifacts_dir_allows_a_folder_outside_the_source(tmp_path: Path) -> None:
    outside = tmp_path / "artifact-root"
    files = outside / "7" / RUN / "artifacts"
    files.mkdir(parents=True)
    (files / "plot.png").write_bytes(b"png")
    mlruns = file_store(tmp_path / "store", artifact_uri=f"file:///nowhere/{RUN}")
    (mlruns / "7" / RUN / "artifacts" / "notes.txt").unlink()
    (run,) = read(open_source(mlruns, outside))[1]
    assert "plot.png" in [a.path for a in run.artifacts]


def test_a_corrupt_mlflow_db_is_refused_naming_the_file(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(MlflowImportError, match=r"mlflow\.db is not a readable SQLite database"):
        open_source(db)


def test_an_sqlite_file_without_mlflow_tables_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE experiments (experiment_id INTEGER)")
    with pytest.raises(MlflowImportError, match=r"mlflow\.db is an SQLite database but not MLflow"):
        open_source(db)
    assert db.stat().st_size > 0  # read-only: untouched


def test_a_folder_that_is_no_mlflow_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(MlflowImportError, match="is not an MLflow store: expected an mlflow.db"):
        open_source(tmp_path)
    with pytest.raises(MlflowImportError, match="does not exist"):
        open_source(tmp_path / "missing")


def test_export_import_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "experiments" / "1" / RUN
    (run_dir / "artifacts").mkdir(parents=True)
    (run_dir / "artifacts" / "notes.txt").write_text("x")
    (tmp_path / "experiments" / "1" / "experiment.json").write_text(
        '{"mlflow": {"experiment": {"experiment_id": "1", "name": "iris", "tags": {}},'
        f' "runs": ["{RUN}"]}}}}'
    )
    info = {"run_id": RUN, "experiment_id": "1", "status": "FAILED", "start_time": 5}
    points = [{"value": 1.0, "timestamp": 5, "step": 0}, {"value": None, "timestamp": 6, "step": 1}]
    run_json = {
        "info": {**info, "end_time": 6, "lifecycle_stage": "active", "run_name": "r"},
        "params": {"a": "1"},
        "tags": [{"key": "t", "value": "v"}],  # MLflow's REST shape; a mapping is read too
        "metrics": {"loss": points},  # null: NaN, which JSON cannot write
    }
    (run_dir / "run.json").write_text(json.dumps({"mlflow": run_json}))
    experiments, runs, _ = read(open_source(tmp_path))
    assert [e.name for e in experiments] == ["iris"]
    (run,) = runs
    assert (run.status, run.params, run.tags, run.metric_points) == (
        "FAILED",
        {"a": "1"},
        {"t": "v"},
        2,
    )
    assert [a.path for a in run.artifacts] == ["notes.txt"]


def logged_model(mlruns: Path, location: str | None = None) -> Path:
    """An MLflow 3 logged model of RUN, as the file store writes it (EXPERIMENT/models/m-ID/)."""
    folder = mlruns / "7" / "models" / "m-1"
    (folder / "artifacts").mkdir(parents=True)
    where = location or f"file://{folder}/artifacts"
    (folder / "meta.yaml").write_text(
        f"model_id: m-1\nexperiment_id: '7'\nname: model\nsource_run_id: {RUN}\n"
        f"artifact_location: {where}\nstatus: 2\n"
    )
    (folder / "artifacts" / "MLmodel").write_text("flavors: {}\n")
    (folder / "artifacts" / "model.skops").write_bytes(b"skops")
    return folder


def test_file_store_logged_model_files_come_with_their_source_run(tmp_path: Path) -> None:
    mlruns = file_store(tmp_path)
    logged_model(mlruns)
    _, (run,), _ = read(open_source(mlruns))
    assert [a.path for a in run.artifacts] == ["model/model.pkl", "notes.txt"]  # not in them
    assert {k: [a.path for a in v] for k, v in run.logged_models.items()} == {
        "m-1": ["MLmodel", "model.skops"]
    }


def test_a_logged_model_folder_outside_the_source_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "model.skops").write_bytes(b"secret")
    mlruns = file_store(tmp_path / "store")
    copy = logged_model(mlruns, f"file://{outside}") / "artifacts"
    shutil.rmtree(copy)  # no copy in the store: only the folder outside holds the files
    _, (run,), _ = read(open_source(mlruns))
    (refused,) = run.logged_models["m-1"]
    assert refused.file is None and "pass --artifacts DIR" in (refused.refused or "")


def test_sqlite_logged_model_files_come_with_their_source_run(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:
        for table, columns in (
            ("experiments", "experiment_id, name, lifecycle_stage, creation_time"),
            (
                "runs",
                "run_uuid, experiment_id, name, status, start_time, end_time, "
                "lifecycle_stage, artifact_uri",
            ),
            ("params", "key, value, run_uuid"),
            ("metrics", "key, value, timestamp, step, is_nan, run_uuid"),
            ("tags", "key, value, run_uuid"),
            ("logged_models", "model_id, experiment_id, artifact_location, source_run_id"),
        ):
            connection.execute(f"CREATE TABLE {table} ({columns})")
        connection.execute("INSERT INTO experiments VALUES (1, 'iris', 'active', 0)")
        connection.execute(
            "INSERT INTO runs VALUES (?, 1, 'r', 'FINISHED', 1, 2, 'active', 'mlruns/1/r/a')",
            (RUN,),
        )
        connection.execute(
            "INSERT INTO logged_models VALUES ('m-1', 1, 'mlruns/1/models/m-1/artifacts', ?)",
            (RUN,),
        )
    folder = tmp_path / "mlruns" / "1" / "models" / "m-1" / "artifacts"
    folder.mkdir(parents=True)
    (folder / "model.skops").write_bytes(b"skops")
    _, (run,), _ = read(open_source(db))
    assert {k: [a.path for a in v] for k, v in run.logged_models.items()} == {
        "m-1": ["model.skops"]
    }
