"""The run list (``GET /api/runs``): the store filters, sorts and pages, on every store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from operator import eq, ge, gt, le, lt, ne
from typing import Any

import pytest

from server.errors import QueryError
from server.platform import Platform
from server.settings import Settings
from server.tracking import run_index, run_query
from server.tracking.records import RunRecord
from server.tracking.writer import RunWriter
from tests.integration.test_run_lifecycle import run, twin


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Every test here runs on each store: embedded, Oxigraph server, Virtuoso."""
    return store_settings


def _with_accuracy(record: RunRecord, index: int, accuracy: float) -> RunRecord:
    """A twin of ``record`` as run ``index``, a second later each, measuring ``accuracy``."""
    copy = twin(record, f"{index:016x}")
    started = datetime.fromisoformat(record.started_at) + timedelta(seconds=index)
    copy.started_at = started.isoformat()
    validate = copy.steps["validate"]
    assert validate.result is not None
    metrics = {**validate.result.metrics, "accuracy": accuracy}
    validate.result = replace(validate.result, metrics=metrics)
    return copy


@pytest.mark.slow
def test_the_run_list_filters_sorts_and_pages_and_compare_reads_the_runs_named(
    platform: Platform,
) -> None:
    finished = run(platform)
    writer = RunWriter(platform.store)
    accuracies = {}
    for index, accuracy in enumerate([0.5, 0.7, 0.9, 0.6], start=1):
        copy = _with_accuracy(finished, index, accuracy)
        writer.write(copy)
        accuracies[copy.run_id] = accuracy
    measured = finished.steps["validate"].result
    assert measured is not None
    accuracies[finished.run_id] = measured.metrics["accuracy"]
    best_first = sorted(accuracies, key=lambda r: -accuracies[r])

    total, page = run_index.select(
        platform.store, run_index.Selection(sort="-metrics.accuracy", limit=2, offset=1)
    )
    assert total == 5 and [r.run_id for r in page] == best_first[1:3]
    values = [r.metrics["validate.accuracy"] for r in page]
    assert values == [accuracies[r] for r in best_first[1:3]]
    assert set(page[0].metrics) == set(page[1].metrics) >= {"f1", "validate.f1", "accuracy"}
    every_param = page[0].params
    assert every_param["build.max_iter"] == every_param["max_iter"] == 500
    assert "build.C" in every_param, "all the page's values, not only those the sort names"

    total, page = run_index.select(
        platform.store,
        run_index.Selection(filter="metrics.accuracy < 0.65 and params.max_iter = 500"),
    )
    assert total == 2 and {r.run_id for r in page} == {"0000000000000001", "0000000000000004"}
    assert [r.run_id for r in page] == ["0000000000000004", "0000000000000001"], "newest first"
    _, none = run_index.select(platform.store, run_index.Selection(filter="params.max_iter = 7"))
    assert none == []
    _, newest = run_index.select(platform.store, run_index.Selection(limit=1))
    assert [r.run_id for r in newest] == ["0000000000000004"] and newest[0].metrics["f1"] > 0

    compared = run_index.summaries(platform.store, ["0000000000000002", finished.run_id, "nope"])
    assert [r.run_id for r in compared] == ["0000000000000002", finished.run_id]
    assert compared[0].metrics["accuracy"] == 0.7 and compared[0].params["build.max_iter"] == 500
    assert compared[1].status == "succeeded" and compared[1].experiment == "life"


