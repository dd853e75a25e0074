"""A deployment's graph: a PROV activity that used the model version it serves, associated with
the agent that started it; stopping only adds; the reasoner finds it consistent with the
ontology.

Before: no agent, and a stop rewrote the graph (desired state ``running`` taken back).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import owlready2
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from ontology import ONTOLOGY_FILE
from server.graph.namespaces import OL, PLATFORM_AGENT
from server.registry.model import version_iri
from server.serving.deployment_record import (
    Deployment,
    deployment_iri,
    from_row,
    start_triples,
    stop_triples,
)
from tests.reasoner import reason

STARTED = "2026-01-02T03:04:05+00:00"
ENDED = "2026-01-02T04:05:06+00:00"


def running(**changes: object) -> Deployment:
    fields: dict[str, object] = {
        "id": "0123456789ab",
        "name": "flowers-model",
        "version": 1,
        "sha256": "ab" * 32,
        "port": 3100,
        "desired": "running",
        "started_at": STARTED,
        "pid": 4242,
        "model_iri": str(version_iri("flowers-model", 1)),
    }
    fields.update(changes)
    return Deployment(**fields)  # type: ignore[arg-type]


def test_a_deployment_is_an_activity_that_used_the_version_and_names_its_agent() -> None:
    graph = Graph()
    for triple in start_triples(running()):
        graph.add(triple)
    node = deployment_iri("0123456789ab")
    assert (node, RDF.type, OL.ModelDeployment) in graph
    assert (node, PROV.used, version_iri("flowers-model", 1)) in graph
    assert (node, PROV.wasAssociatedWith, PLATFORM_AGENT) in graph
    assert (PLATFORM_AGENT, RDF.type, OL.PlatformAgent) in graph
    assert graph.value(node, PROV.startedAtTime) is not None
    assert graph.value(node, PROV.endedAtTime) is None
    assert graph.value(node, OL.desiredState) is None, "running is stated by no end"


def test_another_agent_is_named_without_typing_it_here() -> None:
    user = "https://w3id.org/ontolab/id/agent/user/ada"
    graph = Graph()
    for triple in start_triples(running(started_by=user)):
        graph.add(triple)
    assert (deployment_iri("0123456789ab"), PROV.wasAssociatedWith, URIRef(user)) in graph
    assert not list(graph.objects(URIRef(user), RDF.type))


def test_stopping_adds_the_end_and_takes_nothing_back() -> None:
    started = set(start_triples(running()))
    stopped = running(desired="stopped", ended_at=ENDED)
    added = set(stop_triples(stopped))
    assert started <= set(start_triples(stopped)) == started | added
    node = deployment_iri("0123456789ab")
    assert {(s, p) for s, p, _ in added} == {
        (node, OL.desiredState),
        (node, PROV.endedAtTime),
    }
    assert (node, OL.desiredState, Literal("stopped")) in added


def test_rows_read_back_default_to_the_platform_agent_and_running() -> None:
    row = {
        "id": Literal("0123456789ab"),
        "name": Literal("m"),
        "version": Literal(1),
        "sha256": Literal("ab"),
        "port": Literal(3100),
        "desired": Literal("running"),
        "started": Literal(STARTED),
    }
    assert from_row(row).started_by == str(PLATFORM_AGENT)


def test_the_reasoner_finds_a_deployment_consistent_with_the_ontology(tmp_path: Path) -> None:
    if shutil.which(owlready2.JAVA_EXE) is None:
        pytest.fail("Java is not on PATH, so the reasoner cannot run; run ./installation.sh --dev")
    graph = Graph().parse(ONTOLOGY_FILE, format="turtle")
    for triple in start_triples(running(desired="stopped", ended_at=ENDED)):
        graph.add(triple)
    graph.add((version_iri("flowers-model", 1), RDF.type, OL.ModelVersion))
    reason(graph, tmp_path)
