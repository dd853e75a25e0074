"""Every example end to end on each store (embedded, Oxigraph server, Virtuoso): metrics,
triples and lineage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from server import definitions
from server.platform import Platform, open_platform
from server.settings import Settings
from server.tracking import catalog
from server.tracking.records import RunRecord
from tests.conftest import EXAMPLES

SANE = {
    "breast_cancer.ttl": {"accuracy": 0.9, "roc_auc": 0.95},
    "iris.ttl": {"accuracy": 0.8, "f1": 0.8},
    "wine.ttl": {"accuracy": 0.85},
    "diabetes.jsonld": {"r2": 0.3},
    "wine_checked.ttl": {"accuracy": 0.85},
}


def run_example(platform: Platform, path: Path) -> RunRecord:
    graph = definitions.parse(path.read_text(), definitions.format_for(path))
    version = definitions.submit(platform.store, graph).version
    # the module's platform is shared: no step of another example's run is reused
    return platform.runs.run(version, use_cache=False)


@pytest.fixture(scope="module")
def platform(module_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Every test here runs on each store: embedded, Oxigraph server, Virtuoso; one platform
    per store for the module."""
    data = tmp_path_factory.mktemp("examples") / "data"
    settings = Settings.load({"data": data, "store": module_store_url or None}, environ={})
    opened = open_platform(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def ran(platform: Platform) -> Callable[[str], RunRecord]:
    """``ran(NAME)``: the run of example NAME on the module's platform, made by the first test
    that asks for it; the other tests check the same run (one run per example and store)."""
    runs: dict[str, RunRecord] = {}

    def run(name: str) -> RunRecord:
        if name not in runs:
            runs[name] = run_example(platform, EXAMPLES / name)
        return runs[name]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SANE))
def test_example_runs_with_sane_metrics(
    platform: Platform, ran: Callable[[str], RunRecord], name: str
) -> None:
    record = ran(name)
    assert record.status == "succeeded", record.error
    details = catalog.run_details(platform.store, record.run_id)
    assert details["status"] == "succeeded"
    assert {s["status"] for s in details["steps"]} == {"succeeded"}
    by_step: dict[str, dict[str, float]] = {}
    for row in details["metrics"]:
        by_step.setdefault(row["step_id"], {})[row["metric"]] = row["value"]
    assert by_step, "the run recorded no metrics"
    for metrics in by_step.values():
        for metric, floor in SANE[name].items():
            assert metrics[metric] > floor, (name, metric, metrics)
    assert details["hyperparameters"], "build hyperparameters are recorded"
    kinds = {a["kind"] for a in details["artifacts"]}
    assert {"dataset", "splits", "model", "report"} <= kinds
    for artifact in details["artifacts"]:
        path = platform.artifacts.path(artifact["sha256"])
        assert path.stat().st_size == artifact["size"]


@pytest.mark.slow
def test_regression_reports_regression_metrics(
    platform: Platform, ran: Callable[[str], RunRecord]
) -> None:
    record = ran("diabetes.jsonld")
    metrics = {
        r["metric"]: r["value"]
        for r in catalog.run_details(platform.store, record.run_id)["metrics"]
    }
    assert set(metrics) == {"rmse", "mae", "r2"}
    for metric in ("rmse", "r2"):  # lower is better, then higher: each its own named query
        board = catalog.leaderboard(platform.store, "diabetes", metric)
        assert [(r["run_id"], r["value"]) for r in board] == [(record.run_id, metrics[metric])]
    assert catalog.leaderboard(platform.store, "diabetes", "accuracy") == []


@pytest.mark.slow
def test_two_builds_run_in_parallel_on_the_same_split(
    platform: Platform, ran: Callable[[str], RunRecord]
) -> None:
    record = ran("wine.ttl")
    assert record.status == "succeeded", record.error
    builds = [s for s in record.steps.values() if s.phase == "build"]
    assert len(builds) == 2
    assert builds[0].inputs == builds[1].inputs, "both models are trained on the same split"
    first, second = sorted(builds, key=lambda s: s.started_at or "")
    assert first.ended_at and second.started_at
    if platform.settings.max_parallel_steps > 1:
        assert datetime.fromisoformat(second.started_at) < datetime.fromisoformat(first.ended_at)
    models = catalog.run_details(platform.store, record.run_id)["models"]
    assert len({m["name"] for m in models}) == 2


@pytest.mark.slow
def test_lineage_goes_from_model_back_to_the_source(
    platform: Platform, ran: Callable[[str], RunRecord]
) -> None:
    record = ran("breast_cancer.ttl")
    model = catalog.resolve_model(platform.store, record.run_id)
    graph = catalog.lineage(platform.store, model)
    kinds = {node["kind"] for node in graph.nodes.values()}
    assert {"model", "splits", "dataset", "source", "step"} <= kinds
    chain = {(graph.nodes[a]["kind"], rel, graph.nodes[b]["kind"]) for a, rel, b in graph.edges}
    assert ("model", "prov:wasDerivedFrom", "splits") in chain
    assert ("splits", "prov:wasDerivedFrom", "dataset") in chain
    assert ("dataset", "prov:wasDerivedFrom", "source") in chain
    assert ("model", "prov:wasGeneratedBy", "step") in chain
    sources = [n for n in graph.nodes.values() if n["kind"] == "source"]
    assert [s["label"] for s in sources] == ["sklearn:breast_cancer"]
    assert catalog.resolve_model(platform.store, "breast-cancer-classifier") == model
