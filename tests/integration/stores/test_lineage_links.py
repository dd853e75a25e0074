"""The queries that read the new lineage links answer alike on every store: an uploaded dataset
version and its file in a run's lineage (``lineage_nodes``), a deployment's agent and its
desired state derived from an end that stopping added (``deployments``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from server import datasets
from server.graph import queries
from server.graph.namespaces import OL, PLATFORM_AGENT, PROV, RDF, output_iri, step_run_iri
from server.registry.model import version_iri
from server.serving.deployment_record import (
    Deployment,
    deployment_iri,
    start_triples,
    stop_triples,
)
from server.settings import Settings
from server.store import Store, open_store
from server.tracking.artifacts import ArtifactStore

CSV = b"a,b,target\n1,2,0\n3,4,1\n"
RUN = "0123456789abcdef"
STARTED = "2026-01-02T03:04:05+00:00"


@pytest.fixture
def store(store_settings: Settings) -> Iterator[Store]:
    opened = open_store(store_settings.store_url, store_settings)
    yield opened
    opened.close()


def deployment(deployment_id: str) -> Deployment:
    return Deployment(
        id=deployment_id,
        name="flowers-model",
        version=1,
        sha256="ab" * 32,
        port=3100,
        desired="running",
        started_at=STARTED,
        pid=4242,
        model_iri=str(version_iri("flowers-model", 1)),
    )


def test_a_runs_lineage_shows_the_uploaded_version_and_its_file(
    store: Store, tmp_path: Path
) -> None:
    version = datasets.upload(
        store, ArtifactStore(tmp_path / "artifacts"), "flowers", CSV, "text/csv", "flowers.csv"
    )
    extracted = output_iri(RUN, "extract")
    store.replace_graph(
        URIRef(f"https://w3id.org/ontolab/id/run/{RUN}"),
        [
            (extracted, OL.artifactKind, Literal("dataset")),
            (extracted, PROV.wasGeneratedBy, step_run_iri(RUN, "extract")),
            (extracted, PROV.wasDerivedFrom, URIRef(version.iri)),
            (step_run_iri(RUN, "extract"), PROV.used, URIRef(version.iri)),
            (step_run_iri(RUN, "extract"), OL.stepId, Literal("extract")),
        ],
    )
    nodes = {
        str(row["node"]): (row.get("kind"), row.get("label"), row.get("sha256"))
        for row in queries.select_values(store, "lineage_nodes", entity=str(extracted))
    }
    assert nodes[version.iri] == ("dataset_version", "dataset:flowers@1", version.sha256)
    assert nodes[str(datasets.file_iri(version.iri))] == (
        "uploaded_file",
        "flowers.csv",
        hashlib.sha256(CSV).hexdigest(),
    )


def test_deployments_read_their_agent_and_a_stop_added_by_addition(store: Store) -> None:
    running, stopped = deployment("0123456789ab"), deployment("ba9876543210")
    for each in (running, stopped):
        store.replace_graph(deployment_iri(each.id), start_triples(each))
    ended = Deployment(**{**stopped.__dict__, "desired": "stopped", "ended_at": STARTED})
    store.add_to_graph(deployment_iri(stopped.id), stop_triples(ended))
    # A graph an earlier version wrote: desired state stated, no agent.
    old = deployment_iri("00000000000f")
    store.replace_graph(
        old,
        [
            (old, RDF.type, OL.ModelDeployment),
            (old, OL.deploymentId, Literal("00000000000f")),
            (old, OL.servedModelName, Literal("flowers-model")),
            (old, OL.servedModelVersion, Literal(1)),
            (old, OL.sha256, Literal("cd" * 32)),
            (old, OL.port, Literal(3101)),
            (old, OL.desiredState, Literal("running")),
            (old, PROV.startedAtTime, Literal(STARTED, datatype=URIRef(XSD_DATETIME))),
        ],
    )
    rows = {str(r["id"]): r for r in queries.select_values(store, "deployments")}
    assert set(rows) == {"0123456789ab", "ba9876543210", "00000000000f"}
    assert rows["0123456789ab"]["desired"] == "running"
    assert rows["0123456789ab"]["agent"] == str(PLATFORM_AGENT)
    assert rows["ba9876543210"]["desired"] == "stopped"
    assert rows["ba9876543210"].get("ended") is not None
    assert rows["00000000000f"]["desired"] == "running"
    assert rows["00000000000f"].get("agent") is None


XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
