"""The MLflow-compatible API's wire format, call by call, without MLflow: protobuf JSON in and
out, MLflow's error shape, search filters and pages, the proxied artifact routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.conftest import LiveServer, serving
from tests.documents import iris_document

API = "/api/2.0/mlflow"
FILES = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def app(platform: Platform) -> Flask:
    return create_app(platform=platform)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


def ok(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def error(answer: Any, status: int, code: str, *fragments: str) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error_code"] == code
    for fragment in fragments:
        assert fragment in body["message"]
    return str(body["message"])


def start(client: FlaskClient, experiment_id: str, **fields: Any) -> dict[str, Any]:
    body = {"experiment_id": experiment_id, **fields}
    run: dict[str, Any] = ok(client.post(f"{API}/runs/create", json=body))["run"]
    return run


def test_experiments_create_get_by_name_and_search(client: FlaskClient) -> None:
    missing = client.get(f"{API}/experiments/get-by-name", query_string={"experiment_name": "x"})
    error(missing, 404, "RESOURCE_DOES_NOT_EXIST", "no experiment named 'x'")
    created = ok(client.post(f"{API}/experiments/create", json={"name": "My Exp"}))
    experiment_id = created["experiment_id"]
    got = ok(client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id}))
    experiment = got["experiment"]
    assert experiment["name"] == "My Exp"
    assert experiment["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    assert experiment["lifecycle_stage"] == "active"
    by_name = client.get(
        f"{API}/experiments/get-by-name", query_string={"experiment_name": "My Exp"}
    )
    assert ok(by_name)["experiment"]["experiment_id"] == experiment_id
    again = client.post(f"{API}/experiments/create", json={"name": "My Exp"})
    error(again, 400, "RESOURCE_ALREADY_EXISTS", "exists already")
    ok(client.post(f"{API}/experiments/create", json={"name": "other"}))
    found = ok(client.post(f"{API}/experiments/search", json={"filter": "name LIKE 'My%'"}))
    assert [e["name"] for e in found["experiments"]] == ["My Exp"]
    paged = ok(client.post(f"{API}/experiments/search", json={"max_results": 1}))
    assert len(paged["experiments"]) == 1 and paged["next_page_token"]


def test_a_run_logged_and_read_back_in_protobuf_json(client: FlaskClient) -> None:
    run = start(client, "0", start_time="1700000000000", run_name="first")
    info = run["info"]
    run_id = info["run_id"]
    assert len(run_id) == 32 and info["run_uuid"] == run_id
    assert info["status"] == "RUNNING" and info["start_time"] == 1700000000000
    assert info["artifact_uri"] == f"mlflow-artifacts:/{info['experiment_id']}/{run_id}/artifacts"
    default = ok(client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"}))
    assert default["experiment"]["name"] == "Default"
    batch = {
        "run_id": run_id,
        "metrics": [
            {"key": "loss", "value": 0.5, "timestamp": 1700000000001, "step": 0},
            {"key": "loss", "value": "NaN", "timestamp": "1700000000002", "step": "1"},
        ],
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "team", "value": "a"}],
    }
    ok(client.post(f"{API}/runs/log-batch", json=batch))
    ok(client.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "acc", "value": 1}))
    ok(client.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "d", "value": "3"}))
    ok(client.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "t", "value": "v"}))
    history = ok(
        client.get(
            f"{API}/metrics/get-history", query_string={"run_id": run_id, "metric_key": "loss"}
        )
    )["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(0, 0.5), (1, "NaN")]
    data = ok(client.get(f"{API}/runs/get", query_string={"run_id": run_id}))["run"]["data"]
    assert {m["key"]: m["value"] for m in data["metrics"]} == {"loss": "NaN", "acc": 1.0}
    assert {p["key"]: p["value"] for p in data["params"]} == {"lr": "0.1", "d": "3"}
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert tags["team"] == "a" and tags["t"] == "v" and tags["mlflow.runName"] == "first"
    ended = ok(
        client.post(
            f"{API}/runs/update",
            json={"run_id": run_id, "status": "FINISHED", "end_time": 1700000005000},
        )
    )["run_info"]
    assert ended["status"] == "FINISHED" and ended["end_time"] == 1700000005000


def test_bad_input_gets_mlflow_errors_and_loses_nothing(client: FlaskClient) -> None:
    run_id = start(client, "0")["info"]["run_id"]
    bad = {"run_id": run_id, "metrics": [{"key": "a", "value": 1}, {"key": "b", "value": "x"}]}
    error(
        client.post(f"{API}/runs/log-batch", json=bad),
        400,
        "INVALID_PARAMETER_VALUE",
        "metric 'b' has the value 'x', which is not a number",
    )
    ok(client.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": "1"}))
    changed = {"run_id": run_id, "key": "p", "value": "2"}
    error(client.post(f"{API}/runs/log-parameter", json=changed), 400, "INVALID_PARAMETER_VALUE")
    error(client.post(f"{API}/runs/log-batch", json={}), 400, "INVALID_PARAMETER_VALUE", "run_id")
    error(
        client.post(f"{API}/runs/log-batch", data="nope", content_type="text/plain"),
        400,
        "INVALID_PARAMETER_VALUE",
        "JSON object",
    )
    ok(client.post(f"{API}/runs/update", json={"run_id": run_id, "status": "KILLED"}))
    late = {"run_id": run_id, "key": "a", "value": 2}
    error(
        client.post(f"{API}/runs/log-metric", json=late),
        409,
        "INVALID_STATE",
        "start a new run",
    )
    data = ok(client.get(f"{API}/runs/get", query_string={"run_id": run_id}))["run"]["data"]
    assert data["metrics"] == [] and data["params"] == [{"key": "p", "value": "1"}]
    error(
        client.get(f"{API}/runs/get", query_string={"run_id": "0" * 32}),
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "no run with id",
    )


def test_search_runs_filters_orders_and_pages(client: FlaskClient) -> None:
    experiment_id = ok(client.post(f"{API}/experiments/create", json={"name": "s"}))[
        "experiment_id"
    ]
    ids = {}
    for name, acc in (("a", 0.7), ("b", 0.9), ("c", 0.8), ("d", None)):
        run_id = start(client, experiment_id, run_name=name)["info"]["run_id"]
        metrics = [] if acc is None else [{"key": "acc", "value": acc, "timestamp": 1}]
        tags = [{"key": "team", "value": f"ml-{name}"}]
        params = [{"key": "lr", "value": "0.1" if name == "b" else "0.01"}]
        body = {"run_id": run_id, "metrics": metrics, "tags": tags, "params": params}
        ok(client.post(f"{API}/runs/log-batch", json=body))
        ids[name] = run_id

    def names(**fields: Any) -> tuple[list[str], str | None]:
        body = {"experiment_ids": [experiment_id], **fields}
        found = ok(client.post(f"{API}/runs/search", json=body))
        return [r["info"]["run_name"] for r in found.get("runs", [])], found.get("next_page_token")

    assert names(order_by=["metrics.acc DESC"]) == (["b", "c", "a", "d"], None)
    assert names(order_by=["metrics.acc ASC"], max_results=2)[0] == ["a", "c"]
    first, token = names(order_by=["metrics.acc ASC"], max_results=2)
    assert token and names(order_by=["metrics.acc ASC"], max_results=2, page_token=token) == (
        ["b", "d"],
        None,
    )
    assert names(filter="metrics.acc >= 0.8", order_by=["metrics.acc"])[0] == ["c", "b"]
    assert names(filter="params.lr = '0.01' AND tags.team LIKE 'ml-%'")[0] == ["d", "c", "a"]
    assert names(filter="tags.team ILIKE 'ML-B'")[0] == ["b"]
    assert names(filter="attributes.run_name != 'a' AND metrics.acc < 0.85")[0] == ["c"]
    assert names(filter=f"attributes.run_id IN ('{ids['a']}', '{ids['d']}')")[0] == ["d", "a"]
    ok(client.post(f"{API}/runs/delete", json={"run_id": ids["c"]}))
    assert names(order_by=["metrics.acc DESC"])[0] == ["b", "a", "d"]
    assert names(run_view_type="DELETED_ONLY")[0] == ["c"]
    assert len(names(run_view_type="ALL")[0]) == 4
    bad = client.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id], "filter": "x"})
    error(bad, 400, "INVALID_PARAMETER_VALUE", "invalid filter 'x'")
    assert names(order_by=["tags.team DESC"]) == (["d", "b", "a"], None)  # sorted here
    assert names(order_by=["attributes.run_name"], max_results=2)[0] == ["a", "b"]
    token = names(order_by=["attributes.run_name"], max_results=2)[1]
    assert names(order_by=["attributes.run_name"], max_results=2, page_token=token) == (["d"], None)
    bad_order = {"experiment_ids": [experiment_id], "order_by": ["tags.team", "params.lr"]}
    error(client.post(f"{API}/runs/search", json=bad_order), 400, "INVALID_PARAMETER_VALUE")
    bad_token = {"experiment_ids": [experiment_id], "page_token": "garbage"}
    error(client.post(f"{API}/runs/search", json=bad_token), 400, "INVALID_PARAMETER_VALUE")


def test_artifacts_upload_list_download(client: FlaskClient, platform: Platform) -> None:
    run = start(client, "0")
    root = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    ok(client.put(f"{FILES}/{root}/plots/loss.txt", data=b"0.5\n"))
    ok(client.put(f"{FILES}/{root}/model.txt", data=b"m"))
    listed = ok(client.get(FILES, query_string={"path": root}))["files"]
    assert listed == [
        {"path": "model.txt", "is_dir": False, "file_size": 1},
        {"path": "plots", "is_dir": True},
    ]
    inside = ok(client.get(FILES, query_string={"path": f"{root}/plots"}))["files"]
    assert inside == [{"path": "loss.txt", "is_dir": False, "file_size": 4}]
    answer = client.get(f"{FILES}/{root}/plots/loss.txt")
    assert answer.status_code == 200 and answer.data == b"0.5\n"
    answer.close()
    tracking = ok(
        client.get(f"{API}/artifacts/list", query_string={"run_id": run["info"]["run_id"]})
    )
    assert tracking["root_uri"] == run["info"]["artifact_uri"]
    assert [f["path"] for f in tracking["files"]] == ["model.txt", "plots"]
    error(client.get(f"{FILES}/{root}/nothing.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
    error(client.put(f"{FILES}/{root}/../../x", data=b"x"), 400, "INVALID_PARAMETER_VALUE")
    error(client.put(f"{FILES}/just/a/path", data=b"x"), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("POST", f"{API}/registered-models/create", 501, "NOT_IMPLEMENTED"),
        ("POST", f"{API}/experiments/delete", 501, "NOT_IMPLEMENTED"),
        ("GET", f"{API}/nothing/here", 404, "ENDPOINT_NOT_FOUND"),
        ("POST", f"{API}/runs/get", 405, "ENDPOINT_NOT_FOUND"),
        ("PATCH", f"{FILES}/e/r/artifacts/x", 405, "ENDPOINT_NOT_FOUND"),
        ("GET", "/ajax-api/2.0/mlflow/model-versions/get", 501, "NOT_IMPLEMENTED"),
        ("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts", 501, "NOT_IMPLEMENTED"),
    ],
)
def test_unsupported_calls_name_themselves(
    client: FlaskClient, method: str, path: str, status: int, code: str
) -> None:
    answer = client.open(path, method=method, json={})
    message = error(answer, status, code, path)
    assert "use" in message
    if status == 405:
        assert answer.headers["Allow"] in ("GET", "GET, PUT")


def test_health_and_the_ui_keep_their_routes(client: FlaskClient) -> None:
    assert client.get("/health").data == b"OK"
    ajax = client.get("/ajax-api/2.0/mlflow/experiments/get", query_string={"experiment_id": "0"})
    assert ok(ajax)["experiment"]["name"] == "Default"
    assert client.get("/api/health").get_json()["status"] == "ok"
    page = client.get("/experiments/x")  # the UI's client route: its index.html, a file
    page.close()
    assert page.status_code == 200


def test_a_file_over_the_upload_limit_is_a_413_with_or_without_its_length(
    tmp_path: Path,
) -> None:
    settings = Settings.load({"data": tmp_path / "data", "max_upload_mb": 0.01}, environ={})
    platform = open_platform(settings)
    try:
        with serving(create_app(platform=platform)) as url:
            created = requests.post(f"{url}{API}/runs/create", json={}, timeout=30).json()
            root = created["run"]["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
            big = b"x" * 20_000
            sized = requests.put(f"{url}{FILES}/{root}/big.bin", data=big, timeout=30)
            assert sized.status_code == 413, sized.text
            # no Content-Length for the guard to check: the body is counted as it is read
            chunks = (big[i : i + 4000] for i in range(0, len(big), 4000))
            streamed = requests.put(f"{url}{FILES}/{root}/big.bin", data=chunks, timeout=30)
            assert streamed.status_code == 413, streamed.text
            assert streamed.json()["error_code"] == "INVALID_PARAMETER_VALUE"
            assert "ONTOLAB_MAX_UPLOAD_MB" in streamed.json()["message"]
            listed = requests.get(f"{url}{FILES}", params={"path": root}, timeout=30)
            assert listed.json()["files"] == []
            small = requests.put(f"{url}{FILES}/{root}/small.bin", data=b"y" * 100, timeout=30)
            assert small.status_code == 200, small.text
    finally:
        platform.close()


def test_a_run_the_platform_executed_reads_through_mlflow(
    live_server: LiveServer, finished_run: Callable[..., dict[str, Any]]
) -> None:
    document = iris_document("iris_mlflow", hyper={"max_iter": 500})
    created = requests.post(live_server("/api/experiments"), json=document, timeout=60)
    assert created.status_code in (200, 201), created.text
    started = requests.post(
        live_server("/api/runs"), json={"experiment": "iris_mlflow"}, timeout=30
    )
    run_id = started.json()["run_id"]
    assert finished_run(live_server.url, run_id)["status"] == "succeeded"
    got = requests.get(live_server(f"{API}/runs/get"), params={"run_id": run_id}, timeout=30)
    run = got.json()["run"]
    assert run["info"]["status"] == "FINISHED" and run["info"]["experiment_id"] == "iris_mlflow"
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert 0.5 <= metrics["accuracy"] <= 1
    body = {"experiment_ids": ["iris_mlflow"], "filter": "metrics.accuracy > 0.5"}
    found = requests.post(live_server(f"{API}/runs/search"), json=body, timeout=30).json()
    assert [r["info"]["run_id"] for r in found["runs"]] == [run_id]
    late = {"run_id": run_id, "key": "x", "value": 1}
    refused = requests.post(live_server(f"{API}/runs/log-metric"), json=late, timeout=30)
    assert refused.status_code == 404  # executed runs are read-only here
    assert refused.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
