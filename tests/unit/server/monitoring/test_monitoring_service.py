"""Window evaluations of a deployment's prediction log against a real model version's
reference profile, recorded in the embedded store: once per window, valid against the shapes,
read back as history, as gauges and as listener events.

The deployment here is a prediction log folder written with the log's own writer format
(``entry_line``, ``write_meta``) and real feedback (``feedback.record``); the served version is
the breast_cancer example's, built by a real run. Deployments over HTTP are in
tests/integration/http/test_monitoring.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from rdflib import Graph
from sklearn.datasets import load_breast_cancer

from server import definitions
from server.errors import NotFoundError, WindowError
from server.monitoring import feedback
from server.monitoring.evaluation import Watched, WindowEvaluated
from server.monitoring.evaluation_record import monitoring_graph
from server.monitoring.prediction_log import PREDICTIONS, LogConfig, entry_line, write_meta
from server.monitoring.service import MonitoringService
from server.platform import Platform, open_platform
from server.settings import Settings
from tests.shapes import assert_conforms

ROOT = Path(__file__).resolve().parents[4]
MODEL = "breast-cancer-classifier"


@dataclass
class LogFolders:
    """Deployments as monitoring sees them: prediction log folders (``DeploymentSource``)."""

    known: dict[str, Watched] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)

    def watched(self, deployment_id: str) -> Watched:
        if deployment_id not in self.known:
            raise NotFoundError(f"no deployment {deployment_id!r}")
        return self.known[deployment_id]

    def watching(self) -> list[Watched]:
        return list(self.known.values())

    def healthy(self, deployment_id: str) -> bool:
        return deployment_id not in self.down


@dataclass
class Built:
    platform: Platform
    rows: list[dict[str, float]]
    classes: list[int]
    root: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("monitoring")
    settings = Settings.load({"data": root / "data", "monitor_interval": 0}, environ={})
    platform = open_platform(settings, serve_deployments=False)
    text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    version = definitions.submit(platform.store, definitions.parse(text)).version
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error
    frame = load_breast_cancer(as_frame=True).data
    rows = [{str(k): float(v) for k, v in r.items()} for _, r in frame.iterrows()]
    yield Built(platform, rows, [0, 1], root)
    platform.close()


def make_deployment(built: Built, name: str, *, model: str = MODEL, log: bool = True) -> Watched:
    directory = built.root / name
    directory.mkdir()
    write_meta(
        directory,
        {"task": "classification", "classes": built.classes, "features": list(built.rows[0])},
    )
    iri = f"https://w3id.org/ontolab/id/deployment/{name}"
    version_iri = f"https://w3id.org/ontolab/id/model/{model}/version/1"
    return Watched(name, iri, model, 1, version_iri, directory, log)


def log_requests(watched: Watched, rows: list[dict[str, float]], prefix: str, size: int) -> None:
    """Append requests of ``size`` rows each, as a model server's writer does."""
    with (watched.directory / PREDICTIONS).open("ab") as handle:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            body = {"dataframe_records": chunk}
            predictions = [int(r["mean radius"] < 15) for r in chunk]
            handle.write(entry_line(time.time(), f"{prefix}-{start}", body, predictions))


def shifted(rows: list[dict[str, float]], factor: float) -> list[dict[str, float]]:
    return [{k: v * factor for k, v in r.items()} for r in rows]


def service_for(built: Built, source: LogFolders) -> MonitoringService:
    p = built.platform
    return MonitoringService(p.settings, p.store, p.artifacts, p.registry, source)


def watch_one(built: Built, name: str) -> tuple[Watched, MonitoringService, list[WindowEvaluated]]:
    """One deployment, a service watching it and the events its listener got."""
    watched = make_deployment(built, name)
    service = service_for(built, LogFolders({watched.id: watched}))
    events: list[WindowEvaluated] = []
    service.add_listener(events.append)
    return watched, service, events


def evaluation_count(platform: Platform, watched: Watched) -> int:
    rows = platform.store.select(
        "PREFIX ol: <https://w3id.org/ontolab/ns#> SELECT (COUNT(?e) AS ?n) "
        f"WHERE {{ GRAPH <{monitoring_graph(watched)}> {{ ?e a ol:WindowEvaluation }} }}"
    )
    return int(rows[0]["n"])


