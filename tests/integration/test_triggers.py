"""Triggers end to end on the embedded store: the platform's own trigger loop, driven by a
ManualClock, fires a schedule trigger and a new-dataset-version trigger of the iris example
(reading an uploaded dataset), each starts a real run, and each firing is in the graph with the
run it started."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from server.app import create_app
from server.graph import queries
from server.graph.clock import ManualClock
from server.graph.namespaces import run_iri
from server.graph.terms import plain_row
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.conftest import serving, wait_for_run

T0 = datetime(2026, 3, 1, 10, 2, tzinfo=UTC)
TIMEOUT = 30
DATASET = "iris_upload"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def served(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[str, Platform]]:
    settings = Settings.load({"data": tmp_path / "data"}, environ={})
    platform = open_platform(settings, clock=clock)  # the trigger loop runs, on the clock
    try:
        with serving(create_app(platform=platform)) as url:
            yield url, platform
    finally:
        platform.close()


def iris_csv(extra_rows: int = 0) -> bytes:
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame = frame.sample(frac=1.0, random_state=extra_rows)  # another version: other bytes
    return frame.to_csv(index=False).encode()


def upload(url: str, data: bytes) -> dict[str, Any]:
    answer = requests.post(
        f"{url}/api/datasets?name={DATASET}",
        data=data,
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert answer.status_code == 201, answer.text
    version: dict[str, Any] = answer.json()
    return version


def first_firing(url: str, trigger: dict[str, Any], seconds: float = 60) -> dict[str, Any]:
    """The trigger's newest firing, once the loop (its own thread) has recorded one."""
    firings = f"{url}/api/experiments/iris/triggers/{trigger['id']}/firings"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = requests.get(firings, timeout=TIMEOUT).json()["firings"]
        if found:
            newest: dict[str, Any] = found[0]
            return newest
        time.sleep(0.1)
    raise AssertionError(f"trigger {trigger['id']} did not fire in {seconds:g} s")


def recorded(platform: Platform, trigger: dict[str, Any]) -> list[dict[str, Any]]:
    rows = queries.select(platform.store, "trigger_firings", trigger=trigger["iri"])
    return [plain_row(row) for row in rows]


@pytest.mark.slow
def test_schedule_and_new_data_triggers_start_real_runs_recorded_in_the_graph(
    served: tuple[str, Platform], clock: ManualClock, examples: Path
) -> None:
    url, platform = served
    upload(url, iris_csv())
    definition = (examples / "iris.ttl").read_text()
    definition = definition.replace('"sklearn:iris"', f'"dataset:{DATASET}"')
    answer = requests.post(
        f"{url}/api/experiments",
        data=definition,
        headers={"Content-Type": "text/turtle"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    triggers = f"{url}/api/experiments/iris/triggers"

    schedule = requests.post(
        triggers, json={"kind": "schedule", "cron": "*/10 * * * *"}, timeout=TIMEOUT
    ).json()
    clock.advance(8 * 60)  # 10:10, a tick: the loop wakes on the clock, not on a sleep
    firing = first_firing(url, schedule)
    assert firing["outcome"] == "started", firing
    assert firing["scheduled_for"] == "2026-03-01T10:10:00+00:00"
    assert wait_for_run(url, firing["run_id"], 300)["status"] == "succeeded"
    [row] = recorded(platform, schedule)
    assert row["run"] == str(run_iri(firing["run_id"])) and row["outcome"] == "started"

    new_data = requests.post(
        triggers, json={"kind": "new_data", "dataset": DATASET}, timeout=TIMEOUT
    ).json()
    assert new_data["baseline_version"] == 1
    second = upload(url, iris_csv(extra_rows=1))  # the upload wakes the loop
    firing = first_firing(url, new_data)
    assert firing["outcome"] == "started", firing
    assert firing["dataset_version"] == second["iri"] and firing["observed_value"] == 2
    assert wait_for_run(url, firing["run_id"], 300)["status"] == "succeeded"
    [row] = recorded(platform, new_data)
    assert row["run"] == str(run_iri(firing["run_id"])) and row["dataset_version"] == second["iri"]
    read = queries.select(platform.store, "run_dataset_versions", run=row["run"])
    assert {str(r["dataset"]) for r in read} == {second["iri"]}, "the run read the new version"


@pytest.mark.slow
def test_the_triggers_commands(ontolab: Any, examples: Path) -> None:
    submitted = ontolab("submit", str(examples / "breast_cancer.ttl"))
    assert submitted.returncode == 0, submitted.stderr

    bad = ontolab("triggers", "add", "breast_cancer", "schedule", "--cron", "61 * * * *")
    assert bad.returncode == 1
    assert "cron expression '61 * * * *' is malformed" in bad.stderr

    added = ontolab("triggers", "add", "breast_cancer", "manual", "--cooldown", "3600")
    assert added.returncode == 0, added.stderr
    trigger_id = added.stdout.split()[1]
    assert "by hand" in added.stdout
    drift = ontolab(
        "triggers", "add", "breast_cancer", "drift", "--threshold", "0.3", "--windows", "3"
    )
    assert drift.returncode == 0, drift.stderr
    listed = ontolab("triggers", "list", "breast_cancer")
    assert trigger_id in listed.stdout
    assert "drift share >= 0.3, 3 window(s) in a row, its models" in listed.stdout

    fired = ontolab("triggers", "fire", "breast_cancer", trigger_id)
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith("started: fired by hand; started run ")
    assert "succeeded" in fired.stdout and "accuracy" in fired.stdout
    cooled = ontolab("triggers", "fire", "breast_cancer", trigger_id)
    assert cooled.returncode == 0 and cooled.stdout.startswith("cooldown: ")

    firings = ontolab("triggers", "firings", "breast_cancer", trigger_id)
    outcomes = [line.split()[1] for line in firings.stdout.splitlines()[1:]]
    assert outcomes == ["cooldown", "started"], firings.stdout

    removed = ontolab("triggers", "remove", "breast_cancer", trigger_id)
    assert removed.returncode == 0, removed.stderr
    assert trigger_id not in ontolab("triggers", "list", "breast_cancer").stdout
