"""MLflow's ``runs/search`` on the store: the run list (``server.tracking.run_query``) filters,
sorts and pages; what it cannot say is checked here on the page's runs only.

The store gets every comparison it can decide exactly: metrics against numbers, params with
``=`` (tracked params are stored as strings), the experiments, and the sort key (a metric, a
param, ``start_time``, ``end_time``, ``status`` or ``run_id``). Tags, ``LIKE``, the run name,
the lifecycle stage (deleted runs) and the rest are checked on the runs the store hands back,
read a page at a time; every comparison is checked again there, so a run the store let through
for a looser reason never slips in. The page token is the position reached in the store's
order, so the next page starts where this one stopped reading. An order the store cannot give
(a tag, the run name) is made here from every match, up to ``SORTED_HERE_LIMIT`` of them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from server.errors import MlflowApiError
from server.interop.mlflow_api.filters import (
    NUMERIC_ATTRIBUTES,
    STRING_ATTRIBUTES,
    Comparison,
    OrderKey,
    holds,
)
from server.store.base import ReadableStore
from server.tracking import run_query
from server.tracking.run_index import Selection
from server.tracking.run_patterns import Condition

#: MLflow's largest page (``SEARCH_MAX_RESULTS_THRESHOLD``) and its default.
MAX_RESULTS = 50000
DEFAULT_RESULTS = 1000
#: How many runs the store hands back at a time when checks here drop some.
_CHUNK = 200
#: The most matches ordered here by a key the store cannot sort by (a tag, the run name).
SORTED_HERE_LIMIT = 10000
#: MLflow's sort attributes and the run list's fields.
_SORT_FIELDS = {
    "start_time": "started",
    "end_time": "ended",
    "status": "status",
    "run_id": "run_id",
}
_MLFLOW_TO_PLATFORM_STATUS = {
    "RUNNING": "running",
    "SCHEDULED": "running",
    "FINISHED": "succeeded",
    "FAILED": "failed",
    "KILLED": "cancelled",
}


@dataclass
class RunView:
    """What a filter can ask of a run: its values by kind, ``None`` when it lacks one."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)  # the Run message to send

    def value(self, comparison: Comparison) -> Any:
        values: dict[str, Any] = getattr(self, comparison.kind)
        return values.get(comparison.key)


