"""GET /api/runs/ID/export over real HTTP: the zip of a succeeded run, and problem JSON for an
unknown run (404) and for one that has not succeeded (409)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests

from server import definitions
from server.definitions.ui_document import to_graph
from tests.conftest import LiveServer, assert_problem
from tests.documents import iris_document


def run_document(live_server: LiveServer, identifier: str, **options: object) -> str:
    platform = live_server.platform
    graph = to_graph(iris_document(identifier, **options))  # type: ignore[arg-type]
    record = platform.runs.run(definitions.submit(platform.store, graph).version)
    return record.run_id


@pytest.mark.slow
def test_a_succeeded_run_comes_as_a_zip_of_standalone_code(live_server: LiveServer) -> None:
    run_id = run_document(live_server, "zipped", estimator="GaussianNB")
    answer = requests.get(live_server(f"/api/runs/{run_id}/export"), timeout=120)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/zip"
    assert f'filename="ontolab-run-{run_id}.zip"' in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    folder = f"ontolab-run-{run_id}"
    names = set(archive.namelist())
    for name in ("pipeline.py", "verify.py", "params.json", "requirements.txt", "README.md"):
        assert f"{folder}/{name}" in names
    assert f"{folder}/data/extract.parquet" in names
    params = json.loads(archive.read(f"{folder}/params.json"))
    assert params["build"]["estimator_class"] == "sklearn.naive_bayes.GaussianNB"
    expected = json.loads(archive.read(f"{folder}/expected_metrics.json"))
    assert set(expected["steps"]["validate"]["metrics"]) >= {"accuracy", "f1"}
    assert len(expected["steps"]["validate"]["predictions_sha256"]) == 64
    assert b"prov:wasGeneratedBy" in archive.read(f"{folder}/provenance.ttl")


@pytest.mark.parametrize("run_id", ["0123456789abcdef", "not-a-run"])
def test_an_unknown_run_is_404(live_server: LiveServer, run_id: str) -> None:
    answer = requests.get(live_server(f"/api/runs/{run_id}/export"), timeout=30)
    assert_problem(answer, 404, "list runs with `ontolab runs list`")


@pytest.mark.slow
def test_a_failed_run_is_409_saying_how_to_go_on(live_server: LiveServer) -> None:
    run_id = run_document(live_server, "strict", estimator="GaussianNB", min_accuracy=0.9999)
    answer = requests.get(live_server(f"/api/runs/{run_id}/export"), timeout=30)
    body = assert_problem(answer, 409, f"run {run_id} is failed", "only a succeeded run")
    assert body["title"] == "Run state conflict"
    assert "rerun it" in body["detail"]
