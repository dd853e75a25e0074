"""Experiment definitions stored as versions: submit (validate, store if new), list, read, delete.

Each version lives in its own named graph, whose name is also the version's IRI. Blank nodes
are replaced by IRIs under the version before storing, so every stored node can be named by a
query and remote stores that refuse blank nodes in updates get none. A resubmitted definition
whose canonical content equals a stored version's (the newest or an older one) returns that
version instead of numbering a new one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import RDFS, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from ontology import ONTOLOGY_FILE
from server.definitions.code_bundles import require_bundle
from server.definitions.estimators import AllowList
from server.definitions.validation import experiment_node, ontology_graph, validate
from server.errors import NotFoundError
from server.graph import queries
from server.graph.clock import utc_now
from server.graph.namespaces import (
    DCTERMS,
    ID,
    OL,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    RDF,
    experiment_version_iri,
    run_annotations_graph,
)
from server.graph.terms import plain_row, python_value
from server.store.base import Store, Triple

_versions_lock = threading.Lock()


@dataclass(frozen=True)
class ExperimentVersion:
    """One stored version of an experiment definition."""

    identifier: str
    number: int
    iri: URIRef
    experiment: URIRef
    content_hash: str
    created: datetime

    @property
    def graph(self) -> URIRef:
        return self.iri


@dataclass(frozen=True)
class Submission:
    version: ExperimentVersion
    created: bool


def submit(
    store: Store,
    graph: Graph,
    roots: Sequence[Path] | None = None,
    estimators: AllowList | None = None,
) -> Submission:
    """Validate and store ``graph``; a new version only if no version has its content.

    Content identical to a stored version (the newest or an older one) returns that version
    with ``created`` false, so submitting v1's file again after v2 gives back version 1.

    ``roots`` are the data roots file sources must resolve into, ``estimators`` the allow-list
    ``ol:estimator`` names one of (see ``validate``).
    """
    validate(graph, roots, estimators)
    require_bundle(graph)
    experiment = experiment_node(graph)
    identifier = str(graph.value(experiment, DCTERMS.identifier))
    canonical = to_canonical_graph(graph)
    content_hash = _content_hash(canonical)
    with _versions_lock:
        existing = versions(store, identifier)
        # Any version, not just the newest: content submitted before is that version again.
        same = next((v for v in existing if v.content_hash == content_hash), None)
        if same is not None:
            return Submission(same, created=False)
        number = existing[0].number + 1 if existing else 1
        version = ExperimentVersion(
            identifier=identifier,
            number=number,
            iri=experiment_version_iri(identifier, number),
            experiment=experiment,
            content_hash=content_hash,
            created=datetime.fromisoformat(utc_now()),
        )
        store.replace_graph(version.graph, _version_triples(canonical, version))
    return Submission(version, created=True)


def store_tracked_experiment(store: Store, identifier: str, label: str) -> ExperimentVersion:
    """The experiment whose runs are tracked from code (``server.runs.tracked``): version 1
    of ``identifier`` with one ``ol:TrackedCode`` step, stored unless a version exists (then
    the newest is returned). Not validated by the shapes: it is not run by the platform, so
    its task is ``tracked``."""
    with _versions_lock:
        existing = versions(store, identifier)
        if existing:
            return existing[0]
        experiment = URIRef(f"{ID}experiment/{quote(identifier, safe='-_.~')}")
        step = URIRef(f"{experiment}/step/tracked")
        graph = Graph()
        graph.add((experiment, RDF.type, OL.Experiment))
        graph.add((experiment, DCTERMS.identifier, Literal(identifier)))
        graph.add((experiment, RDFS.label, Literal(label)))
        graph.add((experiment, OL.task, Literal("tracked")))
        graph.add((experiment, RDFS.comment, Literal(_TRACKED_COMMENT)))
        graph.add((experiment, OL.hasStep, step))
        graph.add((step, RDF.type, OL.TrackedCode))
        canonical = to_canonical_graph(graph)
        version = ExperimentVersion(
            identifier=identifier,
            number=1,
            iri=experiment_version_iri(identifier, 1),
            experiment=experiment,
            content_hash=_content_hash(canonical),
            created=datetime.fromisoformat(utc_now()),
        )
        store.replace_graph(version.graph, _version_triples(canonical, version))
    return version


_TRACKED_COMMENT = (
    "Runs tracked from code the platform did not execute (ontolab.start_run, MLflow's client "
    "or an MLflow import)."
)


def list_experiments(store: Store) -> list[dict[str, Any]]:
    """Every stored experiment, one row each (identifier, versions, newest), values plain."""
    rows = queries.select(store, "experiments")
    return [plain_row(row) for row in rows]


def versions(store: Store, identifier: str) -> list[ExperimentVersion]:
    """Every stored version of an experiment, newest first."""
    rows = queries.select(store, "experiment_versions", identifier=identifier)
    return [
        ExperimentVersion(
            identifier=identifier,
            number=int(python_value(row["number"])),
            iri=URIRef(str(row["version"])),
            experiment=URIRef(str(row["experiment"])),
            content_hash=str(row["hash"]),
            created=python_value(row["created"]),
        )
        for row in rows
    ]


def get_version(store: Store, identifier: str, number: int | None = None) -> ExperimentVersion:
    """The given version of an experiment, or its newest when ``number`` is None."""
    found = versions(store, identifier)
    if not found:
        raise NotFoundError(
            f"no experiment {identifier!r} is stored; submit its definition first "
            "(`ontolab submit FILE`)"
        )
    if number is None:
        return found[0]
    for version in found:
        if version.number == number:
            return version
    raise NotFoundError(
        f"experiment {identifier!r} has no version {number}; it has versions "
        f"{', '.join(str(v.number) for v in reversed(found))}"
    )


def delete_experiment(store: Store, identifier: str) -> tuple[int, int]:
    """Delete every version of an experiment and the runs of those versions.

    Returns (versions deleted, runs deleted). Artifacts stay: they are content-addressed and
    may be shared with other runs.
    """
    found = versions(store, identifier)
    if not found:
        raise NotFoundError(f"no experiment {identifier!r} is stored; nothing to delete")
    runs = [
        URIRef(str(r["run"]))
        for r in queries.select(store, "experiment_runs", identifier=identifier)
    ]
    for run in runs:
        store.delete_graph(run)
        store.delete_graph(run_annotations_graph(run))
    for version in found:
        store.delete_graph(version.graph)
    return len(found), len(runs)


def version_turtle(store: Store, version: ExperimentVersion) -> str:
    """The stored definition of one version, as Turtle."""
    graph = Graph()
    for row in queries.select(store, "graph_triples", graph=str(version.graph)):
        graph.add((row["s"], row["p"], row["o"]))
    graph.bind("ol", OL)
    return graph.serialize(format="turtle")


def ensure_ontology(store: Store) -> None:
    """Load the ontology into its own graph unless the stored copy is already current."""
    text = ONTOLOGY_FILE.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    if queries.ask(store, "ontology_version", hash=digest):
        return
    triples: list[Triple] = list(ontology_graph())
    triples.append((ONTOLOGY_IRI, OL.contentHash, Literal(digest)))
    store.replace_graph(ONTOLOGY_GRAPH, triples)


def _content_hash(canonical: Graph) -> str:
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in canonical)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _version_triples(canonical: Graph, version: ExperimentVersion) -> list[Triple]:
    def named(term: Node) -> Node:
        return URIRef(f"{version.iri}/node/{term}") if isinstance(term, BNode) else term

    triples: list[Triple] = [(named(s), named(p), named(o)) for s, p, o in canonical]
    triples += [
        (version.iri, RDF.type, OL.ExperimentVersion),
        (version.iri, OL.versionOf, version.experiment),
        (version.iri, DCTERMS.identifier, Literal(version.identifier)),
        (version.iri, OL.versionNumber, Literal(version.number)),
        (version.iri, OL.contentHash, Literal(version.content_hash)),
        (version.iri, DCTERMS.created, Literal(version.created)),
    ]
    return triples