@dataclass(frozen=True)
class RunSearch:
    experiment_ids: list[str]  # Ontolab identifiers
    comparisons: list[Comparison]
    order: list[OrderKey]
    view_type: str  # ACTIVE_ONLY | DELETED_ONLY | ALL
    max_results: int
    offset: int  # from the page token


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def read_page_token(token: str | None) -> int:
    """The store position a page token stands for; a token this server did not write is 400."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise MlflowApiError(
            f"invalid page_token {token!r}; pass the next_page_token of the previous answer"
        )
    return offset


def max_results(value: int | None) -> int:
    if value is None:
        return DEFAULT_RESULTS
    if not 0 < value <= MAX_RESULTS:
        raise MlflowApiError(
            f"max_results {value} is out of range; ask for 1 to {MAX_RESULTS} runs a page"
        )
    return value


def find(
    store: ReadableStore, search: RunSearch, view: Callable[[str], RunView | None]
) -> tuple[list[dict[str, Any]], str]:
    """The page of runs (MLflow Run messages) and the next page token ("" at the end).

    ``view(run_id)`` reads one run the store handed back (None: not one to list)."""
    if not search.experiment_ids:
        return [], ""
    groups = _store_groups(search)
    here = _order_here(search.order)
    if here is not None:
        return _sorted_here(store, search, groups, here, view)
    sort = _sort(search.order)
    found: list[dict[str, Any]] = []
    position = search.offset
    for run_id, total in _candidates(store, groups, sort, position, search.max_results):
        position += 1
        run = view(run_id)
        if run is not None and _keeps(search, run):
            found.append(run.answer)
        if len(found) == search.max_results:
            return found, page_token(position) if position < total else ""
    return found, ""


def _candidates(
    store: ReadableStore, groups: list[list[Condition]], sort: str | None, start: int, wanted: int
) -> Iterator[tuple[str, int]]:
    """The ids of the runs the store matches, in its order from ``start``, with the count."""
    offset = start
    while True:
        limit = max(wanted, _CHUNK)
        selection = Selection(sort=sort, limit=limit, offset=offset)
        total, iris = run_query.find(store, selection, groups)
        for iri in iris:
            yield iri.rsplit("/", 1)[-1], total
        offset += len(iris)
        if not iris or offset >= total:
            return


def _store_groups(search: RunSearch) -> list[list[Condition]]:
    """The conditions the store decides exactly, once per experiment (the run list ORs groups)."""
    shared: list[Condition] = []
    for comparison in search.comparisons:
        shared.extend(_store_condition(comparison))
    return [[("experiment", "=", e), *shared] for e in dict.fromkeys(search.experiment_ids)]


def _store_condition(comparison: Comparison) -> list[Condition]:
    kind, key, op, value = comparison.kind, comparison.key, comparison.op, comparison.value
    if kind == "metrics" and isinstance(value, float) and value == value:  # not NaN
        return [(comparison.field, op, value)]
    if kind == "params" and op == "=" and isinstance(value, str):
        return [(comparison.field, op, value)]
    if kind == "attributes" and key == "status" and op == "=" and isinstance(value, str):
        status = _MLFLOW_TO_PLATFORM_STATUS.get(value.upper())
        return [("status", "=", status)] if status else []
    return []


def _order_here(order: list[OrderKey]) -> OrderKey | None:
    """The sort key when the run list cannot sort by it (a tag, the run name, the user...)."""
    if not order:
        return None
    first = order[0]
    if first.kind == "tags" or (first.kind == "attributes" and first.key not in _SORT_FIELDS):
        _check_tie_breakers(order)
        return first
    return None


def _sorted_here(
    store: ReadableStore,
    search: RunSearch,
    groups: list[list[Condition]],
    key: OrderKey,
    view: Callable[[str], RunView | None],
) -> tuple[list[dict[str, Any]], str]:
    """A page in an order the store cannot give: every match read (newest first, so equal
    values stay newest first), sorted here, runs without the key last; refused past
    ``SORTED_HERE_LIMIT`` matches, where an order the store gives is the way."""
    runs: list[RunView] = []
    for run_id, total in _candidates(store, groups, None, 0, _CHUNK):
        if total > SORTED_HERE_LIMIT:
            raise MlflowApiError(
                f"ordering {total} runs by {key.field} is more than this server sorts itself "
                f"({SORTED_HERE_LIMIT}); order by a metric, a param or attributes.start_time, "
                "or narrow the filter"
            )
        run = view(run_id)
        if run is not None and _keeps(search, run):
            runs.append(run)
    having = [r for r in runs if r.value(_as_comparison(key)) is not None]
    lacking = [r for r in runs if r.value(_as_comparison(key)) is None]
    having.sort(key=lambda r: r.value(_as_comparison(key)), reverse=not key.ascending)
    ordered = having + lacking
    end = search.offset + search.max_results
    token = page_token(end) if end < len(ordered) else ""
    return [r.answer for r in ordered[search.offset : end]], token


def _as_comparison(key: OrderKey) -> Comparison:
    return Comparison(key.kind, key.key, "=", "")


def _check_tie_breakers(order: list[OrderKey]) -> None:
    for extra in order[1:]:
        if extra.field not in ("attributes.start_time", "attributes.run_id"):
            raise MlflowApiError(
                f"order_by orders by one key here ({order[0].field}); the runs it ties are "
                f"newest first; remove {extra.field}"
            )


def _sort(order: list[OrderKey]) -> str | None:
    """The run list's sort for MLflow's ``order_by`` (only the first key orders; the run list
    breaks ties newest first, as MLflow does by start time)."""
    if not order:
        return None
    first = order[0]
    _check_tie_breakers(order)
    if first.kind in ("metrics", "params"):
        name = first.field
    elif first.kind == "attributes" and first.key in _SORT_FIELDS:
        name = _SORT_FIELDS[first.key]
    else:
        raise MlflowApiError(
            f"cannot order by {first.field}; order by metrics.KEY, params.KEY or "
            "attributes.start_time, end_time, status or run_id"
        )
    return name if first.ascending else f"-{name}"


def _keeps(search: RunSearch, run: RunView) -> bool:
    stage = run.attributes.get("lifecycle_stage", "active")
    if search.view_type == "ACTIVE_ONLY" and stage != "active":
        return False
    if search.view_type == "DELETED_ONLY" and stage != "deleted":
        return False
    return all(holds(c, _value(run, c)) for c in search.comparisons)


def _value(run: RunView, comparison: Comparison) -> Any:
    if comparison.kind == "attributes":
        known = STRING_ATTRIBUTES | NUMERIC_ATTRIBUTES
        if comparison.key not in known:
            raise MlflowApiError(f"runs cannot be filtered on {comparison.field}")
    return run.value(comparison)
