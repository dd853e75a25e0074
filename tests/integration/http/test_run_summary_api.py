"""A run's summary over real HTTP: threshold checks and registered versions in its details,
and bounded previews of the artifacts it recorded (and of nothing else)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from tests.conftest import assert_problem, wait_for_run
from tests.documents import iris_document


def _explored(identifier: str, min_accuracy: float) -> dict[str, Any]:
    document = iris_document(identifier, model=f"{identifier}-model", min_accuracy=min_accuracy)
    document["steps"].insert(
        1, {"id": "explore", "type": "DataExploration", "consumes": ["extract"]}
    )
    return document


def _run(live_server: Any, document: dict[str, Any]) -> dict[str, Any]:
    stored = requests.post(live_server("/api/experiments"), json=document, timeout=30)
    assert stored.status_code == 201, stored.text
    started = requests.post(
        live_server("/api/runs"), json={"experiment": document["id"]}, timeout=30
    )
    assert started.status_code == 202, started.text
    return wait_for_run(live_server.url, started.json()["run_id"])


def _preview(live_server: Any, run_id: str, sha256: str, **args: Any) -> requests.Response:
    return requests.get(
        live_server(f"/api/runs/{run_id}/artifacts/{sha256}/preview"), params=args, timeout=30
    )


@pytest.fixture
def finished(live_server: Any) -> dict[str, Any]:
    return _run(live_server, _explored("summary_ok", 0.5))


@pytest.mark.slow
def test_details_carry_threshold_checks_and_the_registered_version(
    live_server: Any, finished: dict[str, Any]
) -> None:
    assert finished["status"] == "succeeded", finished
    (check,) = finished["thresholds"]
    assert (check["step_id"], check["metric"], check["min"]) == ("validate", "accuracy", 0.5)
    assert check["passed"] is True and check["value"] >= 0.5
    accuracy = next(m["value"] for m in finished["metrics"] if m["metric"] == "accuracy")
    assert check["value"] == pytest.approx(accuracy)
    assert finished["model_versions"] == [{"name": "summary_ok-model", "number": 1, "passed": True}]


@pytest.mark.slow
def test_previews_show_tables_json_and_the_profile_bounded(
    live_server: Any, finished: dict[str, Any]
) -> None:
    run_id = finished["run_id"]
    by_kind = {a["kind"]: a for a in finished["artifacts"]}
    dataset = _preview(live_server, run_id, by_kind["dataset"]["sha256"], rows=5)
    assert dataset.status_code == 200, dataset.text
    table = dataset.json()
    assert table["preview"] == "table" and table["kind"] == "dataset"
    assert "target" in table["columns"] and len(table["rows"]) == 5
    assert table["total_rows"] == 150 and table["truncated"] is True
    assert all(len(row) == len(table["columns"]) for row in table["rows"])

    profile = _preview(live_server, run_id, by_kind["profile"]["sha256"]).json()
    assert profile["preview"] == "json" and profile["truncated"] is False
    assert {c["name"] for c in profile["value"]["columns"]} >= {"target"}
    assert profile["text"].startswith("{\n  ")  # pretty-printed

    report = _preview(live_server, run_id, by_kind["report"]["sha256"]).json()
    assert report["preview"] == "json" and report["step_id"] == "validate"

    model = _preview(live_server, run_id, by_kind["model"]["sha256"]).json()
    assert model["preview"] == "none" and "download" in model["reason"]


@pytest.mark.slow
def test_a_failed_run_says_which_step_failed_and_why(live_server: Any) -> None:
    failed = _run(live_server, _explored("summary_strict", 0.9999))
    assert failed["status"] == "failed"
    assert "validate" in failed["error"] and "accuracy" in failed["error"]
    step = next(s for s in failed["steps"] if s["step_id"] == "validate")
    assert step["status"] == "failed" and "0.9999" in step["error_message"]
    (check,) = failed["thresholds"]
    assert check["passed"] is False and check["min"] == 0.9999
    log = requests.get(live_server(f"/api/runs/{failed['run_id']}/steps/validate/log"), timeout=30)
    assert log.status_code == 200


@pytest.mark.slow
def test_a_preview_reads_only_what_the_run_recorded(
    live_server: Any, finished: dict[str, Any]
) -> None:
    run_id = finished["run_id"]
    body = b'{"secret": true}'
    other = hashlib.sha256(body).hexdigest()
    put = requests.put(live_server(f"/api/artifacts/{other}"), data=body, timeout=30)
    assert put.status_code == 201  # stored, but no run recorded it
    assert_problem(_preview(live_server, run_id, other), 404, "recorded no artifact", other)
    assert_problem(_preview(live_server, run_id, "abc"), 400, "not an artifact checksum")
    escaped = requests.get(
        live_server(f"/api/runs/{run_id}/artifacts/..%2F..%2Fstore/preview"), timeout=30
    )
    assert escaped.status_code in (400, 404) and "secret" not in escaped.text
    sha = finished["artifacts"][0]["sha256"]
    assert_problem(_preview(live_server, "0123456789abcdef", sha), 404, "no run")
    for rows in ("0", "201", "many", "-1"):
        assert_problem(_preview(live_server, run_id, sha, rows=rows), 400, "rows must be")
