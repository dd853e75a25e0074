"""The history of a model's aliases as PROV activities: the triples and reading them back.

Pure: builds triples and reads query rows, no I/O (``server.registry.service`` writes them).
Every alias change (set, move, delete; by hand, by a rollback or by the promotion policy) is an
``ol:AliasChange`` and every decision of the policy an ``ol:PromotionDecision``; deployments add
``ol:DeploymentSwitch`` activities (``server.serving.switching``). All three are ``prov:Activity``
nodes in the model's history graph (``history_iri``), which only grows: the model's own graph
is rewritten whole on every change and holds only the present. A cause links them:
``prov:wasInformedBy`` from a switch to the alias change it followed, from an alias change to
the decision (or the trigger firing) that made it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.errors import RegistryInputError
from server.graph.namespaces import OL, PLATFORM_AGENT, PROV, RDF, RDFS
from server.graph.terms import python_value
from server.registry.model import alias_iri, model_iri, version_iri
from server.store.base import Row, Triple

#: Why an alias changed, as ``ol:changeCause`` states it.
CAUSES = ("manual", "rollback", "gate", "trigger", "import")


@dataclass(frozen=True)
class Cause:
    """Who or what changed an alias, and why.

    ``kind`` is one of ``CAUSES``; ``informed_by`` the IRI of the activity that led to it (a
    promotion decision, a trigger firing); ``agent`` the IRI of who asked (the platform's own
    agent when not known).
    """

    kind: str = "manual"
    informed_by: str | None = None
    agent: str = str(PLATFORM_AGENT)


@dataclass(frozen=True)
class Decision:
    """One decision of the promotion policy on a challenger."""

    model: str
    version: int
    outcome: str  # promoted | refused
    reason: str
    metric: str | None = None
    challenger_value: float | None = None
    champion: int | None = None
    champion_value: float | None = None
    held_out: tuple[str, ...] = ()
    informed_by: str | None = None
    agent: str = str(PLATFORM_AGENT)
    time: str = ""
    iri: str = ""
    champion_scoring: str | None = None  # the champion scored on the challenger's data

    def to_json(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "model": self.model,
            "version": self.version,
            "outcome": self.outcome,
            "reason": self.reason,
            "metric": self.metric,
            "challenger_value": self.challenger_value,
            "champion": self.champion,
            "champion_value": self.champion_value,
            "held_out_sha256": list(self.held_out),
            "informed_by": self.informed_by,
            "time": self.time,
            "champion_scoring": self.champion_scoring,
        }


def activity_iri(name: str, kind: str) -> URIRef:
    """A new activity of ``kind`` (``change``, ``decision``, ``switch``) in a model's history."""
    return URIRef(f"{model_iri(name)}/{kind}/{uuid.uuid4().hex}")


def change_triples(
    name: str, alias: str, to: int | None, previous: int | None, cause: Cause, time: str
) -> tuple[URIRef, list[Triple]]:
    """An alias change: ``to`` None is a delete; ``previous`` None a first set."""
    node = activity_iri(name, "change")
    kind = "delete" if to is None else "set" if previous is None else "move"
    out: list[Triple] = [
        (node, RDF.type, OL.AliasChange),
        (node, RDF.type, PROV.Activity),
        (node, OL.changedAlias, alias_iri(name, alias)),
        (node, OL.aliasName, Literal(alias)),
        (node, OL.changeKind, Literal(kind)),
        (node, OL.changeCause, Literal(cause.kind)),
        *_activity(node, cause.agent, cause.informed_by, time),
    ]
    if to is not None:
        out += [
            (node, OL.toVersion, version_iri(name, to)),
            (node, PROV.used, version_iri(name, to)),
        ]
    if previous is not None:
        out.append((node, OL.fromVersion, version_iri(name, previous)))
    return node, out


def decision_triples(decision: Decision) -> list[Triple]:
    """A promotion decision: what was compared, on which held-out data, and the outcome."""
    node = URIRef(decision.iri)
    out: list[Triple] = [
        (node, RDF.type, OL.PromotionDecision),
        (node, RDF.type, PROV.Activity),
        (node, OL.decisionOutcome, Literal(decision.outcome)),
        (node, OL.decisionReason, Literal(decision.reason)),
        (node, OL.challengerVersion, version_iri(decision.model, decision.version)),
        (node, PROV.used, version_iri(decision.model, decision.version)),
        *_activity(node, decision.agent, decision.informed_by, decision.time),
    ]
    if decision.champion is not None:
        champion = version_iri(decision.model, decision.champion)
        out += [(node, OL.championVersion, champion), (node, PROV.used, champion)]
    if decision.metric is not None:
        out.append((node, OL.comparedMetric, Literal(decision.metric)))
    for predicate, value in (
        (OL.challengerValue, decision.challenger_value),
        (OL.championValue, decision.champion_value),
    ):
        if value is not None:
            out.append((node, predicate, Literal(value, datatype=XSD.double)))
    out += [(node, OL.heldOutSha256, Literal(sha)) for sha in decision.held_out]
    if decision.champion_scoring is not None:
        out.append((node, OL.championScoring, URIRef(decision.champion_scoring)))
    return out


