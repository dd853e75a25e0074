"""Prometheus metrics over real HTTP: the platform's /metrics and a deployment's /metrics."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_breast_cancer

from server import definitions
from server.app import create_app
from server.platform import open_platform
from server.settings import Settings
from tests.deployments import deploy, records

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 30


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[str]:
    """The platform over waitress, after one breast_cancer run (counted: the app came first)."""
    settings = Settings.load({"data": tmp_path_factory.mktemp("metrics") / "data"}, environ={})
    platform = open_platform(settings)
    with serve_app(create_app(platform=platform)) as url:
        text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
        version = definitions.submit(platform.store, definitions.parse(text)).version
        record = platform.runs.run(version)
        assert record.status == "succeeded", record.error
        yield url
    platform.close()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition text by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def promtool_check(text: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        return
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_platform_metrics_count_requests_by_route_and_status_and_runs(api: str) -> None:
    assert requests.get(f"{api}/api/health", timeout=TIMEOUT).status_code == 200
    assert requests.get(f"{api}/api/deployments/zzz", timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{api}/api/no/such/page", timeout=TIMEOUT).status_code == 404
    bad = requests.post(f"{api}/api/deployments", json={"version": 1}, timeout=TIMEOUT)
    assert bad.status_code == 400
    answer = requests.get(f"{api}/metrics", timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    requests_total = "ontolab_http_requests_total"
    assert value(text, requests_total, method="GET", route="/api/health", status="200") == 1
    route = "/api/deployments/<deployment_id>"
    assert value(text, requests_total, method="GET", route=route, status="404") == 1
    assert value(text, requests_total, method="GET", route="<unmatched>", status="404") == 1
    assert value(text, requests_total, method="POST", route="/api/deployments", status="400") == 1
    assert not any("zzz" in line or "/no/such" in line for line in text.splitlines())
    latency = "ontolab_http_request_duration_seconds_count"
    assert value(text, latency, method="GET", route="/api/health") == 1
    assert value(text, "ontolab_runs_finished_total", status="succeeded") == 1
    for phase in ("extract", "explore", "process", "build", "validate"):
        assert value(text, "ontolab_step_duration_seconds_count", phase=phase) == 1, phase
    promtool_check(text)


def test_deployment_metrics_count_predictions_by_class(api: str) -> None:
    info = deploy(api, model="breast-cancer-classifier", version=1)
    url = info["url"]
    rows = records(load_breast_cancer(as_frame=True).data, 40)
    predicted = requests.post(f"{url}/predict", json={"dataframe_records": rows}, timeout=TIMEOUT)
    predictions = predicted.json()["predictions"]
    one = requests.post(f"{url}/predict", json={"inputs": rows[0]}, timeout=TIMEOUT)
    assert one.status_code == 200
    bad = requests.post(f"{url}/predict", json={"dataframe_records": [{}]}, timeout=TIMEOUT)
    assert bad.status_code == 400

    text = requests.get(f"{url}/metrics", timeout=TIMEOUT).text
    for label in ("0", "1"):
        expected = predictions.count(int(label)) + (predictions[0] == int(label))
        assert value(text, "ontolab_model_predictions_total", **{"class": label}) == expected
    assert value(text, "ontolab_model_requests_total", endpoint="predict", status="200") == 2
    assert value(text, "ontolab_model_requests_total", endpoint="predict", status="400") == 1
    assert value(text, "ontolab_model_rows_per_request_count") == 2
    assert value(text, "ontolab_model_rows_per_request_sum") == 41
    assert value(text, "ontolab_model_request_duration_seconds_count", endpoint="predict") == 3
    assert (
        value(
            text,
            "ontolab_model_info",
            deployment=info["id"],
            model="breast-cancer-classifier",
            version="1",
            sha256=info["sha256"],
        )
        == 1
    )
    promtool_check(text)
