"""A deployment as its graph states it: the record, its triples, and reading it back.

Pure: builds triples and reads query rows, no I/O (``server.serving.deployments`` writes them).
A deployment is an ``ol:ModelDeployment``, a PROV activity: it ``prov:used`` the model version
it serves, ``prov:wasAssociatedWith`` the agent that started it, and has a start and, once
stopped, an end. Its graph only grows (``stop_triples`` are added), but for the pid and port of
its current process, which a restore writes again with the rest (``start_triples``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from server.graph.namespaces import ID, OL, PLATFORM_AGENT, PROV, RDF, RDFS
from server.graph.terms import python_value
from server.store.base import Triple

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Deployment:
    id: str
    name: str
    version: int
    sha256: str
    port: int
    desired: str  # running | stopped
    started_at: str
    pid: int | None = None
    model_iri: str | None = None
    alias: str | None = None
    ended_at: str | None = None
    started_by: str = str(PLATFORM_AGENT)  # the agent IRI (prov:wasAssociatedWith)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def to_json(self, status: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "iri": str(deployment_iri(self.id)),
            "model": self.name,
            "version": self.version,
            "alias": self.alias,
            "sha256": self.sha256,
            "url": self.url,
            "port": self.port,
            "pid": self.pid,
            "status": status,
            "desired_state": self.desired,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "started_by": self.started_by,
            "follows_alias": self.alias is not None,
        }


def deployment_iri(deployment_id: str) -> URIRef:
    """A deployment; also the name of the graph that holds it."""
    return URIRef(f"{ID}deployment/{deployment_id}")


def start_triples(d: Deployment) -> list[Triple]:
    """The deployment's graph as its process starts (deploy, restore)."""
    node = deployment_iri(d.id)
    agent = URIRef(d.started_by)
    triples: list[Triple] = [
        (node, RDF.type, OL.ModelDeployment),
        (node, OL.deploymentId, Literal(d.id)),
        (node, OL.servedModelName, Literal(d.name)),
        (node, OL.servedModelVersion, Literal(d.version, datatype=XSD.integer)),
        (node, OL.sha256, Literal(d.sha256)),
        (node, OL.port, Literal(d.port, datatype=XSD.integer)),
        (node, PROV.startedAtTime, Literal(d.started_at, datatype=XSD.dateTime)),
        (node, PROV.wasAssociatedWith, agent),
    ]
    if agent == PLATFORM_AGENT:  # a user's agent node will live with the user, not here
        triples += [
            (agent, RDF.type, OL.PlatformAgent),
            (agent, RDFS.label, Literal("Ontolab platform")),
        ]
    if d.pid is not None:
        triples.append((node, OL.processId, Literal(d.pid, datatype=XSD.integer)))
    if d.model_iri:
        triples.append((node, PROV.used, URIRef(d.model_iri)))
    if d.alias:
        triples.append((node, OL.requestedAlias, Literal(d.alias)))
    if d.desired == "stopped":
        triples += stop_triples(d)
    return triples


def stop_triples(d: Deployment) -> list[Triple]:
    """What stopping adds: the end of the activity and that it should stay stopped."""
    node = deployment_iri(d.id)
    triples: list[Triple] = [(node, OL.desiredState, Literal("stopped"))]
    if d.ended_at:
        triples.append((node, PROV.endedAtTime, Literal(d.ended_at, datatype=XSD.dateTime)))
    return triples


def from_row(row: Mapping[str, Any]) -> Deployment:
    value = {name: python_value(term) for name, term in row.items()}
    return Deployment(
        id=str(value["id"]),
        name=str(value["name"]),
        version=int(value["version"]),
        sha256=str(value["sha256"]),
        port=int(value["port"]),
        desired=str(value["desired"]),
        started_at=_text(value["started"]),
        pid=int(value["pid"]) if "pid" in value else None,
        model_iri=value.get("model"),
        alias=value.get("alias"),
        ended_at=_text(value["ended"]) if "ended" in value else None,
        started_by=str(value.get("agent") or PLATFORM_AGENT),
    )


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def switch_triples(
    d: Deployment, version: int, cause: str, started: str, ended: str, failure: str | None
) -> list[Triple]:
    """A switch of deployment ``d`` (as it was) to ``version``, informed by the alias change
    ``cause``: switched, or failed with the reason (traffic stayed on ``d.version``)."""
    from server.registry.model import version_iri

    node = URIRef(f"{deployment_iri(d.id)}/switch/{uuid.uuid4().hex}")
    to = version_iri(d.name, version)
    triples: list[Triple] = [
        (node, RDF.type, OL.DeploymentSwitch),
        (node, RDF.type, PROV.Activity),
        (node, OL.switchedDeployment, deployment_iri(d.id)),
        (node, OL.switchOutcome, Literal("failed" if failure else "switched")),
        (node, OL.toVersion, to),
        (node, OL.fromVersion, version_iri(d.name, d.version)),
        (node, PROV.used, to),
        (node, PROV.wasInformedBy, URIRef(cause)),
        (node, PROV.wasAssociatedWith, PLATFORM_AGENT),
        (node, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)),
        (node, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)),
    ]
    if failure:
        triples.append((node, OL.failureReason, Literal(failure)))
    return triples
