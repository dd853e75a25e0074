"""A run a crash left in flight reads interrupted after a restart, on every store; it was ended
by addition, cancel answers 409 saying so; no run of an experiment starts while it is deleted."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from rdflib import Literal, URIRef

from server import definitions
from server.definitions.ui_document import to_graph
from server.errors import NotFoundError, RunStateConflict
from server.graph import queries
from server.graph.namespaces import OL, run_iri, step_run_iri
from server.platform import Platform, open_platform
from server.settings import Settings
from server.tracking import catalog
from server.tracking.records import RunRecord, StepRecord
from server.tracking.results import run_triples
from server.tracking.writer import RunWriter
from tests.documents import quick_document

QUICK = quick_document()
UNKNOWN = "0123456789abcdef"


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Each store, reconciling at start (remote ones only do so when asked)."""
    return dataclasses.replace(store_settings, reconcile_runs="on")


def now() -> str:
    return datetime.now(UTC).isoformat()


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
        steps = {s["step_id"]: s for s in run["steps"]}
        assert {k: s["status"] for k, s in steps.items()} == dict.fromkeys(steps, "interrupted")
        assert steps["extract"]["error_message"] == "the platform stopped while this step ran"
        assert steps["extract"]["ended"] >= steps["extract"]["started"]
        assert steps["build"]["error_message"] == "the platform stopped before this step started"
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
    off = dataclasses.replace(settings, reconcile_runs="off")
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


def test_a_graph_that_says_running_from_before_statuses_were_final_is_replaced(
    settings: Settings,
) -> None:
    crashed = open_platform(settings, serve_deployments=False)
    record = in_flight(crashed, QUICK)
    run, status = URIRef(run_iri(record.run_id)), URIRef(OL.status)
    stated = [(run, status, Literal("running"))] + [
        (URIRef(step_run_iri(record.run_id, sid)), status, Literal(step.status))
        for sid, step in record.steps.items()
    ]
    crashed.store.replace_graph(run, [*run_triples(record), *stated])
    crashed.close()

    restarted = open_platform(settings, serve_deployments=False)
    try:
        run_rows = queries.select(restarted.store, "run_summary", run=str(run))
        assert [str(r["status"]) for r in run_rows] == ["interrupted"], "one status, final"
        steps = catalog.run_details(restarted.store, record.run_id)["steps"]
        assert [s["status"] for s in steps] == ["interrupted"] * len(record.steps)
    finally:
        restarted.close()


@pytest.mark.slow
def test_the_versions_of_a_run_deleted_mid_flight_go_with_it(platform: Platform) -> None:
    """What deleting an experiment does when a run it cancels had just registered a model."""
    version = definitions.submit(platform.store, to_graph(QUICK)).version
    # Another model under the same name: the same bytes again would be version 1 once more.
    other = quick_document()
    other["steps"][-1]["hyper_parameters"] = {"var_smoothing": 1e-8}
    other_version = definitions.submit(platform.store, to_graph(other)).version
    kept, racing = platform.runs.run(version), platform.runs.run(other_version)
    registry = platform.registry
    registry.set_alias("quick-build", "challenger", 2)
    assert registry.forget_runs([racing]) == ["quick-build/v2"]
    entry = registry.model("quick-build")
    assert [v.run_id for v in entry.versions] == [kept.run_id]
    assert entry.aliases == {}, "no alias points at a version that is gone"
    assert registry.forget_runs([kept]) == ["quick-build/v1"]
    with pytest.raises(NotFoundError, match="no model named .quick-build. is registered"):
        registry.model("quick-build")