def test_a_window_is_evaluated_and_recorded_once(built: Built) -> None:
    watched, service, events = watch_one(built, "aaa111")
    log_requests(watched, built.rows[:300], "calm", 10)

    first = service.evaluate(watched.id, "last:200")
    assert first.rows == 200 and first.bounds is not None
    assert first.bounds.first_request == "calm-100" and first.bounds.last_request == "calm-290"
    assert first.drift is not None and first.drift.verdict == "no_drift"
    assert first.performance.labelled == 0
    assert first.to_json()["performance"]["note"].startswith("no feedback yet")
    assert first.recorded and first.evaluation_iri
    again = service.evaluate(watched.id, "last:200")
    assert again.evaluation_iri == first.evaluation_iri and not again.recorded
    assert evaluation_count(built.platform, watched) == 1
    assert [e.evaluation_iri for e in events] == [first.evaluation_iri]  # listeners: new only
    assert events[0].drift_share == first.drift.drift_share and events[0].rows == 200

    wider = service.evaluate(watched.id, "duration:1h")
    assert wider.rows == 300 and wider.recorded
    assert evaluation_count(built.platform, watched) == 2


def test_drifted_traffic_is_seen_and_told(built: Built) -> None:
    watched, service, events = watch_one(built, "bbb222")
    log_requests(watched, built.rows[:200], "calm", 20)
    assert service.evaluate(watched.id, "last:200").drift.verdict == "no_drift"  # type: ignore[union-attr]
    log_requests(watched, shifted(built.rows[200:400], 1.6), "moved", 20)
    moved = service.evaluate(watched.id, "last:200")
    assert moved.drift is not None and moved.drift.verdict == "drift"
    assert moved.drift.drift_share >= 0.5
    event = events[-1]
    assert event.drift_share == moved.drift.drift_share
    assert (
        set(event.drifted_features) == set(moved.drift.drifted)
        and "mean radius" in event.drifted_features
    )
    with pytest.raises(AttributeError):
        event.drift_share = 0.0  # type: ignore[misc]  # frozen: listeners cannot change it

    registry = CollectorRegistry()
    registry.register(service.gauges)
    text = generate_latest(registry).decode()
    labels = f'deployment="{watched.id}",model="{MODEL}",version="1"'
    assert f"ontolab_deployment_drift_share{{{labels}}} {moved.drift.drift_share}" in text
    assert f"ontolab_deployment_drift_detected{{{labels}}} 1.0" in text
    assert f"ontolab_deployment_drift_streak{{{labels}}} 1.0" in text
    assert f"ontolab_deployment_window_rows{{{labels}}} 200.0" in text
    feature = f'deployment="{watched.id}",feature="mean radius",model="{MODEL}",version="1"'
    assert f"ontolab_deployment_feature_drifted{{{feature}}} 1.0" in text
    assert f"ontolab_deployment_evaluations_total{{{labels}}} 2.0" in text

    log_requests(watched, shifted(built.rows[400:440], 1.6), "more", 20)
    service.evaluate(watched.id, "last:200")
    assert service.gauges.streak(watched.id) == 2


def test_feedback_gives_live_performance_and_history_reads_it_back(built: Built) -> None:
    watched = make_deployment(built, "ccc333")
    service = service_for(built, LogFolders({watched.id: watched}))
    log_requests(watched, built.rows[:40], "req", 1)
    truth = load_breast_cancer().target[:40]
    config = LogConfig(True, 1.0, 2, 10)
    items = [feedback.Feedback(f"req-{i}", [int(truth[i])], int(truth[i])) for i in range(30)]
    feedback.record(watched.directory, items, config)

    evaluation = service.evaluate(watched.id, "last:40")
    predictions = [int(r["mean radius"] < 15) for r in built.rows[:30]]
    expected = sum(p == t for p, t in zip(predictions, truth[:30], strict=True)) / 30
    assert evaluation.performance.labelled == 30
    assert evaluation.performance.metrics["accuracy"] == pytest.approx(expected)

    history = service.history(watched.id, 10)
    assert len(history) == 1
    entry = history[0]
    assert entry["evaluation"] == evaluation.evaluation_iri
    assert entry["window"]["rows"] == 40 and entry["window"]["spec"] == "last:40"
    assert entry["performance"]["labelled_rows"] == 30
    assert entry["performance"]["metrics"]["accuracy"] == pytest.approx(expected)
    assert evaluation.drift is not None
    assert entry["drift_share"] == pytest.approx(evaluation.drift.drift_share)
    assert len(entry["features"]) == 30
    assert sorted(entry["drifted_features"]) == sorted(evaluation.drift.drifted)


