"""Drift and live performance of a real deployment over HTTP: a deployed breast_cancer model
is sent training-like traffic, then drifted traffic (features scaled), then feedback; the
platform's API, its /metrics and the graph's history tell each window apart.

Before (issue 21): ``GET /api/deployments/ID/monitoring`` and ``…/monitoring/history`` were 404
and /metrics had no ``ontolab_deployment_*`` series.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from sklearn.datasets import load_breast_cancer

from tests.conftest import assert_problem
from tests.integration.conftest import example_served
from tests.integration.http.test_prediction_log import MODEL, Served

TIMEOUT = 30
LOGGED_WITHIN = 20.0  # seconds the log writer may take on a busy machine (not a speed check)


@dataclass
class Monitored(Served):
    """The deployment helpers of the prediction log's tests, and the true classes."""

    truth: list[int] = field(default_factory=list)
    last_request: str | None = None  # the id of the last request sent

    def request(self, deployment: dict[str, Any], rows: list[dict[str, float]]) -> str:
        """Predict ``rows``; the answer's request id."""
        self.last_request = str(self.predict(deployment, rows).json()["request_id"])
        return self.last_request

    def monitoring(self, deployment_id: str, query: str = "", **params: str) -> requests.Response:
        url = f"{self.api}/api/deployments/{deployment_id}/monitoring{query}"
        return requests.get(url, params=params, timeout=TIMEOUT)

    def evaluate(self, deployment_id: str, window: str, rows: int) -> dict[str, Any]:
        """The window's evaluation once the log holds the last request sent (asked once: each
        evaluation of a window not seen before is recorded)."""
        deadline = time.monotonic() + LOGGED_WITHIN
        url = f"{self.api}/api/deployments/{deployment_id}/predictions"
        while time.monotonic() < deadline:
            newest = requests.get(url, params={"limit": "1"}, timeout=TIMEOUT).json()
            if [e["request_id"] for e in newest["predictions"]] == [self.last_request]:
                break
            time.sleep(0.05)
        answer = self.monitoring(deployment_id, window=window)
        assert answer.status_code == 200, answer.text
        found = dict(answer.json())
        assert found["window"]["rows"] >= rows, found["window"]
        return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    data = tmp_path_factory.mktemp("monitoring") / "data"
    with example_served(data, "breast_cancer", monitor_interval=0) as (platform, api):
        bunch = load_breast_cancer(as_frame=True)
        rows = [{str(k): float(v) for k, v in r.items()} for _, r in bunch.data.iterrows()]
        yield Monitored(platform, api, rows, [int(t) for t in bunch.target])


def scaled(rows: list[dict[str, float]], factor: float) -> list[dict[str, float]]:
    return [{k: v * factor for k, v in r.items()} for r in rows]


def test_drifted_traffic_is_detected_and_recorded_per_window(served: Monitored) -> None:
    deployment = served.deploy()
    ident = deployment["id"]
    for start in range(0, 200, 20):
        served.request(deployment, served.rows[start : start + 20])
    calm = served.evaluate(ident, "last:200", 200)
    assert calm["window"]["rows"] == 200 and calm["window"]["kind"] == "last"
    assert calm["drift"]["verdict"] == "no_drift"
    assert calm["performance"]["labelled_rows"] == 0
    assert calm["performance"]["note"].startswith("no feedback yet")

    for start in range(200, 400, 20):
        served.request(deployment, scaled(served.rows[start : start + 20], 1.6))
    moved = served.evaluate(ident, "last:200", 200)
    assert moved["window"]["start"] > calm["window"]["end"]  # only the drifted requests
    assert moved["drift"]["verdict"] == "drift" and moved["drift"]["drift_share"] >= 0.5
    assert "mean radius" in moved["drift"]["drifted_features"]
    since = served.evaluate(ident, f"since:{calm['window']['start']}", 400)
    assert since["window"]["rows"] == 400 and since["window"]["kind"] == "since"
    assert served.evaluate(ident, "duration:1h", 400)["window"]["rows"] == 400

    metrics = requests.get(f"{served.api}/metrics", timeout=TIMEOUT).text
    labels = f'deployment="{ident}",model="{MODEL}",version="1"'
    assert f"ontolab_deployment_drift_detected{{{labels}}} 1.0" in metrics  # the last window's
    assert f"ontolab_deployment_window_rows{{{labels}}} 400.0" in metrics
    assert "ontolab_deployment_feature_psi{" in metrics

    again = served.evaluate(ident, "last:200", 200)  # the same window: no second node
    assert again["evaluation"] == moved["evaluation"]
    history = requests.get(
        f"{served.api}/api/deployments/{ident}/monitoring/history", timeout=TIMEOUT
    ).json()["evaluations"]
    assert len(history) == 3  # calm, moved, and the 400 rows (since and duration: one window)
    assert history[-1]["evaluation"] == calm["evaluation"]
    assert {h["evaluation"] for h in history} >= {calm["evaluation"], moved["evaluation"]}
    drifted = [h for h in history if h["evaluation"] == moved["evaluation"]][0]
    assert drifted["drift_detected"] is True
    assert drifted["drifted_features"] == sorted(moved["drift"]["drifted_features"])


