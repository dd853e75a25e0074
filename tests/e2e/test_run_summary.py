"""The run page's summary in Chromium: a failed run says why at the top (error, step, log);
every run shows its metrics, parameters, thresholds and registered version; the artifact
browser previews tables, JSON and the profile. Real runs, one of them failing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.documents import iris_document

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 120
Shot = Callable[[Any, str], None]


def _run(page: Any, server_url: str, finished_run: Any, identifier: str, minimum: float) -> str:
    """Store an iris experiment with an explore step, run it to its end and open its page; the
    run id."""
    document = iris_document(
        identifier, model=f"{identifier}-model", hyper={"C": 0.5}, min_accuracy=minimum
    )
    document["steps"].insert(
        1, {"id": "explore", "type": "DataExploration", "consumes": ["extract"]}
    )
    stored = requests.post(f"{server_url}/api/experiments", json=document, timeout=30)
    assert stored.status_code == 201, stored.text
    started = requests.post(f"{server_url}/api/runs", json={"experiment": identifier}, timeout=30)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    finished_run(server_url, run_id, RUN_TIMEOUT)
    page.goto(f"/runs/{run_id}")
    return run_id


def test_a_run_shows_its_summary_and_previews_its_artifacts(
    page: Any, server_url: str, finished_run: Any, screenshot: Shot
) -> None:
    _run(page, server_url, finished_run, "summary_e2e", 0.5)
    summary = page.get_by_role("region", name="Run summary")
    metrics = summary.get_by_role("table", name="Run metrics")
    expect(metrics.locator("tr", has_text="accuracy")).to_have_count(1)
    expect(summary.get_by_role("table", name="Run parameters")).to_contain_text("C")
    check = summary.get_by_role("table", name="Threshold checks").locator("tbody tr")
    expect(check).to_have_count(1)
    expect(check).to_have_attribute("data-passed", "true")
    expect(check).to_contain_text("≥ 0.5")
    assert page.get_by_role("alert", name="Why the run failed").count() == 0

    browser = page.get_by_role("list", name="Run artifacts")
    browser.get_by_role("button", name="dataset", exact=True).click()
    rows = page.get_by_role("table", name="Artifact rows")
    expect(rows.locator("thead th", has_text="target")).to_have_count(1)
    expect(rows.locator("tbody tr")).to_have_count(20)
    expect(page.get_by_test_id("preview-truncated")).to_contain_text("20 of 150 rows")

    browser.get_by_role("button", name="report", exact=True).click()
    expect(page.get_by_label("Artifact text")).to_contain_text('"accuracy"')

    browser.get_by_role("button", name="profile", exact=True).click()
    expect(page.get_by_role("table", name="Columns").locator("tbody tr")).to_have_count(5)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "run-summary")

    summary.get_by_role("link", name="summary_e2e-model v1").click()
    page.wait_for_url("**/models/summary_e2e-model")


def test_a_failed_run_says_why_at_the_top_with_its_log(
    page: Any, server_url: str, finished_run: Any, screenshot: Shot
) -> None:
    run_id = _run(page, server_url, finished_run, "strict_e2e", 0.9999)
    failure = page.get_by_role("alert", name="Why the run failed")
    expect(failure).to_contain_text("Run failed at step validate")
    expect(failure).to_contain_text("accuracy")
    expect(failure).to_contain_text("0.9999")
    check = page.get_by_role("table", name="Threshold checks").locator("tbody tr")
    expect(check).to_have_attribute("data-passed", "false")
    raw = failure.get_by_role("link", name="raw log")
    href = raw.get_attribute("href")
    assert href == f"/api/runs/{run_id}/steps/validate/log"
    log = requests.get(f"{server_url}{href}", timeout=30)
    assert log.status_code == 200 and "ThresholdError" in log.text
    failure.get_by_role("button", name="Show the log of validate").click()
    expect(page).to_have_url(re.compile(r"\?step=validate$"))
    expect(page.get_by_label("step log")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "run-failed")