def test_the_recorded_graph_conforms_to_the_shapes(built: Built) -> None:
    watched = make_deployment(built, "ddd444")
    service = service_for(built, LogFolders({watched.id: watched}))
    log_requests(watched, shifted(built.rows[:100], 1.3), "x", 5)
    service.evaluate(watched.id, "last:100")
    data = Graph()
    graph = monitoring_graph(watched)
    for triple in built.platform.store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    ):
        data.add(triple)
    assert len(data) > 300
    assert_conforms(data)


def test_no_log_no_rows_no_version_are_said_and_write_nothing(built: Built) -> None:
    off = make_deployment(built, "eee555", log=False)
    empty = make_deployment(built, "fff666")
    gone = make_deployment(built, "aaa777", model="no-such-model")
    service = service_for(built, LogFolders({w.id: w for w in (off, empty, gone)}))
    answer = service.evaluate(off.id, "last:10")
    assert answer.rows == 0 and answer.drift is None and answer.evaluation_iri is None
    assert "keeps no prediction log" in (answer.drift_note or "")
    answer = service.evaluate(empty.id, "duration:1h")
    assert answer.rows == 0 and "no logged request in this window" in (answer.drift_note or "")
    log_requests(gone, built.rows[:20], "g", 10)
    answer = service.evaluate(gone.id, "last:20")
    assert (
        answer.rows == 20 and answer.drift is None and "no-such-model" in (answer.drift_note or "")
    )
    assert answer.recorded  # the window is recorded without drift figures, with the reason
    assert evaluation_count(built.platform, off) == 0
    assert evaluation_count(built.platform, empty) == 0
    with pytest.raises(NotFoundError):
        service.evaluate("nothere", "last:10")
    with pytest.raises(WindowError):
        service.evaluate(empty.id, "last:0")


def test_the_periodic_pass_evaluates_running_deployments_and_stops(built: Built) -> None:
    watched = make_deployment(built, "abcabc")
    other = make_deployment(built, "defdef")
    source = LogFolders({w.id: w for w in (watched, other)}, down={other.id})
    p = built.platform
    settings = Settings.load(
        {"data": built.root / "data", "monitor_interval": 0.05, "monitor_window": "last:50"},
        environ={},
    )
    service = MonitoringService(settings, p.store, p.artifacts, p.registry, source)
    events: list[WindowEvaluated] = []
    service.add_listener(events.append)
    log_requests(watched, built.rows[:50], "tick", 10)
    service.start()
    try:
        deadline = time.monotonic() + 30
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.close()
    assert [e.deployment_id for e in events] == [watched.id]  # once: the window did not move
    registry = CollectorRegistry()
    registry.register(service.gauges)
    text = generate_latest(registry).decode()
    up = 'ontolab_deployment_up{{deployment="{}",model="{}",version="1"}} {}'
    assert up.format(other.id, MODEL, "0.0") in text
    assert up.format(watched.id, MODEL, "1.0") in text
    source.known.pop(other.id)
    service.tick()
    assert other.id not in generate_latest(registry).decode()  # not watched: its series go


def test_a_bad_configured_window_names_the_setting(built: Built) -> None:
    p = built.platform
    settings = Settings.load({"data": built.root / "data", "monitor_window": "last:x"}, environ={})
    with pytest.raises(Exception, match="ONTOLAB_MONITOR_WINDOW"):
        MonitoringService(settings, p.store, p.artifacts, p.registry, LogFolders())
    with pytest.raises(Exception, match="ONTOLAB_MONITOR_INTERVAL"):
        Settings.load({"monitor_interval": -1}, environ={})
