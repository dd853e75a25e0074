"""The shipped alerting rules (deploy/prometheus/ontolab-alerts.yml) in a real Prometheus:
they load without error, and a deployment fed drifted traffic raises the drift alert.

The platform runs its periodic evaluator every second over the last 100 logged rows; each
batch of drifted requests makes a new window, and three drifted windows in a row set
``ontolab_deployment_drift_streak`` to 3, which ``OntolabDataDrift`` compares. Prometheus is
the one from tests/integration/test_prometheus.py (installed the same way, stopped by its pid).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.datasets import load_breast_cancer

from tests.integration.conftest import example_served
from tests.integration.test_prometheus import (
    SCRAPE_DEADLINE,
    poll,
    prometheus_binaries,
    query,
    running_prometheus,
    scrape_config,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "ontolab-alerts.yml"
MODEL = "breast-cancer-classifier"
TIMEOUT = 30
ALERTS = {
    "OntolabDataDrift",
    "OntolabDriftShareHigh",
    "OntolabLivePerformanceDrop",
    "OntolabLiveErrorRise",
    "OntolabDeploymentDown",
    "OntolabMonitoringStale",
    "OntolabPlatformErrorRate",
    "OntolabModelErrorRate",
}


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The platform with one deployment of breast_cancer, monitored every second."""
    data = tmp_path_factory.mktemp("alerts") / "data"
    monitored = {"monitor_interval": 1.0, "monitor_window": "last:100"}
    with example_served(data, "breast_cancer", **monitored) as (_, api):
        answer = requests.post(
            f"{api}/api/deployments", json={"model": MODEL, "version": 1}, timeout=TIMEOUT
        )
        assert answer.status_code == 201, answer.text
        frame = load_breast_cancer(as_frame=True).data
        rows = [{str(k): float(v) * 1.6 for k, v in r.items()} for _, r in frame.iterrows()]
        yield {"api": api, "deployment": answer.json(), "rows": rows}


@pytest.fixture(scope="module")
def prometheus(drifting: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("prometheus-alerts")
    config = scrape_config({"platform": drifting["api"]}) + f"rule_files:\n  - '{RULES}'\n"
    with running_prometheus(workdir, config) as url:
        yield url


def test_promtool_accepts_the_rules() -> None:
    _, promtool = prometheus_binaries()
    if promtool is None:
        pytest.skip("promtool is not installed with this prometheus package")
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout


def test_the_rules_load_and_evaluate_without_error(prometheus: str) -> None:
    deadline = time.monotonic() + SCRAPE_DEADLINE

    def evaluated() -> list[dict[str, Any]] | None:
        groups = requests.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return rules if rules and all(r["health"] == "ok" for r in rules) else None

    rules = poll(deadline, evaluated)
    assert {r["name"] for r in rules} == ALERTS
    assert all(r["type"] == "alerting" and not r.get("lastError") for r in rules)


def test_drifted_traffic_raises_the_drift_alert(prometheus: str, drifting: dict[str, Any]) -> None:
    deployment = drifting["deployment"]
    rows: list[dict[str, float]] = drifting["rows"]
    sent = 0

    def alert() -> list[dict[str, Any]] | None:
        nonlocal sent
        batch = [rows[(sent + i) % len(rows)] for i in range(25)]  # each batch: a new window
        requests.post(
            f"{deployment['url']}/predict", json={"dataframe_records": batch}, timeout=TIMEOUT
        ).raise_for_status()
        sent += len(batch)
        found = requests.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        drift = [a for a in found if a["labels"]["alertname"] == "OntolabDataDrift"]
        return drift or None

    # three evaluator passes, a scrape and a rule evaluation: well within a minute
    raised = poll(time.monotonic() + SCRAPE_DEADLINE + 30, alert)
    assert raised[0]["state"] in ("pending", "firing")
    labels = raised[0]["labels"]
    assert labels["deployment"] == deployment["id"] and labels["model"] == MODEL
    assert labels["severity"] == "warning"
    share = query(prometheus, f'ontolab_deployment_drift_share{{deployment="{deployment["id"]}"}}')
    assert float(share[0]["value"][1]) >= 0.5
    up = query(prometheus, f'ontolab_deployment_up{{deployment="{deployment["id"]}"}}')
    assert float(up[0]["value"][1]) == 1


def test_promtool_accepts_the_exposition_with_monitoring_series(
    prometheus: str, drifting: dict[str, Any]
) -> None:
    _, promtool = prometheus_binaries()
    if promtool is None:
        pytest.skip("promtool is not installed with this prometheus package")
    text = requests.get(f"{drifting['api']}/metrics", timeout=TIMEOUT).text
    assert "ontolab_deployment_feature_psi{" in text  # the evaluator has run
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
