"""Reading a model's history back: an alias's changes, the version it held at a time, the cause
chain of a change, the promotion decisions, and the data a version was validated on. Every read
is a named query (``alias_history``, ``alias_at``, ``alias_change_causes``,
``promotion_decisions``, ``version_held_out``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.errors import NotFoundError
from server.graph import queries
from server.registry.history import (
    cause_from_row,
    change_from_row,
    decision_from_row,
    parse_time,
)
from server.registry.model import check_alias, check_name, history_iri, model_iri, version_iri
from server.store.base import ReadableStore

#: ``Registry.model``: the entry of a name, or NotFoundError naming the registered models.
KnownModel = Callable[[str], Any]


def alias_history(
    store: ReadableStore, name: str, alias: str, known: KnownModel
) -> list[dict[str, Any]]:
    """Every change of ``alias``, newest first; NotFoundError when it never had one."""
    check_name(name)
    check_alias(alias)
    rows = queries.select(store, "alias_history", history=history_iri(name), alias=alias)
    if not rows:
        known(name)  # NotFoundError naming the registered models
        raise NotFoundError(
            f"model {name!r} has no history of an alias {alias!r}; list its aliases with "
            f"GET /api/models/{name}"
        )
    return [change_from_row(row) for row in rows]


def alias_at(
    store: ReadableStore, name: str, alias: str, time: str, known: KnownModel
) -> dict[str, Any]:
    """The version ``alias`` pointed at ``time`` and the change that set it (``version`` None
    when that change deleted it); NotFoundError for a time before the alias existed."""
    when = parse_time(time)
    history = alias_history(store, name, alias, known)
    rows = queries.select(store, "alias_at", history=history_iri(name), alias=alias, time=when)
    if not rows:
        raise NotFoundError(
            f"alias {alias!r} of model {name!r} did not exist at {when.isoformat()}: it was "
            f"first set at {history[-1]['time']}; ask for a later time"
        )
    change = change_from_row(rows[0])
    return {
        "model": name,
        "alias": alias,
        "time": when.isoformat(),
        "version": change["version"],
        "deleted": change["kind"] == "delete",
        "change": change,
    }


def change_causes(store: ReadableStore, name: str, change: str) -> list[dict[str, Any]]:
    """The change, the activities it was informed by (transitively), then the deployment
    switches that followed it; each activity once."""
    check_name(name)
    if not change.startswith(f"{model_iri(name)}/change/"):
        raise NotFoundError(
            f"{change!r} is not an alias change of model {name!r}; take one from "
            f"GET /api/models/{name}/aliases/ALIAS/history"
        )
    found: dict[str, dict[str, Any]] = {}
    rows = queries.select(store, "alias_change_causes", history=history_iri(name), change=change)
    for row in rows:
        found.setdefault(str(row["activity"]), cause_from_row(row))
    if "kind" not in found.get(change, {}):
        raise NotFoundError(f"model {name!r} has no recorded alias change {change!r}")
    return list(found.values())


def decisions(
    store: ReadableStore, name: str, limit: int, known: KnownModel
) -> list[dict[str, Any]]:
    """The model's promotion decisions, newest first (at most ``limit``); NotFoundError for an
    unknown model."""
    known(name)  # NotFoundError naming the registered models
    rows = queries.select(store, "promotion_decisions", history=history_iri(name), limit=limit)
    return [decision_from_row(row) for row in rows]


def held_out(store: ReadableStore, name: str, number: int) -> tuple[str, ...]:
    """The checksums of the data version ``number`` was validated on; () if never validated."""
    rows = queries.select(
        store, "version_held_out", model=model_iri(name), version=version_iri(name, number)
    )
    return tuple(sorted(str(row["sha256"]) for row in rows))