def _activity(node: URIRef, agent: str, informed_by: str | None, time: str) -> list[Triple]:
    stamp = Literal(datetime.fromisoformat(time), datatype=XSD.dateTime)
    out: list[Triple] = [
        (node, PROV.startedAtTime, stamp),
        (node, PROV.endedAtTime, stamp),
        (node, PROV.wasAssociatedWith, URIRef(agent)),
    ]
    if URIRef(agent) == PLATFORM_AGENT:
        out += [
            (PLATFORM_AGENT, RDF.type, OL.PlatformAgent),
            (PLATFORM_AGENT, RDFS.label, Literal("Ontolab platform")),
        ]
    if informed_by:
        out.append((node, PROV.wasInformedBy, URIRef(informed_by)))
    return out


def rollback_target(history: list[dict[str, Any]]) -> int | None:
    """The version a rollback returns an alias to, from its changes (newest first).

    Replayed oldest first as a stack: a set or move pushes the version it left, a rollback pops
    it, a delete empties it; so rolling back twice goes two steps back, never forth again."""
    stack: list[int] = []
    for change in reversed(history):
        if change["kind"] == "delete":
            stack.clear()
        elif change["cause"] == "rollback":
            if stack:
                stack.pop()
        elif change["previous"] is not None:
            stack.append(change["previous"])
    return stack[-1] if stack else None


# --- reading back -----------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """An ISO 8601 time from a request; a naive time is read as UTC. RegistryInputError if bad."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise RegistryInputError(
            f"{text!r} is not an ISO 8601 time; give one such as 2026-12-03T18:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def change_from_row(row: Row) -> dict[str, Any]:
    """An ``alias_history`` row as the API shows one change."""
    value = {key: python_value(term) for key, term in row.items()}
    return {
        "iri": str(value["change"]),
        "time": _iso(value["time"]),
        "kind": str(value["kind"]),
        "cause": str(value["cause"]),
        "version": _number(value.get("to")),
        "previous": _number(value.get("from")),
        "agent": str(value["agent"]) if value.get("agent") else None,
        "informed_by": str(value["informed"]) if value.get("informed") else None,
    }


def cause_from_row(row: Row) -> dict[str, Any]:
    """An ``alias_change_causes`` row: one activity of the chain that led to a change."""
    value = {key: python_value(term) for key, term in row.items()}
    out: dict[str, Any] = {
        "iri": str(value["activity"]),
        "type": _local(value.get("type")),
        "time": _iso(value["time"]) if value.get("time") is not None else None,
    }
    for key in ("kind", "cause", "outcome", "reason", "metric"):
        if value.get(key) is not None:
            out[key] = str(value[key])
    for key in ("challenger_value", "champion_value"):
        if value.get(key) is not None:
            out[key] = float(value[key])
    for key in ("version", "previous", "champion"):
        if value.get(key) is not None:
            out[key] = _number(value[key])
    return out


def decision_from_row(row: Row) -> dict[str, Any]:
    """A ``promotion_decisions`` row as the API shows one decision."""
    value = {key: python_value(term) for key, term in row.items()}
    out: dict[str, Any] = {
        "iri": str(value["decision"]),
        "time": _iso(value["time"]),
        "version": _number(value["version"]),
        "outcome": str(value["outcome"]),
        "reason": str(value["reason"]),
        "metric": str(value["metric"]) if value.get("metric") is not None else None,
        "champion": _number(value.get("champion")),
        "informed_by": str(value["informed"]) if value.get("informed") else None,
    }
    for key in ("challenger_value", "champion_value"):
        out[key] = float(value[key]) if value.get(key) is not None else None
    return out


def _number(iri: Any) -> int | None:
    return None if iri is None else int(str(iri).rsplit("/", 1)[-1])


def _local(iri: Any) -> str | None:
    return None if iri is None else str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
