"""A run reading an uploaded dataset links the version it read, as a node (not only the
``dataset:NAME[@N]`` string), and the version links the file it was uploaded from.

Before: the extract's dataset derived only from a data source node named by the reference
string, and the version's graph said nothing of the uploaded file.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import owlready2
import pytest
from rdflib import Graph, URIRef

from executor.contract import ArtifactRef, StepResult
from ontology import ONTOLOGY_FILE
from server import datasets, definitions
from server.definitions.ui_document import to_graph
from server.graph.namespaces import output_iri, source_iri, step_run_iri
from server.platform import Platform
from server.runs import scheduler
from server.tracking.records import RunRecord
from server.tracking.results import run_triples
from tests.documents import quick_document
from tests.reasoner import reason

CSV = b"a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
PROV = "http://www.w3.org/ns/prov#"
OL = "https://w3id.org/ontolab/ns#"


def planned_record(platform: Platform, source: str) -> RunRecord:
    document = quick_document("uploaded")
    document["steps"][0]["parameters"]["source"] = source
    version = definitions.submit(platform.store, to_graph(document)).version
    pipeline, plan = platform.runs.plan(version)
    return scheduler.new_record(
        platform.settings, platform.store, platform.artifacts, pipeline, plan, platform.provisioner
    )


def triples(record: RunRecord) -> set[tuple[str, str, str]]:
    return {(s.value, p.value, o.value) for s, p, o in run_triples(record)}


def test_an_extract_of_the_newest_version_links_that_version_node(platform: Platform) -> None:
    store, artifacts = platform.store, platform.artifacts
    datasets.upload(store, artifacts, "flowers", CSV, "text/csv", "first.csv")
    newest = datasets.upload(store, artifacts, "flowers", CSV + b"9,9,0\n", "text/csv")
    record = planned_record(platform, "dataset:flowers")
    extract = record.steps["extract"]
    assert extract.dataset_version == newest.iri
    assert extract.parameters["source"] == "dataset:flowers"
    assert extract.parameters["source_path"] == str(artifacts.path(newest.sha256))

    extract.result = StepResult(
        "succeeded",
        record.started_at,
        record.started_at,
        outputs={"dataset": ArtifactRef("ab" * 32, 10, "application/octet-stream")},
        summary={"source": "dataset:flowers", "rows": 5, "columns": 3},
    )
    found = triples(record)
    step_run = str(step_run_iri(record.run_id, "extract"))
    dataset = str(output_iri(record.run_id, "extract"))
    assert (step_run, PROV + "used", newest.iri) in found
    assert (dataset, PROV + "wasDerivedFrom", newest.iri) in found
    # The reference as written stays, for what reads it.
    assert (dataset, PROV + "wasDerivedFrom", str(source_iri("dataset:flowers"))) in found


def test_a_run_of_a_file_source_links_no_dataset_version(platform: Platform) -> None:
    record = planned_record(platform, "sklearn:iris")
    assert record.steps["extract"].dataset_version is None


def test_the_version_derives_from_the_file_it_was_uploaded_from(platform: Platform) -> None:
    version = datasets.upload(
        platform.store, platform.artifacts, "flowers", CSV, "text/csv", "flowers.csv"
    )
    rows = platform.store.select(
        f"""SELECT ?file ?sha256 ?size ?name ?format WHERE {{
          GRAPH <{version.iri}> {{
            <{version.iri}> <{PROV}wasDerivedFrom> ?file .
            ?file a <{OL}UploadedFile> ; <{OL}sha256> ?sha256 ; <{OL}byteSize> ?size ;
                  <{OL}fileName> ?name ; <http://purl.org/dc/terms/format> ?format .
          }} }}"""
    )
    assert len(rows) == 1
    row = {key: str(value) for key, value in rows[0].items()}
    assert row == {
        "file": str(datasets.file_iri(version.iri)),
        "sha256": hashlib.sha256(CSV).hexdigest(),
        "size": str(len(CSV)),
        "name": "flowers.csv",
        "format": "text/csv",
    }
    # The file's checksum is the bytes as sent, not the Parquet form the platform keeps.
    assert row["sha256"] != version.sha256


def test_the_reasoner_finds_an_uploaded_version_consistent_with_the_ontology(
    platform: Platform, tmp_path: Path
) -> None:
    if shutil.which(owlready2.JAVA_EXE) is None:
        pytest.fail("Java is not on PATH, so the reasoner cannot run; run ./installation.sh --dev")
    version = datasets.upload(
        platform.store, platform.artifacts, "flowers", CSV, "text/csv", "flowers.csv"
    )
    graph = Graph().parse(ONTOLOGY_FILE, format="turtle")
    rows = platform.store.select(f"SELECT ?s ?p ?o {{ GRAPH <{version.iri}> {{ ?s ?p ?o }} }}")
    # HermiT refuses xsd:dateTime with microseconds (dcterms:created): not what is checked here.
    created = URIRef("http://purl.org/dc/terms/created")
    for row in rows:
        if row["p"] != created:
            graph.add((row["s"], row["p"], row["o"]))
    assert (URIRef(version.iri), None, None) in graph
    reason(graph, tmp_path)
