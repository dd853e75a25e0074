"""Runs that ended or never existed: cancel and resume answer 404 / 409 clearly; a run a crash
left in flight reads interrupted after a restart; deleting an experiment with a run in flight
cancels the run first and leaves no run graph or model version behind."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from server import catalog, definitions, queries
from server.errors import NotFoundError, RunStateConflict
from server.namespaces import run_iri
from server.pipeline_document import to_graph
from server.platform import Platform, open_platform
from server.records import RunRecord, StepRecord
from server.run_writer import RunWriter
from server.settings import Settings

QUICK: dict[str, Any] = {
    "id": "quick",
    "task": "classification",
    "steps": [
        {
            "id": "extract",
            "type": "DataExtraction",
            "parameters": {"source": "sklearn:iris", "targetColumn": "target"},
        },
        {"id": "process", "type": "DataProcessing", "consumes": ["extract"]},
        {
            "id": "build",
            "type": "ModelBuilding",
            "consumes": ["process"],
            "parameters": {"estimator": "GaussianNB"},
        },
    ],
}
#: Its build searches a grid of random forests: seconds of work, long enough to act meanwhile.
SLOW_BUILD: dict[str, Any] = {
    **QUICK,
    "id": "slow",
    "steps": [
        *QUICK["steps"][:2],
        {
            "id": "build",
            "type": "ModelBuilding",
            "consumes": ["process"],
            "parameters": {
                "estimator": "RandomForestClassifier",
                "randomSeed": 1,
                "searchStrategy": "grid",
                "searchFolds": 2,
            },
            "searchSpace": {"n_estimators": [60, 120], "max_depth": [2, 3]},
        },
    ],
}
UNKNOWN = "0123456789abcdef"


def now() -> str:
    return datetime.now(UTC).isoformat()


def test_cancel_and_resume_of_an_unknown_run_are_404(live_server: Any) -> None:
    for action in ("cancel", "resume"):
        for run_id in (UNKNOWN, "not-a-run"):
            reply = requests.post(live_server(f"/api/runs/{run_id}/{action}"), timeout=10)
            assert reply.status_code == 404, (action, run_id, reply.text)
            assert "list runs with `ontolab runs list`" in reply.json()["detail"]


def in_flight(platform: Platform, document: dict[str, Any]) -> RunRecord:
    """A run as a crash leaves it: started, extract running, the other steps pending."""
    version = definitions.submit(platform.store, to_graph(document)).version
    pipeline, plan = platform.runs.plan(version)
    steps = {
        sid: StepRecord(sid, p.phase, p.definition.iri, None, dict(p.inputs), p.depends_on)
        for sid, p in plan.steps.items()
    }
    steps["extract"].status, steps["extract"].started_at = "running", now()
    return RunRecord(uuid.uuid4().hex[:16], pipeline, "local", now(), steps)


def graph(platform: Platform, run_id: str) -> set[tuple[str, str, str]]:
    rows = queries.select(platform.store, "graph_triples", graph=str(run_iri(run_id)))
    return {(str(r["s"]), str(r["p"]), str(r["o"])) for r in rows}


def test_a_restart_marks_a_run_left_in_flight_interrupted_by_addition(settings: Settings) -> None:
    crashed = open_platform(settings, serve_deployments=False)
    record = in_flight(crashed, QUICK)
    RunWriter(crashed.store).write(record)
    before = graph(crashed, record.run_id)
    assert catalog.run_details(crashed.store, record.run_id)["status"] == "running"
    crashed.close()  # what a crash leaves: the graph says running, no process runs it

    restarted = open_platform(settings, serve_deployments=False)
    try:
        run = catalog.run_details(restarted.store, record.run_id)
        assert run["status"] == "interrupted"
        assert run["error"].startswith("the platform stopped while the run was in flight")
        assert run["error"].endswith(f"POST /api/runs/{record.run_id}/resume")
        assert run["ended"] >= run["started"]
        steps = {s["stepId"]: s for s in run["steps"]}
        assert {k: s["status"] for k, s in steps.items()} == dict.fromkeys(steps, "interrupted")
        assert steps["extract"]["errorMessage"] == "the platform stopped while this step ran"
        assert steps["extract"]["ended"] >= steps["extract"]["started"]
        assert steps["build"]["errorMessage"] == "the platform stopped before this step started"
        assert "started" not in steps["build"] and "ended" not in steps["build"]
        assert before < graph(restarted, record.run_id), "the run graph only grew"
        assert not queries.select(restarted.store, "runs_in_flight")

        with pytest.raises(RunStateConflict, match=r"it was interrupted at .*; resume it with"):
            restarted.runs.cancel(record.run_id)
        with pytest.raises(NotFoundError, match="no run"):
            restarted.runs.cancel(UNKNOWN)
        assert restarted.runs.reconcile() == [], "an interrupted run is final: marked once"
    finally:
        restarted.close()


def test_reconciling_is_off_on_a_shared_store_unless_asked(settings: Settings) -> None:
    crashed = open_platform(settings, serve_deployments=False)
    record = in_flight(crashed, QUICK)
    RunWriter(crashed.store).write(record)
    crashed.close()
    off = Settings.load({"data": settings.data, "reconcile_runs": "off"}, environ={})
    kept = open_platform(off, serve_deployments=False)
    try:
        assert catalog.run_details(kept.store, record.run_id)["status"] == "running"
        with pytest.raises(RunStateConflict, match="this platform is not running it"):
            kept.runs.resume(record.run_id)
    finally:
        kept.close()


def test_no_run_of_an_experiment_starts_while_it_is_deleted(platform: Platform) -> None:
    version = definitions.submit(platform.store, to_graph(QUICK)).version
    with platform.runs.stopped("quick") as stopped:
        assert stopped == []
        with pytest.raises(RunStateConflict, match="'quick' is being deleted, so no run"):
            platform.runs.start(version)
        with pytest.raises(RunStateConflict, match="already being deleted"):
            with platform.runs.stopped("quick"):
                pass
    assert not catalog.list_runs(platform.store, "quick")


def wait_for_step(url: str, run_id: str, step_id: str, status: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = requests.get(f"{url}/api/runs/{run_id}", timeout=10).json()
        if {s["stepId"]: s["status"] for s in run["steps"]}.get(step_id) == status:
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
