"""Runs as flat summaries (status, experiment, metrics, parameters) to filter, sort and compare.

Filters read like ``status = succeeded and metrics.accuracy > 0.9 or experiment = iris``:
conditions joined by ``and``, groups joined by ``or``. Fields: ``status``, ``experiment``,
``version``, ``metrics.NAME`` and ``params.NAME``. A metric or parameter is known both by its
bare name (from the first step, by id, that has it) and as ``STEP.NAME``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.errors import QueryError
from server.graph import queries
from server.graph.namespaces import run_iri
from server.store.base import ReadableStore

_CONDITION = re.compile(r"^\s*([\w.]+)\s*(=|!=|>=|<=|>|<)\s*(.+?)\s*$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass
class RunSummary:
    run_id: str
    experiment: str
    version: int
    status: str
    started: str
    ended: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        kind, _, key = name.partition(".")
        if kind == "metrics":
            return self.metrics.get(key)
        if kind == "params":
            return self.params.get(key)
        if name in ("status", "experiment", "version", "run_id", "started", "ended"):
            return getattr(self, name)
        raise QueryError(
            f"cannot filter or sort on {name!r}; use status, experiment, version, "
            "started, metrics.NAME or params.NAME"
        )

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Selection:
    """Which runs to list, and which of them to return: ``filter`` as the module docstring
    says, ``sort`` as ``sort_runs`` reads it; no ``limit`` returns them all."""

    experiment: str | None = None
    status: str | None = None
    filter: str | None = None
    sort: str | None = None
    limit: int | None = None
    offset: int = 0


def select(store: ReadableStore, selection: Selection) -> tuple[int, list[RunSummary]]:
    """How many runs match ``selection``, and the page of them it asks for, with all their
    metrics and hyperparameters.

    What is read grows with the page, not with the store: every run's state (one query), then
    only the metrics and parameters the filter and sort name, for every run, then everything
    else for the page's runs alone. At 10,000 runs reading every value of every run took ~10 s.
    """
    groups = parse_filter(selection.filter) if selection.filter else []
    runs = _run_rows(queries.select_values(store, "runs"))
    if selection.experiment:
        runs = [r for r in runs if r.experiment == selection.experiment]
    if selection.status:
        runs = [r for r in runs if r.status == selection.status]
    named = [name for group in groups for name, _, _ in group]
    if selection.sort:
        named.append(sort_field(selection.sort)[0])
    _attach_named(store, runs, named)
    if groups:
        runs = [r for r in runs if matches(r, groups)]
    if selection.sort:
        runs = sort_runs(runs, selection.sort)
    end = None if selection.limit is None else selection.offset + selection.limit
    page = runs[selection.offset : end]
    _attach_all(store, page)
    return len(runs), page


def summaries(store: ReadableStore, run_ids: Iterable[str]) -> list[RunSummary]:
    """The given runs that exist, newest first, with all their metrics and hyperparameters."""
    runs = _run_rows(_rows_of_runs(store, "runs_of", dict.fromkeys(run_ids)))
    runs.sort(key=lambda run: run.started, reverse=True)
    _attach_all(store, runs)
    return runs


def _run_rows(rows: list[dict[str, Any]]) -> list[RunSummary]:
    return [
        RunSummary(
            run_id=row["run_id"],
            experiment=row["identifier"],
            version=int(row["version"]),
            status=row["status"],
            started=row["started"],
            ended=row.get("ended"),
        )
        for row in rows
    ]


def _attach_named(store: ReadableStore, runs: list[RunSummary], fields: list[str]) -> None:
    """Attach, to every run, the values of the ``metrics.…`` and ``params.…`` fields named."""
    names: dict[str, set[str]] = {"metrics": set(), "params": set()}
    for field_name in fields:
        kind, _, key = field_name.partition(".")
        if kind in names and key:
            # "validate.accuracy" is accuracy as the validate step measured it; a name may hold
            # a dot itself, so both readings are asked for.
            names[kind].update({key, key.partition(".")[2]} - {""})
    by_id = {r.run_id: r for r in runs}
    for kind, (every_run, _, column) in _VALUE_QUERIES.items():
        if names[kind]:
            rows = queries.select_values(store, every_run, names=sorted(names[kind]))
            _attach(by_id, rows, column, kind)


def _attach_all(store: ReadableStore, runs: list[RunSummary]) -> None:
    """Replace the metrics and params of ``runs`` by all they have, read for these runs only."""
    by_id = {r.run_id: r for r in runs}
    for run in runs:
        run.metrics, run.params = {}, {}
    for kind, (_, these_runs, column) in _VALUE_QUERIES.items():
        _attach(by_id, _rows_of_runs(store, these_runs, by_id), column, kind)


#: By RunSummary field: the named query over every run (for names), the one over given runs,
#: and the column that names the value.
_VALUE_QUERIES = {
    "metrics": ("all_run_metrics", "metrics_of_runs", "metric"),
    "params": ("all_run_hyperparameters", "hyperparameters_of_runs", "name"),
}


def _rows_of_runs(
    store: ReadableStore, query: str, run_ids: Iterable[str], chunk: int = 500
) -> list[dict[str, Any]]:
    """The named query's rows for the given runs, bound a few hundred at a time, so that no
    query text grows with the store."""
    iris = [str(run_iri(run_id)) for run_id in run_ids]
    return [
        row
        for start in range(0, len(iris), chunk)
        for row in queries.select_values(store, query, runs=iris[start : start + chunk])
    ]


def _attach(
    runs: dict[str, RunSummary], rows: list[dict[str, Any]], name: str, target: str
) -> None:
    for row in sorted(rows, key=lambda r: (r["run_id"], r["step_id"])):
        summary = runs.get(row["run_id"])
        if summary is None:
            continue
        values = getattr(summary, target)
        values[f"{row['step_id']}.{row[name]}"] = row["value"]
        values.setdefault(row[name], row["value"])


def parse_filter(text: str) -> list[list[tuple[str, str, Any]]]:
    """``a and b or c`` → [[a, b], [c]]; each condition as (field, operator, value)."""
    groups = []
    for group in re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE):
        conditions = []
        for part in re.split(r"\s+and\s+", group, flags=re.IGNORECASE):
            match = _CONDITION.match(part)
            if not match:
                raise QueryError(
                    f"cannot read the filter condition {part!r}; write FIELD OP VALUE, "
                    "e.g. metrics.accuracy >= 0.9 (OP one of = != > >= < <=)"
                )
            conditions.append((match.group(1), match.group(2), _literal(match.group(3))))
        groups.append(conditions)
    return groups


def matches(run: RunSummary, groups: list[list[tuple[str, str, Any]]]) -> bool:
    return any(all(_holds(run, *condition) for condition in group) for group in groups)


def sort_field(key: str) -> tuple[str, bool]:
    """``-key`` or ``key desc`` → (key, descending); ``key`` or ``key asc`` → (key, ascending)."""
    name, _, order = key.strip().partition(" ")
    descending = name.startswith("-") or order.strip().lower() == "desc"
    return name.lstrip("-"), descending


def sort_runs(runs: list[RunSummary], key: str) -> list[RunSummary]:
    """Sort by ``key`` (``-key`` or ``key desc`` for descending); runs lacking it go last."""
    name, descending = sort_field(key)
    present = [r for r in runs if r.value(name) is not None]
    missing = [r for r in runs if r.value(name) is None]
    return sorted(present, key=lambda r: r.value(name), reverse=descending) + missing


def _holds(run: RunSummary, name: str, op: str, expected: Any) -> bool:
    actual = run.value(name)
    if actual is None:
        return False
    try:
        return _OPERATORS[op](actual, expected)
    except TypeError:
        return _OPERATORS[op](str(actual), str(expected))


def _literal(text: str) -> Any:
    text = text.strip().strip("'\"")
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text
