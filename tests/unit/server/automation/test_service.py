"""TriggerService on a real platform (embedded store, local steps) with a ManualClock: cron ticks
come from advancing the clock, never from sleeping; drift and performance windows are handed to
``observe``; every firing is read back from the graph."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from server import definitions
from server.automation import Firing, Observation, TriggerService
from server.definitions.ui_document import to_graph
from server.errors import NotFoundError, TriggerError
from server.graph import queries
from server.graph.clock import ManualClock
from server.graph.namespaces import OL, PROV, RDF, run_iri
from server.platform import Platform, open_platform
from server.settings import Settings
from server.tracking.records import RunRecord
from tests.documents import grid_search_document, iris_document

T0 = datetime(2026, 3, 1, 10, 2, tzinfo=UTC)
MODEL = "iris-trig"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def platform(tmp_path: Path, clock: ManualClock) -> Iterator[Platform]:
    """A platform whose trigger loop is off: the tests tick it themselves."""
    settings = Settings.load({"data": tmp_path / "data", "triggers": False}, environ={})
    opened = open_platform(settings, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def slow(platform: Platform) -> str:
    """An experiment whose runs take seconds (a grid search) and register MODEL."""
    document = grid_search_document("slow")
    document["steps"][2]["parameters"]["model_name"] = MODEL
    definitions.submit(platform.store, to_graph(document))
    return "slow"


@pytest.fixture
def quick(platform: Platform) -> str:
    definitions.submit(platform.store, to_graph(iris_document("quick", estimator="GaussianNB")))
    return "quick"


def ended(platform: Platform, firing: Firing) -> None:
    assert firing.run_id is not None, firing
    assert platform.runs.wait(firing.run_id, 180), f"run {firing.run_id} did not end"


def drift(
    minute: int, share: float = 0.6, model: str = MODEL, deployment: str = "dep1"
) -> Observation:
    end = (T0 + timedelta(minutes=minute)).isoformat()
    evaluation = f"https://w3id.org/ontolab/id/evaluation/{deployment}/{minute}"
    return Observation(deployment, model, 1, end, share, ("petal_width",), {}, evaluation)


def test_a_schedule_fires_on_the_ticks_of_the_manual_clock(
    platform: Platform, clock: ManualClock, quick: str
) -> None:
    triggers = platform.triggers
    trigger = triggers.create(quick, {"kind": "schedule", "cron": "*/5 * * * *"})
    assert triggers.tick() == [], "10:02: the first tick is 10:05"
    clock.advance(120)
    assert triggers.tick() == [], "10:04"
    clock.advance(60)
    [firing] = triggers.tick()
    assert firing.outcome == "started" and firing.scheduled_for == T0.replace(minute=5)
    ended(platform, firing)
    clock.advance(27 * 60)  # 10:32: the ticks of 10:10 … 10:30 were missed; one firing, for 10:30
    [late] = triggers.tick()
    assert late.scheduled_for == T0.replace(minute=30) and late.outcome == "started"
    ended(platform, late)
    assert triggers.tick() == [], "10:32 again: nothing due until 10:35"

    recorded = triggers.firings(quick, trigger.id)
    assert [f.id for f in recorded] == [late.id, firing.id]
    assert recorded[1].run_id == firing.run_id and recorded[1].time == T0.replace(minute=5)
    assert platform.runs.wait(firing.run_id or "")
    # The run says what started it: the firing, a PROV activity in the trigger's graph.
    graph = _graph(platform, trigger.iri)
    node = graph.value(run_iri(firing.run_id or ""), PROV.wasInformedBy)
    assert (node, OL.firedBy, trigger.iri) in graph
    assert (node, RDF.type, PROV.Activity) in graph, "a PROV client finds it without a reasoner"
    assert (node, OL.startedRun, run_iri(firing.run_id or "")) in graph


def test_a_burst_of_100_drift_events_starts_exactly_one_run(platform: Platform, slow: str) -> None:
    triggers = platform.triggers
    trigger = triggers.create(slow, {"kind": "drift", "threshold": 0.3, "model": MODEL})
    finished: list[tuple[Firing, RunRecord]] = []
    triggers.on_run_finished(lambda firing, record: finished.append((firing, record)))
    fired: list[Firing] = []

    def send(first: int) -> None:  # four deployments, each its windows in order
        windows = (drift(minute, deployment=f"dep{first}") for minute in range(first, 100, 4))
        fired.extend(f for window in windows for f in triggers.observe(window))

    senders = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)

    started = [f for f in fired if f.outcome == "started"]
    assert len(fired) == 100 and len(started) == 1
    run_id = started[0].run_id
    assert {f.outcome for f in fired if f is not started[0]} == {"in_flight"}
    assert {f.in_flight_run for f in fired if f is not started[0]} == {run_id}
    ended(platform, started[0])
    assert len(triggers.firings(slow, trigger.id, limit=1000)) == 100
    assert [(f.id, r.run_id) for f, r in finished] == [(started[0].id, run_id)]
    assert finished[0][1].status == "succeeded"


def test_drift_fires_after_k_windows_in_a_row_of_a_watched_model(
    platform: Platform, quick: str
) -> None:
    triggers = platform.triggers
    trigger = triggers.create(
        quick, {"kind": "drift", "threshold": 0.3, "windows": 3, "model": MODEL}
    )
    assert triggers.observe(drift(1)) == [] and triggers.observe(drift(2)) == []
    assert triggers.observe(drift(3, model="other")) == [], "not a watched model"
    assert triggers.observe(drift(3, share=0.1)) == [], "under the threshold: the run breaks"
    assert triggers.observe(drift(4)) == [] and triggers.observe(drift(5)) == []
    [firing] = triggers.observe(drift(6, share=0.45))
    assert firing.outcome == "started" and firing.observed_value == 0.45
    assert firing.deployment == "dep1" and "3 window(s) in a row" in firing.detail
    ended(platform, firing)
    [read] = triggers.firings(quick, trigger.id)
    assert read.evaluation == drift(6).evaluation_iri and read.dataset_version is None
    assert read.window_end == T0 + timedelta(minutes=6) and read.observed_value == 0.45


def test_without_a_model_or_deployment_it_watches_the_experiments_own_models(
    platform: Platform, quick: str
) -> None:
    triggers = platform.triggers
    trigger = triggers.create(
        quick, {"kind": "performance", "metric": "accuracy", "threshold": 0.8}
    )
    assert trigger.direction == "below", "higher is better for accuracy"
    window = Observation("dep1", "quick", 1, T0.isoformat(), None, (), {"accuracy": 0.5})
    assert triggers.observe(window) == [], "no run of the experiment registered 'quick' yet"
    version = definitions.get_version(platform.store, quick)
    record = platform.runs.run(version)  # builds and registers the model "build"
    assert record.status == "succeeded"
    model = platform.registry.models()[0]["name"]
    window = Observation("dep1", model, 1, T0.isoformat(), None, (), {"accuracy": 0.5})
    [firing] = triggers.observe(window)
    assert firing.observed_value == 0.5 and "live accuracy 0.5 < 0.8" in firing.detail
    ended(platform, firing)


def test_debounce_and_cooldown_hold_back_runs(
    platform: Platform, clock: ManualClock, quick: str
) -> None:
    triggers = platform.triggers
    body = {"kind": "manual", "debounce_seconds": 60, "cooldown_seconds": 600}
    trigger = triggers.create(quick, body)
    first = triggers.fire(quick, trigger.id)
    assert first.outcome == "started"
    ended(platform, first)
    clock.advance(30)
    assert triggers.fire(quick, trigger.id).outcome == "debounced"
    clock.advance(61)  # 61 s after the debounced firing, 91 s after the run started
    cooled = triggers.fire(quick, trigger.id)
    assert cooled.outcome == "cooldown" and cooled.run_id is None
    clock.advance(600)
    again = triggers.fire(quick, trigger.id)
    assert again.outcome == "started" and again.run_id != first.run_id
    ended(platform, again)
    outcomes = [f.outcome for f in triggers.firings(quick, trigger.id)]
    assert outcomes == ["started", "cooldown", "debounced", "started"]


def test_another_process_picks_up_cooldown_and_schedule_from_the_graph(
    platform: Platform, clock: ManualClock, quick: str
) -> None:
    triggers = platform.triggers
    manual = triggers.create(quick, {"kind": "manual", "cooldown_seconds": 600})
    schedule = triggers.create(quick, {"kind": "schedule", "cron": "*/5 * * * *"})
    clock.advance(3 * 60)  # 10:05
    [ticked] = triggers.tick()
    ended(platform, ticked)
    started = triggers.fire(quick, manual.id)
    assert started.outcome == "started"
    ended(platform, started)
    # A second service on the same store: what a CLI or another platform process holds.
    other = TriggerService(platform.settings, platform.store, platform.runs, clock)
    clock.advance(60)
    held = other.fire(quick, manual.id)
    assert held.outcome == "cooldown", "the run the first service started is 60 s old"
    assert other.tick() == [], "10:06: the 10:05 tick was fired already, says the graph"
    clock.advance(4 * 60)  # 10:10
    [next_tick] = other.tick()
    assert next_tick.trigger_id == schedule.id
    assert next_tick.scheduled_for == T0.replace(minute=10)
    ended(platform, next_tick)


def test_a_run_of_the_experiment_in_flight_keeps_any_trigger_from_starting_another(
    platform: Platform, slow: str
) -> None:
    triggers = platform.triggers
    trigger = triggers.create(slow, {"kind": "manual"})
    running = platform.runs.start(definitions.get_version(platform.store, slow))
    held = triggers.fire(slow, trigger.id)
    assert held.outcome == "in_flight" and held.in_flight_run == running.run_id
    assert f"run {running.run_id} of 'slow' is in flight" in held.detail
    assert platform.runs.wait(running.run_id, 180)
    started = triggers.fire(slow, trigger.id)
    assert started.outcome == "started"
    ended(platform, started)


def test_a_new_dataset_version_fires_once(platform: Platform, quick: str) -> None:
    csv = b"a,b,target\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"
    first, _ = platform.datasets.upload("tiny", csv, "text/csv")
    triggers = platform.triggers
    trigger = triggers.create(quick, {"kind": "new_data", "dataset": "tiny"})
    assert trigger.baseline_version == 1
    assert triggers.tick() == [], "version 1 was there before the trigger"
    platform.datasets.upload("tiny", csv + b"9,10,x\n", "text/csv")
    second, _ = platform.datasets.upload("tiny", csv + b"11,12,y\n", "text/csv")
    [firing] = triggers.tick()
    assert firing.dataset_version == second.iri and firing.observed_value == 3
    assert "dataset 'tiny' version 3 appeared" in firing.detail
    ended(platform, firing)
    assert triggers.tick() == [], "version 3 is handled"
    [read] = triggers.firings(quick, trigger.id)
    assert read.dataset_version == second.iri and read.evaluation is None
    assert first.number == 1


def test_removed_triggers_stop_firing_and_keep_their_history(
    platform: Platform, clock: ManualClock, quick: str
) -> None:
    triggers = platform.triggers
    kept = triggers.create(quick, {"kind": "manual", "label": "by hand"})
    schedule = triggers.create(quick, {"kind": "schedule", "cron": "@hourly"})
    firing = triggers.fire(quick, kept.id)
    ended(platform, firing)
    triggers.remove(quick, schedule.id)
    assert [t.id for t in triggers.listing(quick)] == [kept.id]
    clock.advance(3600)
    assert triggers.tick() == []
    platform.delete_experiment(quick)
    with pytest.raises(NotFoundError):
        triggers.listing(quick)
    assert triggers._refresh() == [], "deleting the experiment took its triggers out of force"
    # The firing is still in the trigger's graph.
    assert (None, OL.firedBy, kept.iri) in _graph(platform, kept.iri)


def test_what_cannot_be_a_trigger_is_refused_and_nothing_is_stored(
    platform: Platform, quick: str
) -> None:
    triggers: TriggerService = platform.triggers
    with pytest.raises(NotFoundError, match="no experiment 'nope'"):
        triggers.create("nope", {"kind": "manual"})
    with pytest.raises(TriggerError, match="cron expression '99 \\* \\* \\* \\*' is malformed"):
        triggers.create(quick, {"kind": "schedule", "cron": "99 * * * *"})
    with pytest.raises(TriggerError, match="has no metric 'rmse'"):
        triggers.create(quick, {"kind": "performance", "metric": "rmse", "threshold": 1})
    with pytest.raises(TriggerError, match="unknown trigger kind 'sometimes'"):
        triggers.create(quick, {"kind": "sometimes"})
    with pytest.raises(TriggerError, match="breaks 2 rule") as caught:
        triggers.create(quick, {"kind": "drift", "threshold": "high", "windows": 0})
    assert {v.path for v in caught.value.violations} == {
        "ol:driftShareThreshold",
        "ol:consecutiveWindows",
    }
    assert triggers.listing(quick) == []


def _graph(platform: Platform, name: URIRef) -> Graph:
    graph = Graph()
    for row in queries.select(platform.store, "graph_triples", graph=str(name)):
        graph.add((row["s"], row["p"], row["o"]))
    return graph
