"""TrackedRuns against the embedded store: runs recorded from code the platform did not execute."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from server.errors import NotFoundError, RunStateConflict, TrackedRunEnded, TrackingInputError
from server.graph import queries
from server.graph.namespaces import run_iri
from server.platform import Platform, open_platform
from server.runs.tracked import MetricPoint, TrackedRun, experiment_identifier
from server.settings import Settings
from server.tracking import catalog
from server.tracking.run_index import Selection, select


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    opened = open_platform(settings, serve_deployments=False)
    yield opened
    opened.close()


def _model_bytes() -> bytes:
    features, target = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(features, target)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def test_a_run_logs_batches_with_metric_history(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn", name="first", tags={"team": "a"})
    assert len(run.run_id) == 32 and run.status == "running" and run.experiment_id == "churn"
    tracked.log(
        run.run_id,
        params={"lr": 0.1, "depth": "3"},
        metrics=[MetricPoint("loss", 1.0, 0, 1000), MetricPoint("loss", 0.5, 1, 2000)],
        tags={"team": "b"},
        batch_id="b1",
    )
    after = tracked.log(run.run_id, metrics=[MetricPoint("loss", float("nan"), 2)])
    assert after.params == {"lr": "0.1", "depth": "3"}
    assert after.tags == {"team": "b"}
    assert [p.value for p in after.metrics["loss"]][:2] == [1.0, 0.5]
    assert math.isnan(after.metrics["loss"][2].value)
    assert after.metrics["loss"][2].timestamp is not None  # stamped when it arrived


def test_a_resent_batch_adds_nothing(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn")
    tracked.log(run.run_id, metrics=[MetricPoint("loss", 1.0)], batch_id="b1")
    again = tracked.log(run.run_id, metrics=[MetricPoint("loss", 1.0)], batch_id="b1")
    assert len(again.metrics["loss"]) == 1


def test_the_run_is_the_same_after_a_restart_and_stays_open(settings: Settings) -> None:
    first = open_platform(settings, serve_deployments=False)
    run = first.tracked.start("Churn model (v2)", name="n")
    first.tracked.log(
        run.run_id,
        params={"lr": "0.1"},
        metrics=[MetricPoint("loss", 1.0, 0, 10), MetricPoint("acc", 0.7, 3, 20)],
        tags={"k": "v"},
        batch_id="x",
    )
    first.tracked.log_artifact(run.run_id, "plots/loss.txt", b"points")
    before = first.tracked.get(run.run_id)
    first.close()

    second = open_platform(settings, serve_deployments=False)  # reconciles runs in flight
    try:
        again = second.tracked.get(run.run_id)
        assert again.status == "running"  # not interrupted: its client is still sending
        assert again == before
        assert again.experiment == "Churn model (v2)"
        assert again.experiment_id == experiment_identifier("Churn model (v2)")
        logged = second.tracked.log(
            run.run_id, metrics=[MetricPoint("loss", 0.5, 1, 30)], batch_id="x"
        )
        assert len(logged.metrics["loss"]) == 1  # batch x was received before the restart
        ended = second.tracked.end(run.run_id, "failed")
        assert ended.status == "failed" and ended.ended_at
    finally:
        second.close()


def test_the_run_is_in_the_graph_like_a_native_run(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn")
    tracked.log(
        run.run_id,
        params={"lr": "0.1"},
        metrics=[MetricPoint("loss", v, i, i) for i, v in enumerate([3.0, 2.0, 1.0])],
    )
    tracked.log_artifact(run.run_id, "notes.txt", io.BytesIO(b"hello"))
    tracked.end(run.run_id)
    details = catalog.run_details(platform.store, run.run_id)
    assert details["status"] == "succeeded"
    assert {m["metric"]: m["value"] for m in details["metrics"]} == {"loss": 1.0}
    assert details["hyperparameters"][0]["name"] == "lr"
    assert any(a["kind"] == "file" and a["size"] == 5 for a in details["artifacts"])
    points = platform.store.select_values(
        "PREFIX ol: <https://w3id.org/ontolab/ns#> SELECT ?v WHERE { GRAPH ?g { "
        f"?p a ol:MetricPoint ; ol:metricName 'loss' ; <http://www.w3.org/ns/mls#hasValue> ?v "
        f"}} VALUES ?g {{ <{run_iri(run.run_id)}> }} }}"
    )
    assert sorted(float(p["v"]) for p in points) == [1.0, 2.0, 3.0]
    total, page = select(platform.store, Selection(experiment="churn"))
    assert total == 1 and page[0].run_id == run.run_id
    assert page[0].metrics["loss"] == 1.0 and page[0].status == "succeeded"


def test_a_logged_model_enters_the_registry_and_serves(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("iris-tracked")
    version = tracked.log_model(run.run_id, "iris-lr", _model_bytes())
    assert (version.name, version.number, version.run_id) == ("iris-lr", 1, run.run_id)
    tracked.end(run.run_id)
    entry = platform.registry.model("iris-lr")
    assert entry.task == "classification"
    row = {
        "sepal length (cm)": 5.1,
        "sepal width (cm)": 3.5,
        "petal length (cm)": 1.4,
        "petal width (cm)": 0.2,
    }
    answer = platform.serving.predict("iris-lr", {"records": [row]})
    assert answer["predictions"] == [0]


def test_an_unfitted_or_unreadable_model_is_refused(platform: Platform) -> None:
    run = platform.tracked.start("iris-tracked")
    with pytest.raises(TrackingInputError, match="cannot be read"):
        platform.tracked.log_model(run.run_id, "m", b"not a pickle")
    buffer = io.BytesIO()
    joblib.dump(LogisticRegression(), buffer)
    with pytest.raises(TrackingInputError, match="not a fitted"):
        platform.tracked.log_model(run.run_id, "m", buffer.getvalue())
    with pytest.raises(TrackingInputError, match="not a model name"):
        platform.tracked.log_model(run.run_id, "Bad Name", _model_bytes())


def test_logging_to_an_ended_run_is_refused(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn")
    tracked.end(run.run_id)
    assert tracked.end(run.run_id).status == "succeeded"  # the same end again: no change
    with pytest.raises(TrackedRunEnded, match=rf"run {run.run_id} ended at .*start a new run"):
        tracked.log(run.run_id, metrics=[MetricPoint("loss", 1.0)])
    with pytest.raises(TrackedRunEnded):
        tracked.log_artifact(run.run_id, "a.txt", b"x")
    with pytest.raises(TrackedRunEnded):
        tracked.end(run.run_id, "failed")
    assert TrackedRunEnded.status == 409


def test_bad_input_is_refused_and_nothing_is_written(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn")
    tracked.log(run.run_id, params={"lr": "0.1"})
    with pytest.raises(TrackingInputError, match="metric 'loss' has value 'abc'.*not a number"):
        tracked.log(run.run_id, metrics=[MetricPoint("loss", "abc")])  # type: ignore[arg-type]
    with pytest.raises(TrackingInputError, match="param 'lr' was logged as '0.1'"):
        tracked.log(run.run_id, params={"lr": "0.2"}, metrics=[MetricPoint("ok", 1.0)])
    for path in ("/etc/passwd", "../up.txt", "a/../../b"):
        with pytest.raises(TrackingInputError, match="absolute or climbs out"):
            tracked.log_artifact(run.run_id, path, b"x")
    assert tracked.get(run.run_id).metrics == {}  # the refused batch wrote nothing
    assert TrackingInputError.status == 400
    tracked.log(run.run_id, params={"lr": "0.1"})  # the same value again is fine


def test_unknown_runs_are_not_found(platform: Platform) -> None:
    with pytest.raises(NotFoundError, match="no tracked run"):
        platform.tracked.get("0" * 32)
    with pytest.raises(NotFoundError):
        platform.tracked.log("0" * 32, params={"a": "1"})
    with pytest.raises(NotFoundError, match="not a run id"):
        platform.tracked.get("nope")


def test_artifacts_are_content_addressed_and_listed(platform: Platform) -> None:
    tracked = platform.tracked
    run = tracked.start("churn")
    ref = tracked.log_artifact(run.run_id, "out/a.txt", b"same")
    other = tracked.log_artifact(run.run_id, "out/b.txt", b"same")
    assert ref.sha256 == other.sha256
    assert platform.artifacts.path(ref.sha256).read_bytes() == b"same"
    assert [p for p, _ in tracked.list_artifacts(run.run_id, "out/")] == ["out/a.txt", "out/b.txt"]
    assert tracked.artifact(run.run_id, "./out/a.txt") == ref
    with pytest.raises(NotFoundError, match="no artifact 'out/c.txt'"):
        tracked.artifact(run.run_id, "out/c.txt")


def test_record_writes_a_finished_run_once(platform: Platform) -> None:
    tracked = platform.tracked
    run = TrackedRun(
        run_id="ab" * 16,
        experiment="imported",
        experiment_id="",
        name="old",
        status="succeeded",
        started_at="2024-01-01T00:00:00+00:00",
        ended_at="2024-01-01T01:00:00+00:00",
        params={"a": "1"},
        tags={"t": "v"},
        metrics={"m": [MetricPoint("m", 1.0, 0, 5), MetricPoint("m", 2.0, 1, 6)]},
        source="import",
    )
    assert tracked.record(run) is True
    assert tracked.record(run) is False
    stored = tracked.get(run.run_id)
    assert stored.metrics == run.metrics and stored.params == run.params
    assert stored.started_at == run.started_at and stored.status == "succeeded"
    rows = queries.select(platform.store, "graph_triples", graph=str(run_iri(run.run_id)))
    again = TrackedRun(**{**run.__dict__, "params": {"b": "2"}})
    assert tracked.record(again) is False
    assert len(
        queries.select(platform.store, "graph_triples", graph=str(run_iri(run.run_id)))
    ) == len(rows)
    # an imported run takes a registered model after it ended
    version = tracked.log_model(run.run_id, "imported-model", _model_bytes())
    assert version.run_id == run.run_id


def test_starting_with_a_taken_run_id_conflicts(platform: Platform) -> None:
    run = platform.tracked.start("churn", run_id="cd" * 16)
    with pytest.raises(RunStateConflict, match="exists already"):
        platform.tracked.start("churn", run_id=run.run_id)
    with pytest.raises(TrackingInputError, match="not 16 or 32"):
        platform.tracked.start("churn", run_id="XYZ")


def test_a_tracked_experiment_is_listed(platform: Platform) -> None:
    platform.tracked.start("My Experiment")
    from server import definitions

    listed = {e["identifier"]: e for e in definitions.list_experiments(platform.store)}
    identifier = experiment_identifier("My Experiment")
    assert listed[identifier]["label"] == "My Experiment"
    assert platform.tracked.ensure_experiment("My Experiment") == identifier
