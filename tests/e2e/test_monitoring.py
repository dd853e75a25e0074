"""The monitoring page of a deployment in Chromium: a breast_cancer model deployed from the
Models page is sent training-like traffic, then drifted traffic (every feature scaled by 1.6)
with its true labels as feedback; the page shows the drift share, the drifted features first
and highlighted, the live accuracy, the windows over time and the request log.

Before (issue 21): there was no monitoring page; /deployments/ID/monitoring was "No page here".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sklearn.datasets import load_breast_cancer

pytestmark = pytest.mark.browser

MODEL = "breast-cancer-classifier"
RUN_TIMEOUT = 180
TIMEOUT = 30
LOGGED_WITHIN = 20.0  # seconds the log writer may take on a busy machine (not a speed check)
BATCH = 20

Shot = Callable[[Any, str], None]


def _send(url: str, rows: list[dict[str, float]]) -> str:
    answer = requests.post(url, json={"dataframe_records": rows}, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["request_id"])


def _wait_logged(server_url: str, deployment_id: str, request_id: str) -> None:
    url = f"{server_url}/api/deployments/{deployment_id}/predictions?limit=1000"
    deadline = time.monotonic() + LOGGED_WITHIN
    while time.monotonic() < deadline:
        logged = requests.get(url, timeout=TIMEOUT).json()["predictions"]
        if request_id in {p["request_id"] for p in logged}:
            return
        time.sleep(0.1)
    raise AssertionError(f"request {request_id} was not logged within {LOGGED_WITHIN:g} s")


def _trained(server_url: str, finished_run: Any, examples: Path) -> None:
    """One succeeded run of examples/breast_cancer.ttl: version 1 of MODEL is registered."""
    stored = requests.post(
        f"{server_url}/api/experiments",
        data=(examples / "breast_cancer.ttl").read_text(),
        headers={"Content-Type": "text/turtle"},
        timeout=TIMEOUT,
    )
    assert stored.status_code == 201, stored.text
    started = requests.post(
        f"{server_url}/api/runs", json={"experiment": "breast_cancer"}, timeout=TIMEOUT
    )
    assert started.status_code == 202, started.text
    run = finished_run(server_url, started.json()["run_id"], RUN_TIMEOUT)
    assert run["status"] == "succeeded", run


def _deploy_and_open_monitoring(page: Any) -> tuple[str, str]:
    """Deploy v1 from the Models page and follow its link: (deployment id, predict URL)."""
    page.goto(f"/models/{MODEL}")
    versions = page.get_by_role("table", name="Model versions")
    versions.get_by_role("button", name="Deploy v1").click()
    endpoint = page.locator(".deployment-url").first
    endpoint.wait_for(timeout=60_000)
    predict = endpoint.inner_text()
    page.get_by_role("link", name=re.compile(r"^Monitoring of ")).click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+/monitoring$"))
    page.get_by_role("link", name=MODEL).wait_for()
    return page.url.split("/")[-2], predict


def _assert_drifted_first(page: Any, drift: dict[str, Any]) -> None:
    """The feature table: the drifted features first, highlighted, with their badge."""
    drifted, features = len(drift["drifted_features"]), len(drift["features"])
    table = page.get_by_role("table", name="Feature drift")
    radius = table.get_by_role("row").filter(has_text=re.compile(r"^mean radius"))
    expect(radius).to_have_class(re.compile(r"\bdrifted\b"))
    expect(radius).to_contain_text("drifted")
    highlighted = table.locator("tbody tr.drifted")
    assert highlighted.count() == drifted
    body_rows = table.locator("tbody tr")
    expect(body_rows.first).to_have_class(re.compile(r"\bdrifted\b"))
    expect(body_rows.nth(drifted - 1)).to_have_class(re.compile(r"\bdrifted\b"))
    if drifted < features:
        expect(body_rows.nth(drifted)).not_to_have_class(re.compile(r"\bdrifted\b"))


def test_the_monitoring_page_shows_drift_and_live_performance(
    page: Any, server_url: str, finished_run: Any, examples: Path, screenshot: Shot
) -> None:
    _trained(server_url, finished_run, examples)
    deployment_id, predict = _deploy_and_open_monitoring(page)
    page.locator(".notice").filter(has_text="no logged request in this window").wait_for()

    bunch = load_breast_cancer(as_frame=True)
    rows = [{str(k): float(v) for k, v in r.items()} for _, r in bunch.data.iterrows()]
    truth = [int(t) for t in bunch.target]

    # Training-like traffic: a calm window, and no feedback yet.
    for start in range(0, 200, BATCH):
        last = _send(predict, rows[start : start + BATCH])
    _wait_logged(server_url, deployment_id, last)
    page.get_by_label("Window kind").select_option("last")
    page.get_by_label("Window value").fill("200")
    page.get_by_role("button", name="Evaluate window").click()
    page.wait_for_url(re.compile(r"\?window=last(%3A|:)200$"))
    share = page.get_by_test_id("drift-share")
    expect(share).to_contain_text("no drift", timeout=TIMEOUT * 1000)
    expect(page.get_by_test_id("live-performance")).to_contain_text("no feedback yet")
    calm_rows = page.get_by_role("table", name="Feature drift").locator("tr.drifted")
    assert calm_rows.count() == 0

    # Drifted traffic, and the true labels of those requests as feedback.
    labelled: list[dict[str, Any]] = []
    for start in range(200, 400, BATCH):
        moved = [{k: v * 1.6 for k, v in r.items()} for r in rows[start : start + BATCH]]
        sent = _send(predict, moved)
        labelled.append({"request_id": sent, "label": truth[start : start + BATCH]})
    _wait_logged(server_url, deployment_id, labelled[-1]["request_id"])
    feedback = requests.post(
        f"{server_url}/api/deployments/{deployment_id}/feedback",
        json={"feedback": labelled},
        timeout=TIMEOUT,
    )
    assert feedback.status_code == 200, feedback.text

    page.get_by_role("button", name="Evaluate now").click()
    expect(share.locator(".badge.status-drift")).to_have_text("drift", timeout=TIMEOUT * 1000)
    expect(page.get_by_test_id("live-performance")).to_contain_text("accuracy")
    now = requests.get(
        f"{server_url}/api/deployments/{deployment_id}/monitoring?window=last:200", timeout=TIMEOUT
    ).json()  # the same window: the page's figures, and no new record
    drift, live = now["drift"], now["performance"]
    assert drift["verdict"] == "drift" and "mean radius" in drift["drifted_features"]
    expect(share).to_contain_text(f"{drift['drift_share'] * 100:.0f}%")
    drifted, features = len(drift["drifted_features"]), len(drift["features"])
    expect(share).to_contain_text(f"{drifted} of {features} features drifted")
    assert live["labelled_rows"] == 200
    live_card = page.get_by_test_id("live-performance")
    expect(live_card).to_contain_text("(200 labelled rows)")
    expect(live_card).to_contain_text(f"{live['metrics']['accuracy']:.4f}")
    expect(live_card).to_contain_text(f"{live['metrics']['f1']:.4f}")

    _assert_drifted_first(page, drift)

    # Over windows: the calm and the drifted window are recorded, charted; the log has feedback.
    for chart in ("drift share over windows", "live performance over windows"):
        page.get_by_role("img", name=chart).locator("canvas").first.wait_for()
    page.get_by_role("img", name="feature drift over windows").locator("canvas").first.wait_for()
    history = requests.get(
        f"{server_url}/api/deployments/{deployment_id}/monitoring/history", timeout=TIMEOUT
    ).json()["evaluations"]
    assert {h["drift_detected"] for h in history if h["window"]["spec"] == "last:200"} == {
        True,
        False,
    }
    log = page.get_by_role("table", name="Request log")
    newest = log.get_by_role("row").filter(has_text=labelled[-1]["request_id"])
    expect(newest.locator("td").nth(5)).to_have_text(", ".join(str(t) for t in truth[380:400]))
    screenshot(page, "monitoring")

    # A window the API refuses is shown with its reason, and the page stays usable.
    page.get_by_label("Window value").fill("0")
    page.get_by_role("button", name="Evaluate window").click()
    page.get_by_role("alert").filter(has_text="from 1 to").wait_for()
    page.get_by_role("button", name="last:1000").click()
    summary = page.get_by_role("group", name="Current window")
    expect(summary).to_contain_text("400 rows", timeout=TIMEOUT * 1000)
    assert page.get_by_role("alert").count() == 0
