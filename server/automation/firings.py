"""A firing (one time a trigger's condition was met) and the observation a monitor hands in.
Pure: builds triples and reads query rows, no I/O.

A firing is an ``ol:TriggerFiring``, a PROV activity in its trigger's graph: what fired
(``ol:firedBy``), when, what was observed, and the run it started (``ol:startedRun``, and the
run ``prov:wasInformedBy`` it) or why it started none (``ol:firingOutcome``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.graph.namespaces import ID, OL, PLATFORM_AGENT, PROV, RDF, run_iri
from server.graph.terms import plain_row
from server.store.base import Row, Triple

#: What can come of a firing.
STARTED, DEBOUNCED, COOLDOWN, IN_FLIGHT, FAILED = (
    "started",
    "debounced",
    "cooldown",
    "in_flight",
    "failed",
)
_RUN_PREFIX = f"{ID}run/"


@dataclass(frozen=True)
class Observation:
    """One evaluated monitoring window of one deployment, as drift and performance triggers
    read it. ``drift_share`` is None when drift could not be computed; ``live_metrics`` is
    empty while no row of the window has feedback. ``evaluation_iri``: the window's
    evaluation node in the graph, when the monitor recorded one (a firing links it)."""

    deployment_id: str
    model: str
    version: int
    window_end: str
    drift_share: float | None = None
    drifted_features: tuple[str, ...] = ()
    live_metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    evaluation_iri: str | None = None

    def __post_init__(self) -> None:
        end = datetime.fromisoformat(self.window_end)  # a ValueError names the bad text
        if end.tzinfo is None:
            raise ValueError(f"window_end {self.window_end!r} has no time zone; add +00:00")

    @property
    def window_end_time(self) -> datetime:
        return datetime.fromisoformat(self.window_end)

    @classmethod
    def of(cls, event: Any) -> Observation:
        """An observation from any object with the same attribute names (a monitor's event)."""
        return cls(
            deployment_id=str(event.deployment_id),
            model=str(event.model),
            version=int(event.version),
            window_end=str(event.window_end),
            drift_share=None if event.drift_share is None else float(event.drift_share),
            drifted_features=tuple(getattr(event, "drifted_features", ())),
            live_metrics=MappingProxyType(dict(getattr(event, "live_metrics", {}) or {})),
            evaluation_iri=getattr(event, "evaluation_iri", None),
        )


@dataclass(frozen=True)
class Firing:
    """One firing of one trigger; ``time`` is when, ``detail`` says what was seen and why it
    started a run or none."""

    id: str
    trigger_id: str
    experiment: str
    time: datetime
    outcome: str
    detail: str
    run_id: str | None = None
    in_flight_run: str | None = None
    observed_value: float | int | None = None
    scheduled_for: datetime | None = None
    dataset_version: str | None = None
    deployment: str | None = None
    window_end: datetime | None = None
    evaluation: str | None = None

    @property
    def started(self) -> bool:
        return self.outcome == STARTED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trigger": self.trigger_id,
            "experiment": self.experiment,
            "time": self.time.isoformat(),
            "outcome": self.outcome,
            "detail": self.detail,
            "run_id": self.run_id,
            "in_flight_run": self.in_flight_run,
            "observed_value": self.observed_value,
            "scheduled_for": _iso(self.scheduled_for),
            "dataset_version": self.dataset_version,
            "deployment": self.deployment,
            "window_end": _iso(self.window_end),
            "evaluation": self.evaluation,
        }


def firing_iri(trigger: URIRef, firing_id: str) -> URIRef:
    return URIRef(f"{trigger}/firing/{firing_id}")


def firing_triples(trigger: URIRef, firing: Firing) -> list[Triple]:
    """The firing's triples, added to its trigger's graph."""
    node = firing_iri(trigger, firing.id)
    stamp = Literal(firing.time, datatype=XSD.dateTime)
    triples: list[Triple] = [
        (node, RDF.type, OL.TriggerFiring),
        (node, OL.firingId, Literal(firing.id)),
        (node, OL.firedBy, trigger),
        (node, PROV.startedAtTime, stamp),
        (node, PROV.endedAtTime, stamp),  # deciding is instantaneous; the run has its own times
        (node, PROV.wasAssociatedWith, PLATFORM_AGENT),
        (node, OL.firingOutcome, Literal(firing.outcome)),
        (node, OL.firingDetail, Literal(firing.detail)),
    ]
    if firing.run_id is not None:
        run = run_iri(firing.run_id)
        triples += [(node, OL.startedRun, run), (run, PROV.wasInformedBy, node)]
    if firing.in_flight_run is not None:
        triples.append((node, OL.inFlightRun, run_iri(firing.in_flight_run)))
    if isinstance(firing.observed_value, int):  # a dataset version number
        triples.append((node, OL.observedValue, Literal(firing.observed_value)))
    elif firing.observed_value is not None:
        value = Literal(float(firing.observed_value), datatype=XSD.double)
        triples.append((node, OL.observedValue, value))
    if firing.scheduled_for is not None:
        tick = Literal(firing.scheduled_for, datatype=XSD.dateTime)
        triples.append((node, OL.scheduledFor, tick))
    for used in (firing.dataset_version, firing.evaluation):
        if used is not None:
            triples.append((node, PROV.used, URIRef(used)))
    if firing.deployment is not None:
        triples.append((node, OL.observedDeployment, Literal(firing.deployment)))
    if firing.window_end is not None:
        end = Literal(firing.window_end, datatype=XSD.dateTime)
        triples.append((node, OL.observedWindowEnd, end))
    return triples


def from_row(row: Row, trigger_id: str, experiment: str) -> Firing:
    """A firing from a row of ``trigger_firings.rq``."""
    values = plain_row(row)
    return Firing(
        id=str(values["id"]),
        trigger_id=trigger_id,
        experiment=experiment,
        time=values["time"],
        outcome=str(values["outcome"]),
        detail=str(values["detail"]),
        run_id=_run_id(values.get("run")),
        in_flight_run=_run_id(values.get("in_flight")),
        observed_value=values.get("observed"),
        scheduled_for=values.get("scheduled"),
        dataset_version=values.get("dataset_version"),
        deployment=values.get("deployment"),
        window_end=values.get("window_end"),
        evaluation=values.get("evaluation"),
    )


def _run_id(iri: str | None) -> str | None:
    return None if iri is None else iri.removeprefix(_RUN_PREFIX)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
