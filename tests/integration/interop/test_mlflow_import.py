"""``ontolab import mlflow SOURCE`` on stores made by the real MLflow 3 (its own venv): a file
store, an SQLite store and a mlflow-export-import folder. Every count of the reconciliation
report matches what MLflow's own client counts; the runs keep their ids and start times and
are visible through the run API and SPARQL; a second import adds nothing; bad input is refused
with a message naming the file, and nothing is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.graph.namespaces import run_iri
from server.platform import open_platform
from server.settings import Settings

HERE = Path(__file__).parent
MAKE_STORE = HERE / "make_mlflow_store.py"
COUNTED = ("experiments", "runs", "params", "metric_points", "tags", "artifacts", "model_versions")


def mlflow_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", **extra}


def make_stores(python: Path, stores: dict[Path, str]) -> list[dict[str, Any]]:
    """Run MLflow in its venv to fill each store (``{folder: uri}``), all at once, each process
    in its folder; MLflow's own counts of each."""
    running = []
    for folder, uri in stores.items():
        folder.mkdir(parents=True)
        running.append(
            subprocess.Popen(
                [str(python), str(MAKE_STORE), uri],
                cwd=folder,
                env=mlflow_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    counts = []
    for process in running:
        try:
            out, err = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        assert process.returncode == 0, err[-3000:]
        counts.append(dict(json.loads(out.strip().splitlines()[-1])))
    return counts


@pytest.fixture(scope="module")
def stores(
    mlflow_python: Path, mlflow_export_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Each kind of source with MLflow's counts of what it holds."""
    root = tmp_path_factory.mktemp("mlflow-stores")
    db = root / "sqlite" / "mlflow.db"
    file_counts, sqlite_counts = make_stores(
        mlflow_python,
        {root / "files": f"file://{root}/files/mlruns", root / "sqlite": f"sqlite:///{db}"},
    )
    exported = export_all(mlflow_export_python, root, f"sqlite:///{db}", sqlite_counts)
    return {
        "file": (root / "files" / "mlruns", file_counts["all"]),
        "sqlite": (db, sqlite_counts["all"]),
        # the tool exports active runs only (MLflow's search default); its model.json is
        # written here for IrisModel only (see export_all), so LogRegModel's version is not in it
        "export": (exported, without_logged_model(sqlite_counts["active"])),
    }


def without_logged_model(counts: dict[str, Any]) -> dict[str, Any]:
    aliases = {k: v for k, v in counts["aliases"].items() if k != "LogRegModel"}
    return {**counts, "model_versions": counts["model_versions"] - 1, "aliases": aliases}


def export_all(python: Path, root: Path, uri: str, counts: dict[str, Any]) -> Path:
    """A mlflow-export-import ``export-all`` of the SQLite store, made by the tool itself (run
    by ``python``, of the tool's venv, which sees MLflow's).

    Its model export calls a tracking *server* over HTTP (``registered-models/get``), which an
    SQLite URI is not, so ``model.json`` is written here in the tool's documented format
    (README_export_format.md) from MLflow's counts.
    """
    out = root / "export"
    done = subprocess.run(
        [str(python), "-m", "mlflow_export_import.bulk.export_all", "--output-dir", str(out)],
        cwd=root / "sqlite",
        env=mlflow_env(MLFLOW_TRACKING_URI=uri),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    write_model_json(out / "models" / "IrisModel", counts["active"])
    return out


def write_model_json(folder: Path, counts: dict[str, Any]) -> None:
    run_ids = sorted(counts["start_times"], key=counts["start_times"].get)
    active = [r for r in run_ids if r not in counts["deleted"]][:2]  # the make script's order
    versions = [
        {"name": "IrisModel", "version": str(n), "run_id": rid, "source": f"runs:/{rid}/model"}
        for n, rid in enumerate(active, 1)
    ]
    folder.mkdir(parents=True)
    body = {
        "registered_model": {
            "name": "IrisModel",
            "versions": versions,
            "aliases": [
                {"alias": a, "version": str(v)} for a, v in counts["aliases"]["IrisModel"].items()
            ],
        }
    }
    (folder / "model.json").write_text(json.dumps({"system": {}, "info": {}, "mlflow": body}))


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("kind", ["file", "sqlite", "export"])
def test_import_keeps_every_count_and_a_second_import_adds_nothing(
    kind: str, stores: dict[str, Any], ontolab: Any, tmp_path: Path
) -> None:
    source, mlflow_counts = stores[kind]
    first = report_of(ontolab("import", "mlflow", str(source), "--json"))
    assert first["complete"], first["losses"]
    for name in COUNTED:
        counts = first["counts"][name]
        assert counts["found"] == mlflow_counts[name], (name, counts)
        assert counts["imported"] + counts["present"] == mlflow_counts[name], (name, counts)
        assert counts["lost"] == 0
    assert first["counts"]["runs"]["imported"] == mlflow_counts["runs"]
    again = report_of(ontolab("import", "mlflow", str(source), "--json"))
    for name in COUNTED:
        assert again["counts"][name]["imported"] == 0, (name, again["counts"][name])
        assert again["counts"][name]["present"] == mlflow_counts[name]
    check_runs_in_platform(tmp_path / "data", mlflow_counts)


def check_runs_in_platform(data: Path, mlflow_counts: dict[str, Any]) -> None:
    """The runs are in the graph with MLflow's ids and start times, seen by the run API and
    SPARQL; the registered model has its two versions and its alias; the MLflow 3 logged model
    (``models:/m-ID``) is a version of its source run's model files, with its alias."""
    from server.app import create_app

    platform = open_platform(Settings.load({"data": data}, environ={}))
    try:
        client = create_app(platform=platform).test_client()
        listed = client.get("/api/runs?limit=100").get_json()["runs"]
        started = {r["run_id"]: started_ms(r["started"]) for r in listed}
        for run_id, start_ms in mlflow_counts["start_times"].items():
            assert started[run_id] == start_ms  # MLflow's id and start time, to the millisecond
            answer = client.get(f"/api/runs/{run_id}")
            assert answer.status_code == 200, answer.get_json()
            assert answer.get_json()["run_id"] == run_id
            tracked = platform.tracked.get(run_id)
            assert (tracked.source, tracked.deleted) == (
                "import",
                run_id in mlflow_counts["deleted"],
            )
        rows = platform.store.select(
            "PREFIX mls: <http://www.w3.org/ns/mls#> "
            "SELECT ?run WHERE { GRAPH ?g { ?run a mls:Run } }"
        )
        in_sparql = {str(row["run"]) for row in rows}
        assert {str(run_iri(r)) for r in mlflow_counts["run_ids"]} <= in_sparql
        entry = platform.registry.model("irismodel")
        assert [v.number for v in entry.versions] == [1, 2]
        assert {a: x.version for a, x in entry.aliases.items()} == {"champion": 2}
        if "LogRegModel" in mlflow_counts["aliases"]:
            check_logged_model(platform)
    finally:
        platform.close()


def check_logged_model(platform: Any) -> None:
    entry = platform.registry.model("logregmodel")
    assert [v.number for v in entry.versions] == [1]
    assert {a: x.version for a, x in entry.aliases.items()} == {"prod": 1}
    version = entry.versions[0]
    run = platform.tracked.get(version.run_id)
    assert run.name == "sklearn"
    model_files = [p for p in run.artifacts if p.startswith("mlflow-logged-models/m-")]
    assert any(p.endswith("/MLmodel") for p in model_files), sorted(run.artifacts)
    skops = next(p for p in model_files if p.endswith("/model.skops"))
    assert run.artifacts[skops].sha256 == version.sha256  # the version is the model file


def started_ms(iso: str) -> int:
    from datetime import datetime

    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_a_corrupt_mlflow_db_is_refused_and_nothing_is_written(
    ontolab: Any, tmp_path: Path
) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"\x00garbage, not SQLite\x01" * 200)
    done = ontolab("import", "mlflow", str(db))
    assert done.returncode == 1
    assert f"{db} is not a readable SQLite database" in done.stderr
    assert not (tmp_path / "data").exists()


def test_an_sqlite_file_without_mlflow_tables_is_refused(ontolab: Any, tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE runs (run_uuid TEXT)")
    done = ontolab("import", "mlflow", str(db))
    assert done.returncode == 1
    assert "is an SQLite database but not MLflow's: it has no table experiments" in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_source_that_is_no_mlflow_store_is_refused(ontolab: Any, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"jpg")
    done = ontolab("import", "mlflow", str(folder))
    assert done.returncode == 1
    assert (
        "is not an MLflow store: expected an mlflow.db SQLite file, an mlruns/ folder"
        in done.stderr
    )
    assert not (tmp_path / "data").exists()


def test_an_artifact_escaping_the_source_is_refused_and_the_import_fails(
    stores: dict[str, Any], ontolab: Any, tmp_path: Path
) -> None:
    import shutil

    source = tmp_path / "copy" / "mlruns"
    shutil.copytree(stores["file"][0], source, symlinks=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    run_folder = next(p for p in source.glob("*/*") if (p / "artifacts" / "notes.txt").exists())
    (run_folder / "artifacts" / "leak.txt").symlink_to(secret)
    done = ontolab("import", "mlflow", str(source))
    assert done.returncode == 1, done.stdout
    assert "leak.txt: refused, symbolic link" in done.stdout
    assert "INCOMPLETE" in done.stdout
    stored = [p.read_bytes() for p in (tmp_path / "data" / "artifacts").rglob("*") if p.is_file()]
    assert b"do not copy me" not in stored
