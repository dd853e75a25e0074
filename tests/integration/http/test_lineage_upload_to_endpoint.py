"""Lineage without holes, over real HTTP: from the CSV file a user uploaded to the endpoint that
served the model trained on it.

Before: the extract of ``dataset:NAME@N`` recorded only the literal reference (a data source
node named by the string), so nothing linked a run to the uploaded version's node, the upload
kept no trace of the file it was sent, and a deployment named no agent.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests
from rdflib import URIRef
from sklearn.datasets import load_iris

from server.graph.namespaces import PLATFORM_AGENT
from server.registry.model import version_iri
from tests.documents import iris_document

TIMEOUT = 30
MODEL = "flowers-model"

# From the deployment through the model version and the run that built it back to the file
# the dataset version was uploaded from: PROV properties and Ontolab classes only.
DEPLOYMENT_TO_FILE = """
PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?version ?run ?dataset_version ?file ?sha256 ?file_name ?agent ?started WHERE {
  $deployment a ol:ModelDeployment ;
      prov:used ?version ;
      prov:startedAtTime ?started ;
      prov:wasAssociatedWith ?agent .
  ?agent a ol:PlatformAgent .
  ?version a ol:ModelVersion ;
      ol:registeredFromRun ?run ;
      prov:wasDerivedFrom ?model .
  ?run a ol:Run ; ol:hasStepRun ?build, ?extract .
  ?model prov:wasGeneratedBy ?build ;
      prov:wasDerivedFrom+ ?dataset_version .
  ?extract prov:used ?dataset_version .
  ?dataset_version a ol:Dataset ;
      ol:uploaded true ;
      prov:wasDerivedFrom ?file .
  ?file a ol:UploadedFile ;
      ol:sha256 ?sha256 ;
      ol:fileName ?file_name .
}
"""


def graph_triples(platform: Any, graph: str) -> set[tuple[str, str, str]]:
    rows = platform.store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return {(str(r["s"]), str(r["p"]), str(r["o"])) for r in rows}


@pytest.mark.slow
def test_lineage_reaches_from_the_uploaded_file_to_the_deployment(
    live_server: Any, finished_run: Any
) -> None:
    csv = load_iris(as_frame=True).frame.to_csv(index=False).encode()
    uploaded = requests.post(
        live_server("/api/datasets"),
        params={"name": "flowers"},
        files={"file": ("flowers.csv", csv, "text/csv")},
        timeout=120,
    )
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert dataset["source"] == "dataset:flowers@1"

    document = iris_document("flowers", source="dataset:flowers@1", model=MODEL)
    created = requests.post(live_server("/api/experiments"), json=document, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    started = requests.post(live_server("/api/runs"), json={"experiment": "flowers"}, timeout=30)
    run_id = started.json()["run_id"]
    run = finished_run(live_server.url, run_id)
    assert run["status"] == "succeeded", run.get("error")

    # The run's lineage shows the uploaded version's node and the file it came from.
    lineage = requests.get(live_server("/api/lineage"), params={"run": run_id}, timeout=TIMEOUT)
    assert lineage.status_code == 200, lineage.text
    nodes = {node["id"]: node for node in lineage.json()["nodes"]}
    version_node = nodes[dataset["iri"]]
    assert (version_node["kind"], version_node["label"], version_node["sha256"]) == (
        "dataset_version",
        "dataset:flowers@1",
        dataset["sha256"],
    )
    file_node = nodes[dataset["iri"] + "/file"]
    assert (file_node["kind"], file_node["label"], file_node["sha256"]) == (
        "uploaded_file",
        "flowers.csv",
        hashlib.sha256(csv).hexdigest(),
    )
    edges = {(e["source"], e["relation"], e["target"]) for e in lineage.json()["edges"]}
    extract_run = f"https://w3id.org/ontolab/id/run/{run_id}/step/extract"
    extracted = f"https://w3id.org/ontolab/id/run/{run_id}/output/extract"
    assert (extract_run, "prov:used", dataset["iri"]) in edges, sorted(edges)
    assert (extracted, "prov:wasDerivedFrom", dataset["iri"]) in edges
    assert (dataset["iri"], "prov:wasDerivedFrom", dataset["iri"] + "/file") in edges

    answer = requests.post(
        live_server("/api/deployments"), json={"model": MODEL, "version": 1}, timeout=TIMEOUT
    )
    assert answer.status_code == 201, answer.text
    deployment = answer.json()
    assert deployment["started_by"] == str(PLATFORM_AGENT)

    query = DEPLOYMENT_TO_FILE.replace("$deployment", f"<{deployment['iri']}>")
    rows = live_server.platform.store.select(query)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["version"] == version_iri(MODEL, 1)
    assert row["run"] == URIRef(f"https://w3id.org/ontolab/id/run/{run_id}")
    assert row["dataset_version"] == URIRef(dataset["iri"])
    assert (str(row["sha256"]), str(row["file_name"])) == (
        hashlib.sha256(csv).hexdigest(),
        "flowers.csv",
    )
    assert row["agent"] == PLATFORM_AGENT

    # Stopping adds the end of the activity; nothing the graph stated is taken back.
    before = graph_triples(live_server.platform, deployment["iri"])
    stopped = requests.delete(live_server(f"/api/deployments/{deployment['id']}"), timeout=TIMEOUT)
    assert stopped.status_code == 200 and stopped.json()["ended_at"], stopped.text
    after = graph_triples(live_server.platform, deployment["iri"])
    assert before < after
    ended = "http://www.w3.org/ns/prov#endedAtTime"
    assert [p for _, p, _ in after - before].count(ended) == 1
    again = requests.delete(live_server(f"/api/deployments/{deployment['id']}"), timeout=TIMEOUT)
    assert again.status_code == 200 and again.json()["ended_at"] == stopped.json()["ended_at"]
    assert graph_triples(live_server.platform, deployment["iri"]) == after
