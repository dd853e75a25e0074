"""The run view offers "Explore data" only for a run that has an explore step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.documents import quick_document

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 120


def run_to_the_end(server_url: str, finished_run: Any, **body: Any) -> str:
    started = requests.post(f"{server_url}/api/runs", json=body, timeout=30)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    assert finished_run(server_url, run_id, RUN_TIMEOUT)["status"] == "succeeded"
    return run_id


def test_explore_is_offered_only_for_runs_with_an_explore_step(
    page: Any, server_url: str, finished_run: Any, examples: Path
) -> None:
    with_explore = requests.post(
        f"{server_url}/api/experiments",
        data=(examples / "iris.ttl").read_text(),
        headers={"Content-Type": "text/turtle"},
        timeout=30,
    )
    assert with_explore.status_code == 201, with_explore.text
    without = requests.post(f"{server_url}/api/experiments", json=quick_document(), timeout=30)
    assert without.status_code == 201, without.text
    explored = run_to_the_end(server_url, finished_run, experiment="iris")
    plain = run_to_the_end(server_url, finished_run, experiment="quick")

    page.goto(f"/runs/{explored}")
    page.get_by_role("button", name="Run again").wait_for()
    page.get_by_role("link", name="Explore data").click()
    page.wait_for_url(f"**/explore?run={explored}")

    page.goto(f"/runs/{plain}")
    page.get_by_role("button", name="Run again").wait_for()
    assert page.get_by_role("link", name="Explore data").count() == 0
