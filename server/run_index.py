"""Runs as flat summaries (status, experiment, metrics, parameters) to filter, sort and compare.

Filters read like ``status = succeeded and metrics.accuracy > 0.9 or experiment = iris``:
conditions joined by ``and``, groups joined by ``or``. Fields: ``status``, ``experiment``,
``version``, ``metrics.NAME`` and ``params.NAME``. A metric or parameter is known both by its
bare name (from the first step, by id, that has it) and as ``STEP.NAME``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server import queries
from server.errors import QueryError
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


def summaries(store: ReadableStore) -> list[RunSummary]:
    """Every run, newest first, with its metrics and hyperparameters (three queries in all)."""
    runs = {
        row["runId"]: RunSummary(
            run_id=row["runId"],
            experiment=row["identifier"],
            version=int(row["version"]),
            status=row["status"],
            started=row["started"],
            ended=row.get("ended"),
        )
        for row in queries.select_values(store, "runs")
    }
    _attach(runs, queries.select_values(store, "all_run_metrics"), "metric", "metrics")
    _attach(runs, queries.select_values(store, "all_run_hyperparameters"), "name", "params")
    return list(runs.values())


def _attach(
    runs: dict[str, RunSummary], rows: list[dict[str, Any]], name: str, target: str
) -> None:
    for row in sorted(rows, key=lambda r: (r["runId"], r["stepId"])):
        summary = runs.get(row["runId"])
        if summary is None:
            continue
        values = getattr(summary, target)
        values[f"{row['stepId']}.{row[name]}"] = row["value"]
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


def sort_runs(runs: list[RunSummary], key: str) -> list[RunSummary]:
    """Sort by ``key`` (``-key`` or ``key desc`` for descending); runs lacking it go last."""
    descending = key.startswith("-") or key.lower().endswith(" desc")
    name = key.lstrip("-").removesuffix(" desc").removesuffix(" asc").strip()
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
