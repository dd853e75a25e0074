"""A trigger as the API takes it, as its graph states it, and as it is read back. Pure: no I/O.

A request names a ``kind`` and that kind's settings (``FIELDS``); anything else is refused
before a graph is built. Values go into the graph as the literals JSON gave them, so a number
sent as text reaches the SHACL shapes as text and they name it (``server.automation.checks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.errors import TriggerError
from server.graph.namespaces import DCTERMS, ID, OL, RDF, RDFS
from server.graph.terms import plain_row
from server.store.base import Row, Triple

#: Each kind's class in the ontology.
KINDS: dict[str, URIRef] = {
    "schedule": OL.ScheduleTrigger,
    "new_data": OL.NewDataTrigger,
    "drift": OL.DriftTrigger,
    "performance": OL.PerformanceTrigger,
    "manual": OL.ManualTrigger,
}
KIND_OF_CLASS = {str(cls): kind for kind, cls in KINDS.items()}
#: Windows in a row a drift or performance trigger waits for when the request names none.
DEFAULT_WINDOWS = 1
DEFAULT_TIMEZONE = "UTC"

_COMMON = ("kind", "label", "debounce_seconds", "cooldown_seconds")
_WATCH = ("deployments", "model", "windows")
#: The keys a request of each kind may hold.
FIELDS: dict[str, tuple[str, ...]] = {
    "schedule": (*_COMMON, "cron", "timezone"),
    "new_data": (*_COMMON, "dataset"),
    "drift": (*_COMMON, "threshold", *_WATCH),
    "performance": (*_COMMON, "metric", "threshold", "direction", *_WATCH),
    "manual": _COMMON,
}
_DOUBLE = {"debounce_seconds", "cooldown_seconds", "threshold"}


@dataclass(frozen=True)
class Trigger:
    """One trigger in force; ``threshold`` is the drift share (drift) or metric value
    (performance) it compares with."""

    id: str
    kind: str
    experiment: str
    experiment_iri: str
    created: str
    label: str | None = None
    debounce_seconds: float = 0.0
    cooldown_seconds: float = 0.0
    cron: str | None = None
    timezone: str | None = None
    dataset: str | None = None
    baseline_version: int | None = None
    threshold: float | None = None
    windows: int | None = None
    metric: str | None = None
    direction: str | None = None
    model: str | None = None
    deployments: tuple[str, ...] = ()

    @property
    def iri(self) -> URIRef:
        return trigger_iri(self.id)

    def to_json(self) -> dict[str, Any]:
        """The trigger as the API answers it: its settings, the ones its kind lacks left out."""
        data = asdict(self)
        data["deployments"] = list(self.deployments)
        data["iri"] = str(self.iri)
        data.pop("experiment_iri")
        keep = {"id", "iri", "experiment", "created", *FIELDS[self.kind], "baseline_version"}
        return {k: v for k, v in data.items() if k in keep}


def trigger_iri(trigger_id: str) -> URIRef:
    """A trigger; also the name of the graph that holds it and its firings."""
    return URIRef(f"{ID}trigger/{trigger_id}")


def request_kind(body: Mapping[str, Any]) -> str:
    """The kind a request names; TriggerError listing the kinds when it names none known."""
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        shown = "none" if kind is None else repr(kind)
        raise TriggerError(
            f'unknown trigger kind {shown}; give "kind" as one of {", ".join(KINDS)}'
        )
    unknown = sorted(set(body) - set(FIELDS[kind]))
    if unknown:
        raise TriggerError(
            f"a {kind} trigger takes no {', '.join(map(repr, unknown))}; its settings are "
            f"{', '.join(FIELDS[kind])}"
        )
    return kind


def request_triples(
    body: Mapping[str, Any], identity: Trigger, baseline_version: int | None
) -> list[Triple]:
    """The graph of a new trigger: ``identity`` (id, kind, experiment, created) plus the
    settings ``body`` gives, defaults filled in. The shapes check the values afterwards."""
    node = identity.iri
    kind = identity.kind
    triples: list[Triple] = [
        (node, RDF.type, OL.Trigger),
        (node, RDF.type, KINDS[kind]),
        (node, OL.triggerId, Literal(identity.id)),
        (node, OL.forExperiment, URIRef(identity.experiment_iri)),
        (node, OL.experimentIdentifier, Literal(identity.experiment)),
        (node, DCTERMS.created, Literal(datetime.fromisoformat(identity.created))),
    ]
    values = dict(body)
    values.setdefault("debounce_seconds", 0)
    values.setdefault("cooldown_seconds", 0)
    if kind == "schedule":
        values.setdefault("timezone", DEFAULT_TIMEZONE)
    if kind in ("drift", "performance"):
        values.setdefault("windows", DEFAULT_WINDOWS)
    if kind == "performance" and identity.direction is not None:
        values.setdefault("direction", identity.direction)
    if kind == "new_data":
        triples.append((node, OL.baselineVersion, Literal(baseline_version or 0)))
    for key, raw in values.items():
        if key == "kind":
            continue
        if key == "deployments":
            triples += [(node, OL.watchesDeployment, _literal(key, d)) for d in _listed(raw)]
            continue
        triples.append((node, _property(key, kind), _literal(key, raw)))
    return triples


def _property(key: str, kind: str) -> URIRef:
    if key == "threshold":
        return OL.driftShareThreshold if kind == "drift" else OL.thresholdValue
    return _PROPERTIES[key]


_PROPERTIES = {
    "label": RDFS.label,
    "debounce_seconds": OL.debounceSeconds,
    "cooldown_seconds": OL.cooldownSeconds,
    "cron": OL.cronExpression,
    "timezone": OL.timeZone,
    "dataset": OL.watchesDataset,
    "windows": OL.consecutiveWindows,
    "metric": OL.metricName,
    "direction": OL.thresholdDirection,
    "model": OL.watchesModel,
}


def _listed(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise TriggerError(
            f'"deployments" is a list of deployment ids, not {raw!r}; give e.g. ["3f2a9c1d0b7e"]'
        )
    return raw


def _literal(key: str, raw: Any) -> Literal:
    """The literal for one JSON value: numbers of a seconds or threshold field as xsd:double,
    anything else as JSON typed it (so the shapes can name a value of the wrong kind)."""
    if raw is None or isinstance(raw, list | dict):
        raise TriggerError(f'"{key}" must be a single value, not {raw!r}')
    if key in _DOUBLE and isinstance(raw, int | float) and not isinstance(raw, bool):
        return Literal(float(raw), datatype=XSD.double)
    return Literal(raw)


def from_row(row: Row) -> Trigger:
    """A trigger from a row of ``triggers.rq``."""
    values = plain_row(row)
    kind = KIND_OF_CLASS[str(values["kind"])]
    created = values["created"]
    threshold = values.get("drift_threshold", values.get("threshold"))
    return Trigger(
        id=str(values["id"]),
        kind=kind,
        experiment=str(values["identifier"]),
        experiment_iri=str(values["experiment"]),
        created=created.isoformat() if isinstance(created, datetime) else str(created),
        label=values.get("label"),
        debounce_seconds=float(values.get("debounce") or 0.0),
        cooldown_seconds=float(values.get("cooldown") or 0.0),
        cron=values.get("cron"),
        timezone=values.get("timezone"),
        dataset=values.get("dataset"),
        baseline_version=_optional_int(values.get("baseline")),
        threshold=None if threshold is None else float(threshold),
        windows=_optional_int(values.get("windows")),
        metric=values.get("metric"),
        direction=values.get("direction"),
        model=values.get("model"),
        deployments=tuple(sorted(str(values.get("deployments") or "").split())),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
