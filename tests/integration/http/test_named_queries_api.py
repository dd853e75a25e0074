"""/api/queries over real HTTP: list the named queries, run them with typed parameters."""

from __future__ import annotations

import pytest
import requests

from server import definitions
from tests.conftest import EXAMPLES, LiveServer, assert_problem


@pytest.fixture
def wine_submitted(live_server: LiveServer) -> LiveServer:
    """The live server with the wine example stored as version 1."""
    text = (EXAMPLES / "wine.ttl").read_text()
    definitions.submit(live_server.platform.store, definitions.parse(text))
    return live_server


def test_the_list_names_every_query_with_typed_parameters(live_server: LiveServer) -> None:
    response = requests.get(live_server("/api/queries"), timeout=10)
    assert response.status_code == 200
    listed = {q["name"]: q for q in response.json()["queries"]}
    assert listed["lineage"]["parameters"] == [{"name": "entity", "type": "iri"}]
    assert "provenance" in listed["lineage"]["description"]
    assert listed["runs"]["parameters"] == []


def test_get_runs_a_query_with_parameters_from_the_query_string(wine_submitted: LiveServer) -> None:
    url = wine_submitted("/api/queries/experiment_versions")
    answer = requests.get(url, params={"identifier": "wine"}, timeout=10).json()
    assert answer["columns"] == ["version", "number", "experiment", "hash", "created"]
    [row] = answer["rows"]
    assert row["number"] == 1
    assert row["version"] == "https://w3id.org/ontolab/id/experiment/wine/v1"
    assert row["created"].startswith("20") and "T" in row["created"], "ISO 8601"


def test_post_takes_a_json_object_and_gives_the_same_rows(wine_submitted: LiveServer) -> None:
    url = wine_submitted("/api/queries/experiment_versions")
    by_get = requests.get(url, params={"identifier": "wine"}, timeout=10).json()
    by_post = requests.post(url, json={"identifier": "wine"}, timeout=10).json()
    assert by_post == by_get
    empty = requests.post(url, json={"identifier": "no-such"}, timeout=10).json()
    assert empty == {"columns": by_get["columns"], "rows": []}


def test_unbound_columns_are_null(wine_submitted: LiveServer) -> None:
    answer = requests.get(wine_submitted("/api/queries/step_types"), timeout=10).json()
    assert answer["columns"] == ["type", "label", "phase"]
    assert all(set(row) == {"type", "label", "phase"} for row in answer["rows"])
    assert any(row["phase"] is None for row in answer["rows"]), "ol:Deployment is not runnable"


def test_ask_queries_answer_a_boolean(live_server: LiveServer) -> None:
    url = live_server("/api/queries/ontology_version")
    response = requests.post(url, json={"hash": "not-the-hash"}, timeout=10)
    assert response.json() == {"boolean": False}


def test_a_bad_iri_is_400_naming_the_parameter(live_server: LiveServer) -> None:
    url = live_server("/api/queries/lineage")
    assert_problem(requests.get(url, params={"entity": "not an iri"}, timeout=10), 400, "'entity'")


def test_a_missing_parameter_is_400_naming_it(live_server: LiveServer) -> None:
    response = requests.get(live_server("/api/queries/experiment_versions"), timeout=10)
    assert_problem(response, 400, "missing ['identifier']")


def test_a_post_without_a_json_object_is_400(live_server: LiveServer) -> None:
    url = live_server("/api/queries/experiment_versions")
    assert_problem(requests.post(url, json=["wine"], timeout=10), 400, "JSON object")


@pytest.mark.parametrize("name", ["no_such_query", "Bad-Name", "..%2F..%2Fetc"])
def test_an_unknown_query_is_404(live_server: LiveServer, name: str) -> None:
    assert_problem(requests.get(live_server(f"/api/queries/{name}"), timeout=10), 404)


def test_openapi_describes_the_routes(live_server: LiveServer) -> None:
    paths = requests.get(live_server("/api/openapi.json"), timeout=10).json()["paths"]
    assert set(paths["/api/queries/{name}"]) == {"get", "post"}
    assert "get" in paths["/api/queries"]


def test_ontology_terms_list_the_terms_the_sparql_editor_completes(live_server: LiveServer) -> None:
    answer = requests.get(live_server("/api/queries/ontology_terms"), timeout=10).json()
    assert answer["columns"] == ["term", "label", "comment"]
    terms = {row["term"]: row for row in answer["rows"]}
    assert len(terms) == len(answer["rows"]), "one row a term"
    for namespace, local in [
        ("https://w3id.org/ontolab/ns#", "status"),
        ("http://www.w3.org/ns/mls#", "Run"),
        ("http://www.w3.org/ns/prov#", "Activity"),
        ("http://www.w3.org/ns/dcat#", "Dataset"),
    ]:
        assert namespace + local in terms, local
    status = terms["https://w3id.org/ontolab/ns#status"]
    assert status["label"] and "succeeded" in status["comment"]


def test_resource_triples_give_a_node_s_triples_out_and_in(wine_submitted: LiveServer) -> None:
    version = "https://w3id.org/ontolab/id/experiment/wine/v1"
    kind = "https://w3id.org/ontolab/ns#ExperimentVersion"
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    url = wine_submitted("/api/queries/resource_triples")
    answer = requests.get(url, params={"node": version}, timeout=10).json()
    assert answer["columns"] == ["direction", "predicate", "other", "other_is_iri", "graph"]
    out = [r for r in answer["rows"] if r["direction"] == "out"]
    assert out and all(r["graph"] for r in out)
    assert (rdf_type, kind, True) in [(r["predicate"], r["other"], r["other_is_iri"]) for r in out]
    assert any(not r["other_is_iri"] for r in out), "literals are marked as such"

    answer = requests.get(url, params={"node": kind}, timeout=10).json()
    into = [(r["predicate"], r["other"]) for r in answer["rows"] if r["direction"] == "in"]
    assert (rdf_type, version) in into
    bad = requests.get(url, params={"node": "not an iri"}, timeout=10)
    assert_problem(bad, 400, "node")