class _Recording:
    """A store that notes, for every query, the runs its answer names."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.answers: list[set[str]] = []
        self.queries: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def select(self, query: str) -> list[Any]:
        self.queries.append(query)
        return self._noted(self._store.select(query))

    def select_values(self, query: str) -> list[dict[str, Any]]:
        self.queries.append(query)
        return self._noted(self._store.select_values(query))

    def _noted(self, rows: list[Any]) -> list[Any]:
        named = {
            str(row[k]).rsplit("/", 1)[-1] for row in rows for k in ("run", "run_id") if k in row
        }
        self.answers.append(named)
        return rows


@pytest.fixture
def twenty(platform: Platform) -> Iterator[tuple[Platform, dict[str, float]]]:
    """The platform with 21 runs: a real one and 20 twins with their own accuracy and C."""
    finished = run(platform)
    writer = RunWriter(platform.store)
    accuracies = {}
    for index in range(1, 21):
        copy = _with_accuracy(finished, index, 0.5 + index / 100)
        build = copy.steps["build"]
        assert build.result is not None
        summary = dict(build.result.summary)
        summary["hyperparameters"] = {**summary["hyperparameters"], "C": [0.1, 1.0][index % 2]}
        build.result = replace(build.result, summary=summary)
        writer.write(copy)
        accuracies[copy.run_id] = 0.5 + index / 100
    yield platform, accuracies


@pytest.mark.slow
def test_a_page_of_the_run_list_reads_only_that_page_s_runs(
    twenty: tuple[Platform, dict[str, float]],
) -> None:
    platform, accuracies = twenty
    store = _Recording(platform.store)
    selections = {
        "newest": run_index.Selection(limit=3),
        "sorted": run_index.Selection(sort="-metrics.accuracy", limit=3, offset=2),
        # (Sorted on a value the runs share, the runs sharing the page's values are read too.)
        "filtered": run_index.Selection(filter="params.C = 0.1", sort="metrics.accuracy", limit=3),
    }
    for name, selection in selections.items():
        store.answers.clear()
        total, page = run_index.select(store, selection)  # type: ignore[arg-type]
        assert len(page) == 3 and total == (10 if name == "filtered" else 21)
        widest = max(len(named) for named in store.answers)
        # The page, and for a page near the top the rows before it (never the whole store).
        bound = selection.offset + 3
        assert widest <= bound, f"{name}: an answer named {widest} runs of {total}, over {bound}"
    best = sorted(accuracies, key=lambda r: -accuracies[r])
    _, page = run_index.select(platform.store, selections["sorted"])
    assert [r.run_id for r in page] == best[1:4], "the real run's accuracy comes first"


def _reference(runs: list[run_index.RunSummary], selection: run_index.Selection) -> list[str]:
    """The list as it was read before the store sorted it: every run in Python."""

    def value(run: run_index.RunSummary, name: str) -> Any:
        kind, _, key = name.partition(".")
        found = {"metrics": run.metrics, "params": run.params}.get(kind)
        return found.get(key) if found is not None else getattr(run, name)

    def holds(run: run_index.RunSummary, name: str, op: str, expected: Any) -> bool:
        actual = value(run, name)
        compare = {"=": eq, "!=": ne, ">": gt, ">=": ge, "<": lt, "<=": le}[op]
        if actual is None:
            return False
        try:
            return bool(compare(actual, expected))
        except TypeError:
            return bool(compare(str(actual), str(expected)))

    groups = run_index.parse_filter(selection.filter) if selection.filter else []
    kept = [r for r in runs if not groups or any(all(holds(r, *c) for c in g) for g in groups)]
    if selection.sort:
        name, descending = run_query.sort_field(selection.sort)
        present = [r for r in kept if value(r, name) is not None]
        missing = [r for r in kept if value(r, name) is None]
        kept = sorted(present, key=lambda r: value(r, name), reverse=descending) + missing
    end = None if selection.limit is None else selection.offset + selection.limit
    return [r.run_id for r in kept[selection.offset : end]]


@pytest.mark.slow
def test_the_store_filters_and_sorts_as_the_list_always_did(
    twenty: tuple[Platform, dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, _ = twenty
    _, every = run_index.select(platform.store, run_index.Selection())
    assert len(every) == 21 and [r.started for r in every] == sorted(
        (r.started for r in every), reverse=True
    ), "newest first"
    for selection in [
        run_index.Selection(sort="metrics.accuracy", filter="params.C = 1.0"),
        run_index.Selection(sort="metrics.validate.accuracy desc", filter="params.build.C != 1.0"),
        run_index.Selection(sort="-metrics.validate.f1", limit=4, offset=3),
        run_index.Selection(
            filter="metrics.accuracy >= 0.685 or params.C = 1.0 and metrics.accuracy < 0.53"
        ),
        run_index.Selection(sort="-params.no_such_thing", limit=5),
        run_index.Selection(sort="params.C", filter="params.max_iter = 500 and status = succeeded"),
        run_index.Selection(filter="experiment = life and version >= 1", sort="-started", limit=2),
        run_index.Selection(filter="params.solver = lbfgs or params.C > 0.5"),
        run_index.Selection(filter="status != succeeded"),
        # Ties across page edges: C is 0.1 or 1.0, so each page cuts through a run of equals.
        run_index.Selection(sort="params.C", limit=4, offset=8),
        run_index.Selection(sort="params.C", limit=3, offset=2),
        run_index.Selection(sort="params.C", offset=12),  # no limit: the store counts ahead
        run_index.Selection(sort="-params.C", limit=5, offset=9),
        run_index.Selection(sort="params.C", filter="metrics.accuracy > 0.55", limit=6, offset=1),
        run_index.Selection(sort="status", limit=3, offset=5),
        run_index.Selection(sort="-number", limit=3, offset=19),
        run_index.Selection(filter="number <= 3"),
        # Equal across kinds: an integer asked as a float, a double as an integer.
        run_index.Selection(filter="params.max_iter = 500.0 and params.C = 1", sort="-number"),
        run_index.Selection(filter="params.solver = lbfgs and params.C != 1", limit=3),
    ]:
        _, page = run_index.select(platform.store, selection)
        assert [r.run_id for r in page] == _reference(every, selection), selection
    # Runs sharing a value at a page's edge, found by the store ordering them all by number
    # (as when the run numbers to look up would be too many) instead of a window of numbers.
    monkeypatch.setattr(run_query, "_TIE_WINDOW", 0)
    for selection in [
        run_index.Selection(sort="params.C", limit=4, offset=8),
        run_index.Selection(sort="-params.C", limit=5, offset=9),
        run_index.Selection(sort="params.C", filter="metrics.accuracy > 0.55", limit=6, offset=1),
    ]:
        _, page = run_index.select(platform.store, selection)
        assert [r.run_id for r in page] == _reference(every, selection), selection
    _with_sampled_bounds(platform, every, monkeypatch)
    for narrowed, expected in [
        (run_index.Selection(experiment="life", status="succeeded"), 21),
        (run_index.Selection(status="running"), 0),
        (run_index.Selection(experiment="nothing"), 0),
    ]:
        assert run_index.select(platform.store, narrowed)[0] == expected, narrowed
    with pytest.raises(QueryError, match="cannot filter or sort on 'accuracy'"):
        run_index.select(platform.store, run_index.Selection(sort="accuracy"))
    with pytest.raises(QueryError, match="FIELD OP VALUE"):
        run_index.select(platform.store, run_index.Selection(filter="metrics.accuracy ~ 1"))


def _with_sampled_bounds(
    platform: Platform, every: list[run_index.RunSummary], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page near the top read past a bound that a sample of runs gave (as past 5,000
    matches): the same page when the bound lets enough through, and when it does not (a bound
    at the sample's best value), the page the store's whole order gives."""
    store = _Recording(platform.store)
    monkeypatch.setattr(run_query, "_SAMPLE_FROM", 1)
    monkeypatch.setattr(run_query, "_SAMPLE", 21)
    selections = [
        run_index.Selection(sort="-metrics.accuracy", limit=3),
        run_index.Selection(sort="metrics.accuracy", limit=2, offset=1),
        run_index.Selection(sort="-metrics.validate.f1", filter="params.C = 0.1", limit=1),
        run_index.Selection(sort="params.C", limit=1, offset=1),  # ties at the bound
    ]
    for margin in (3, 0):
        monkeypatch.setattr(run_query, "_BOUND_MARGIN", margin)
        fell_back = 0
        for selection in selections:
            store.queries.clear()
            _, page = run_index.select(store, selection)  # type: ignore[arg-type]
            assert [r.run_id for r in page] == _reference(every, selection), (margin, selection)
            pages = [q for q in store.queries if re.search(r"ORDER BY (DESC|ASC)\(\?key\)", q)]
            assert "isNumeric(?key)" in pages[0], f"{selection}: first asked past a bound"
            fell_back += len(pages) - 1
        assert fell_back == 0 if margin else fell_back > 0, f"margin {margin}: {fell_back}"
