"""Runs that never existed: cancel and resume answer 404; deleting an experiment with a run in
flight cancels the run first and leaves no run graph or model version behind."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from server.graph.namespaces import run_iri
from tests.documents import grid_search_document

#: Its build searches a grid of random forests: seconds of work, long enough to act meanwhile.
SLOW_BUILD = grid_search_document("slow", validate=False)
UNKNOWN = "0123456789abcdef"


def test_cancel_and_resume_of_an_unknown_run_are_404(live_server: Any) -> None:
    for action in ("cancel", "resume"):
        for run_id in (UNKNOWN, "not-a-run"):
            reply = requests.post(live_server(f"/api/runs/{run_id}/{action}"), timeout=10)
            assert reply.status_code == 404, (action, run_id, reply.text)
            assert "list runs with `ontolab runs list`" in reply.json()["detail"]


def wait_for_step(url: str, run_id: str, step_id: str, status: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = requests.get(f"{url}/api/runs/{run_id}", timeout=10).json()
        if {s["step_id"]: s["status"] for s in run["steps"]}.get(step_id) == status:
            return
        assert run["status"] == "running", f"the run ended before {step_id} was {status}: {run}"
        time.sleep(0.05)
    raise AssertionError(f"step {step_id} of run {run_id} was not {status} within 120 s")


@pytest.mark.slow
def test_deleting_an_experiment_mid_run_cancels_the_run_and_leaves_nothing_half_there(
    live_server: Any,
) -> None:
    requests.post(live_server("/api/experiments"), json=SLOW_BUILD, timeout=30)
    started = requests.post(live_server("/api/runs"), json={"experiment": "slow"}, timeout=30)
    run_id = started.json()["run_id"]
    wait_for_step(live_server.url, run_id, "build", "running")
    running = requests.post(live_server(f"/api/runs/{run_id}/resume"), timeout=10)
    assert running.status_code == 409 and "is still running" in running.json()["detail"]

    deleted = requests.delete(live_server("/api/experiments/slow"), timeout=60)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {
        "identifier": "slow",
        "deleted_versions": 1,
        "deleted_runs": 1,
        "cancelled_runs": [run_id],
        "removed_model_versions": [],
    }
    assert live_server.platform.runs.active() == [], "the run ended before its graph went"
    time.sleep(0.5)  # anything still writing would show up now
    store = live_server.platform.store
    assert not store.ask(f"ASK {{ GRAPH <{run_iri(run_id)}> {{ ?s ?p ?o }} }}"), "no orphan graph"
    assert requests.get(live_server(f"/api/runs/{run_id}"), timeout=10).status_code == 404
    models = requests.get(live_server("/api/models"), timeout=10).json()["models"]
    assert models == [], "a cancelled run registers no model version"
    gone = requests.post(live_server(f"/api/runs/{run_id}/cancel"), timeout=10)
    assert gone.status_code == 404
