"""Make a small MLflow store with the real ``mlflow`` and print what MLflow holds, as JSON.

Run by the tests with the Python of the ``mlflow_python`` venv (never imported by pytest, and
never run in Ontolab's venv):

    python make_mlflow_store.py TRACKING_URI

in the folder the store belongs to (MLflow puts artifacts under ./mlruns by default).

The store has two experiments beside Default, runs with params, metric histories over steps,
tags, artifacts (a file and a folder), a registered model with two versions and an alias, a
deleted run, and an MLflow 3 logged model (``mlflow.sklearn.log_model(...,
registered_model_name=...)``: a ``models:/m-ID`` version) with an alias. The last line printed
is a JSON object of MLflow's own counts.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import mlflow
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.tracking import MlflowClient


def make(uri: str) -> dict[str, object]:
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    iris = client.create_experiment("iris")
    client.set_experiment_tag(iris, "team", "vision")
    wine = client.create_experiment("wine")
    run_ids = []
    for number, (experiment, depth) in enumerate([(iris, 3), (iris, 5), (wine, 4)]):
        run = client.create_run(experiment, run_name=f"run-{number}", tags={"owner": "ann"})
        rid = run.info.run_id
        run_ids.append(rid)
        params = [Param("max_depth", str(depth)), Param("criterion", "gini")]
        metrics = [
            Metric("loss", 1.0 / (step + 1 + number), 1_700_000_000_000 + step * 1000, step)
            for step in range(5)
        ]
        metrics.append(Metric("accuracy", 0.9 + number / 100, 1_700_000_009_000, 0))
        client.log_batch(rid, metrics=metrics, params=params, tags=[RunTag("stage", "dev")])
        with tempfile.TemporaryDirectory() as folder:
            base = Path(folder)
            (base / "notes.txt").write_text(f"run {number}\n")
            client.log_artifact(rid, str(base / "notes.txt"))
            model = base / "model"
            model.mkdir()
            (model / "MLmodel").write_text("flavors: {}\n")
            (model / "model.pkl").write_bytes(bytes([number]) * 64)
            client.log_artifacts(rid, str(model), "model")
        client.set_terminated(rid, "FINISHED" if number != 2 else "FAILED")
    deleted = client.create_run(wine, run_name="scrapped")
    client.log_param(deleted.info.run_id, "lr", "0.1")
    client.log_metric(deleted.info.run_id, "loss", 2.5, step=0)
    client.set_terminated(deleted.info.run_id, "KILLED")
    client.delete_run(deleted.info.run_id)
    client.create_registered_model("IrisModel", description="decision trees")
    for rid in run_ids[:2]:
        client.create_model_version("IrisModel", f"runs:/{rid}/model", rid)
    client.set_registered_model_alias("IrisModel", "champion", "2")
    log_sklearn_model(client, iris)
    return {"all": counts(client, ViewType.ALL), "active": counts(client, ViewType.ACTIVE_ONLY)}


def log_sklearn_model(client: MlflowClient, experiment_id: str) -> None:
    """MLflow 3's default flow: a logged model (``m-ID``) registered as ``models:/m-ID``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    with mlflow.start_run(experiment_id=experiment_id, run_name="sklearn"):
        mlflow.log_param("C", "1.0")
        mlflow.sklearn.log_model(model, name="model", registered_model_name="LogRegModel")
    client.set_registered_model_alias("LogRegModel", "prod", "1")


def counts(client: MlflowClient, view: int) -> dict[str, object]:
    """What MLflow holds, counted through its own client (``view``: with deleted runs or not)."""
    experiments = client.search_experiments(view_type=view)
    runs = client.search_runs([e.experiment_id for e in experiments], run_view_type=view)
    points = 0
    for run in runs:
        for key in run.data.metrics:
            points += len(client.get_metric_history(run.info.run_id, key))
    versions = [
        v
        for m in client.search_registered_models()
        for v in client.search_model_versions(f"name='{m.name}'")
    ]
    return {
        "experiments": len(experiments),
        "runs": len(runs),
        "params": sum(len(r.data.params) for r in runs),
        "metric_points": points,
        "tags": sum(len(r.data.tags) for r in runs),
        "artifacts": sum(len(files(client, r.info.run_id, "")) for r in runs),
        "model_versions": len(versions),
        "run_ids": sorted(r.info.run_id for r in runs),
        "start_times": {r.info.run_id: r.info.start_time for r in runs},
        "deleted": [r.info.run_id for r in runs if r.info.lifecycle_stage == "deleted"],
        "aliases": {m.name: dict(m.aliases) for m in client.search_registered_models()},
    }


def files(client: MlflowClient, run_id: str, path: str) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, path or None):
        found.extend(files(client, run_id, item.path) if item.is_dir else [item.path])
    return found


if __name__ == "__main__":
    print(json.dumps(make(sys.argv[1])))
