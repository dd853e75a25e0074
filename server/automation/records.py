"""Triggers and firings in the store: each trigger's graph, written and read back through the
named queries (``triggers``, ``trigger_*``, ``experiment_runs_in_flight``, ``experiment_models``).

A trigger's graph only grows: made whole when the trigger is made, then each firing added to it
(one ``add_to_graph`` each), and ``prov:invalidatedAtTime`` added when it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdflib import Literal
from rdflib.namespace import XSD

from server.automation import firings as firing_records
from server.automation.firings import Firing
from server.automation.triggers import Trigger, from_row
from server.definitions import ExperimentVersion
from server.graph import queries
from server.graph.namespaces import PROV
from server.graph.terms import python_value
from server.store.base import Store, Triple


@dataclass(frozen=True)
class FiringTimes:
    """What a trigger's past firings say about its debounce, cooldown and schedule."""

    last: datetime | None
    last_started: datetime | None
    last_tick: datetime | None


@dataclass(frozen=True)
class NewVersion:
    """A version of a watched dataset newer than any its new-data trigger has seen."""

    trigger: str  # the trigger's IRI
    dataset: str  # the version's IRI
    name: str
    number: int


def save_trigger(store: Store, trigger: Trigger, triples: list[Triple]) -> None:
    store.replace_graph(trigger.iri, triples)


def active_triggers(store: Store) -> list[Trigger]:
    """Every trigger in force, oldest first."""
    return [from_row(row) for row in queries.select(store, "triggers")]


def retire(store: Store, trigger: Trigger, now: datetime) -> None:
    """Remove ``trigger`` from force; its graph and firings stay."""
    stamp = Literal(now, datatype=XSD.dateTime)
    store.add_to_graph(trigger.iri, [(trigger.iri, PROV.invalidatedAtTime, stamp)])


def add_firing(store: Store, trigger: Trigger, firing: Firing) -> None:
    store.add_to_graph(trigger.iri, firing_records.firing_triples(trigger.iri, firing))


def firings(store: Store, trigger: Trigger, limit: int) -> list[Firing]:
    """The trigger's firings, newest first, at most ``limit``."""
    rows = queries.select(store, "trigger_firings", trigger=str(trigger.iri))
    return [firing_records.from_row(r, trigger.id, trigger.experiment) for r in rows[:limit]]


def firing_times(store: Store) -> dict[str, FiringTimes]:
    """By trigger IRI, for the triggers in force that have fired."""
    return {
        str(row["trigger"]): FiringTimes(
            _time(row.get("last")), _time(row.get("last_started")), _time(row.get("last_tick"))
        )
        for row in queries.select(store, "trigger_firing_times")
    }


def new_dataset_versions(store: Store) -> list[NewVersion]:
    return [
        NewVersion(
            str(row["trigger"]),
            str(row["dataset"]),
            str(row["name"]),
            int(python_value(row["number"])),
        )
        for row in queries.select(store, "trigger_new_dataset_versions")
    ]


def runs_in_flight(store: Store, identifier: str) -> list[str]:
    """Ids of the runs of the experiment whose graph states no final status."""
    rows = queries.select(store, "experiment_runs_in_flight", identifier=identifier)
    return [str(row["run_id"]) for row in rows]


def experiment_models(store: Store, identifier: str) -> frozenset[str]:
    """The registered model names runs of the experiment built."""
    rows = queries.select(store, "experiment_models", identifier=identifier)
    return frozenset(str(row["name"]) for row in rows)


def experiment_task(store: Store, version: ExperimentVersion) -> str:
    rows = queries.select(store, "pipeline_experiment", graph=str(version.graph))
    return str(rows[0]["task"]) if rows else ""


def measures(store: Store) -> dict[str, tuple[str | None, bool]]:
    """The evaluation measures the ontology knows: name → (its task, higher is better)."""
    found: dict[str, tuple[str | None, bool]] = {}
    for row in queries.select(store, "measures"):
        task = row.get("task")
        higher = bool(python_value(row["higher_is_better"]))
        found[str(row["name"])] = (None if task is None else str(task), higher)
    return found


def _time(term: Any) -> datetime | None:
    if term is None:
        return None
    value = python_value(term)
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