def test_feedback_gives_live_accuracy(served: Monitored) -> None:
    deployment = served.deploy()
    ids = [served.request(deployment, [row]) for row in served.rows[:30]]
    first = served.evaluate(deployment["id"], "last:30", 30)
    assert first["performance"]["metrics"] == {}
    answer = requests.post(
        f"{served.api}/api/deployments/{deployment['id']}/feedback",
        json={
            "feedback": [
                {"request_id": i, "label": t} for i, t in zip(ids, served.truth[:30], strict=True)
            ]
        },
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    scored = served.evaluate(deployment["id"], "last:30", 30)
    performance = scored["performance"]
    assert performance["labelled_rows"] == 30 and performance["note"] is None
    assert 0.8 <= performance["metrics"]["accuracy"] <= 1.0  # the model's own answers, scored
    assert 0.0 < performance["metrics"]["f1"] <= 1.0
    # the same rows, now with feedback: a second node, so the graph keeps the live figures
    assert scored["evaluation"] != first["evaluation"]
    history = requests.get(
        f"{served.api}/api/deployments/{deployment['id']}/monitoring/history", timeout=TIMEOUT
    ).json()["evaluations"]
    assert [h["performance"]["labelled_rows"] for h in history] == [30, 0]
    assert history[0]["performance"]["metrics"] == performance["metrics"]


def test_a_deployment_without_a_log_or_traffic_gets_a_clear_answer(served: Monitored) -> None:
    quiet = served.deploy()
    empty = served.monitoring(quiet["id"], "?window=last:100").json()
    assert empty["window"]["rows"] == 0 and empty["drift"] is None
    assert "no logged request in this window" in empty["drift_note"]
    assert empty["evaluation"] is None
    off = served.deploy(prediction_log=False)
    served.request(off, served.rows[:3])
    answer = served.monitoring(off["id"]).json()
    assert answer["window"]["spec"] == "last:1000"  # the configured default
    assert answer["drift"] is None and "keeps no prediction log" in answer["drift_note"]
    history = requests.get(
        f"{served.api}/api/deployments/{off['id']}/monitoring/history", timeout=TIMEOUT
    )
    assert history.status_code == 200 and history.json()["evaluations"] == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("?window=last:0", "from 1 to 100000"),
        ("?window=last:many", "from 1 to 100000"),
        ("?window=since:yesterday", "not an ISO 8601 time"),
        ("?window=duration:2w", "unit s, m, h or d"),
        ("?window=everything", "is not a window"),
        ("?window=first:10", "not a kind of window"),
        ("?window=last:10&limit=3", "unknown query parameter"),
    ],
)
def test_bad_windows_are_400_and_change_nothing(
    served: Monitored, query: str, fragment: str
) -> None:
    deployment = served.deploy()
    served.request(deployment, served.rows[:5])
    assert_problem(served.monitoring(deployment["id"], query), 400, fragment)
    history = requests.get(
        f"{served.api}/api/deployments/{deployment['id']}/monitoring/history", timeout=TIMEOUT
    )
    assert history.json()["evaluations"] == []


def test_unknown_deployments_and_bad_limits(served: Monitored) -> None:
    assert_problem(served.monitoring("0123456789ab"), 404, "no deployment")
    assert_problem(served.monitoring("not-an-id"), 404, "not a deployment id")
    history = f"{served.api}/api/deployments/0123456789ab/monitoring/history"
    assert_problem(requests.get(history, timeout=TIMEOUT), 404, "no deployment")
    deployment = served.deploy()
    url = f"{served.api}/api/deployments/{deployment['id']}/monitoring/history"
    for limit in ("0", "1001", "x"):
        assert_problem(requests.get(f"{url}?limit={limit}", timeout=TIMEOUT), 400, "limit")


def test_the_routes_are_in_the_openapi_document(served: Monitored) -> None:
    paths = requests.get(f"{served.api}/api/openapi.json", timeout=TIMEOUT).json()["paths"]
    evaluate = paths["/api/deployments/{deployment_id}/monitoring"]["get"]
    assert {p["name"] for p in evaluate["parameters"]} == {"deployment_id", "window"}
    assert set(evaluate["responses"]) == {"200", "400", "404"}
    assert "/api/deployments/{deployment_id}/monitoring/history" in paths
