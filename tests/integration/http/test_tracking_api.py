"""/api/tracking/...: a run recorded from any code, over real HTTP."""

from __future__ import annotations

import io
from pathlib import Path

import joblib
import pytest
import requests
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from server.settings import Settings
from tests.conftest import LiveServer, assert_problem

TIMEOUT = 30


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"data": tmp_path / "data", "max_upload_mb": 0.01}, environ={})


def _start(live: LiveServer, **body: object) -> dict:
    answer = requests.post(
        live("/api/tracking/runs"), json={"experiment": "churn", **body}, timeout=TIMEOUT
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_run_from_start_to_end(live_server: LiveServer) -> None:
    run = _start(live_server, name="first", tags={"team": "a"})
    url = live_server(f"/api/tracking/runs/{run['run_id']}")
    batch = {
        "batch_id": "b1",
        "params": {"lr": "0.1"},
        "metrics": [{"key": "loss", "value": v, "step": i} for i, v in enumerate([3, 2, 1])],
        "tags": {"team": "b"},
    }
    for _ in range(2):  # the resend adds nothing
        answer = requests.post(url + "/batch", json=batch, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
    stored = requests.put(url + "/artifacts/plots/loss.txt", data=b"3 2 1", timeout=TIMEOUT)
    assert stored.status_code == 201 and stored.json()["size"] == 5
    features, target = load_iris(return_X_y=True, as_frame=True)
    buffer = io.BytesIO()
    joblib.dump(LogisticRegression(max_iter=500).fit(features, target), buffer)
    model = requests.put(url + "/models/churn-lr", data=buffer.getvalue(), timeout=TIMEOUT)
    if model.status_code == 413:  # this platform's upload limit is tiny; models are bigger
        pytest.fail(model.text)
    assert model.status_code == 201, model.text
    assert model.json()["version"] == 1
    ended = requests.post(url + "/end", json={"status": "succeeded"}, timeout=TIMEOUT).json()
    assert ended["status"] == "succeeded"
    assert ended["metric_history"]["loss"] == [
        {"value": float(v), "step": i, "timestamp": ended["metric_history"]["loss"][i]["timestamp"]}
        for i, v in enumerate([3, 2, 1])
    ]
    assert ended["params"] == {"lr": "0.1"} and ended["tags"] == {"team": "b"}
    file = requests.get(url + "/artifacts/plots/loss.txt", timeout=TIMEOUT)
    assert file.content == b"3 2 1"
    native = requests.get(live_server(f"/api/runs/{run['run_id']}"), timeout=TIMEOUT).json()
    assert native["status"] == "succeeded"
    assert {m["metric"] for m in native["metrics"]} == {"loss"}
    listed = requests.get(live_server("/api/runs?experiment=churn"), timeout=TIMEOUT).json()
    assert run["run_id"] in str(listed)
    models = requests.get(live_server("/api/models/churn-lr"), timeout=TIMEOUT)
    assert models.status_code == 200


def test_refusals_are_problems(live_server: LiveServer) -> None:
    run = _start(live_server)
    url = live_server(f"/api/tracking/runs/{run['run_id']}")
    bad = {"metrics": [{"key": "loss", "value": "high"}]}
    answer = requests.post(url + "/batch", json=bad, timeout=TIMEOUT)
    assert_problem(answer, 400, "metric 'loss' has value 'high'", "not a number")
    requests.post(url + "/batch", json={"params": {"lr": "0.1"}}, timeout=TIMEOUT)
    answer = requests.post(url + "/batch", json={"params": {"lr": "0.2"}}, timeout=TIMEOUT)
    assert_problem(answer, 400, "param 'lr' was logged as '0.1'")
    answer = requests.put(url + "/artifacts/a/../../b.txt", data=b"x", timeout=TIMEOUT)
    assert answer.status_code in (400, 404)  # werkzeug may fold the .. before routing
    answer = requests.put(url + "/artifacts/big.bin", data=b"x" * 20_000, timeout=TIMEOUT)
    assert_problem(answer, 413, "ONTOLAB_MAX_UPLOAD_MB")
    answer = requests.post(url + "/batch", json={"metrics": "loss=1"}, timeout=TIMEOUT)
    assert_problem(answer, 400, "metrics must be a list")
    requests.post(url + "/end", json={}, timeout=TIMEOUT)
    answer = requests.post(url + "/batch", json={"params": {"x": "1"}}, timeout=TIMEOUT)
    body = assert_problem(answer, 409, f"run {run['run_id']} ended at", "start a new run")
    assert body["title"] == "Run ended"
    missing = live_server(f"/api/tracking/runs/{'0' * 32}")
    assert_problem(requests.get(missing, timeout=TIMEOUT), 404, "no tracked run")
    assert_problem(requests.post(missing + "/batch", json={}, timeout=TIMEOUT), 404)


def test_the_routes_are_in_the_openapi_document(live_server: LiveServer) -> None:
    paths = requests.get(live_server("/api/openapi.json"), timeout=TIMEOUT).json()["paths"]
    for path in (
        "/api/tracking/runs",
        "/api/tracking/runs/{run_id}",
        "/api/tracking/runs/{run_id}/batch",
        "/api/tracking/runs/{run_id}/artifacts/{path}",
        "/api/tracking/runs/{run_id}/models/{name}",
        "/api/tracking/runs/{run_id}/end",
    ):
        assert path in paths


def test_a_leaderboard_on_a_metric_the_ontology_does_not_know_asks_which_way(
    live_server: LiveServer,
) -> None:
    for loss in (0.5, 0.2, 0.9):
        run = _start(live_server)
        url = live_server(f"/api/tracking/runs/{run['run_id']}")
        batch = {"batch_id": "b", "metrics": [{"key": "loss", "value": loss, "step": 0}]}
        assert requests.post(url + "/batch", json=batch, timeout=TIMEOUT).status_code == 200
        requests.post(url + "/end", json={"status": "succeeded"}, timeout=TIMEOUT)
    board = live_server(f"/api/experiments/{run['experiment_id']}/leaderboard")
    unknown = requests.get(board, params={"metric": "loss"}, timeout=TIMEOUT)
    assert_problem(unknown, 400, "order=asc")
    lowest = requests.get(board, params={"metric": "loss", "order": "asc"}, timeout=TIMEOUT)
    assert lowest.status_code == 200, lowest.text
    assert lowest.json()["higher_is_better"] is False
    assert [r["value"] for r in lowest.json()["runs"]] == [0.2, 0.5, 0.9]
    highest = requests.get(board, params={"metric": "loss", "order": "desc"}, timeout=TIMEOUT)
    assert [r["value"] for r in highest.json()["runs"]] == [0.9, 0.5, 0.2]
    wrong = requests.get(board, params={"metric": "loss", "order": "up"}, timeout=TIMEOUT)
    assert_problem(wrong, 400, "order must be asc")
