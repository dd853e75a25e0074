"""/sparql over real HTTP: the SPARQL 1.1 Protocol as standard clients speak it."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from tests.conftest import LiveServer, assert_problem

G = URIRef("https://example.org/graph/zoo")
ZOO = "https://example.org/zoo#"
ANIMALS = {"cat": 4, "bird": 2, "snake": 0}
SELECT = f"SELECT ?animal ?legs WHERE {{ ?animal <{ZOO}legs> ?legs }} ORDER BY ?legs"
ASK = f"ASK {{ <{ZOO}cat> <{ZOO}legs> 4 }}"
CONSTRUCT = f"CONSTRUCT {{ ?a <{ZOO}walks> true }} WHERE {{ ?a <{ZOO}legs> ?n FILTER(?n > 0) }}"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture
def zoo(live_server: LiveServer) -> LiveServer:
    """The live server with three animals and their legs in one named graph."""
    triples = [(URIRef(ZOO + a), URIRef(ZOO + "legs"), Literal(n)) for a, n in ANIMALS.items()]
    live_server.platform.store.replace_graph(G, triples)
    return live_server


def legs_by_animal(bindings: list[dict[str, str]]) -> dict[str, int]:
    return {b["animal"].removeprefix(ZOO): int(b["legs"]) for b in bindings}


# --- standard clients ------------------------------------------------------------------------


def wrapper(zoo: LiveServer, query: str, fmt: str) -> Any:
    """SPARQLWrapper's converted answer: a dict, DOM document, Graph or bytes by format."""
    client = SPARQLWrapper(zoo("/sparql"))
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setTimeout(10)
    return client.queryAndConvert()


def test_sparqlwrapper_select_as_json(zoo: LiveServer) -> None:
    answer = wrapper(zoo, SELECT, JSON)
    rows = [{k: v["value"] for k, v in b.items()} for b in answer["results"]["bindings"]]
    assert answer["head"]["vars"] == ["animal", "legs"]
    assert legs_by_animal(rows) == ANIMALS


def test_sparqlwrapper_select_as_xml(zoo: LiveServer) -> None:
    document = wrapper(zoo, SELECT, XML)
    names = [b.getAttribute("name") for b in document.getElementsByTagName("binding")]
    assert names == ["animal", "legs"] * 3


def test_sparqlwrapper_ask(zoo: LiveServer) -> None:
    assert wrapper(zoo, ASK, JSON)["boolean"] is True
    assert wrapper(zoo, ASK.replace(" 4 ", " 5 "), JSON)["boolean"] is False


def walkers(graph: Graph) -> set[str]:
    return {str(s).removeprefix(ZOO) for s in graph.subjects(URIRef(ZOO + "walks"))}


def test_sparqlwrapper_construct_gives_an_rdflib_graph(zoo: LiveServer) -> None:
    with warnings.catch_warnings():
        # SPARQLWrapper 2.0 converts RDF/XML into rdflib's deprecated ConjunctiveGraph.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        graph = wrapper(zoo, CONSTRUCT, XML)
    assert isinstance(graph, Graph)
    assert walkers(graph) == {"cat", "bird"}


def test_sparqlwrapper_construct_as_turtle(zoo: LiveServer) -> None:
    turtle = wrapper(zoo, CONSTRUCT, TURTLE)  # the client leaves Turtle as bytes
    assert walkers(Graph().parse(data=turtle, format="turtle")) == {"cat", "bird"}


def test_sparqlwrapper_csv(zoo: LiveServer) -> None:
    text = wrapper(zoo, SELECT, CSV).decode()
    assert legs_by_animal(list(csv.DictReader(io.StringIO(text)))) == ANIMALS


@pytest.fixture
def remote_graph(zoo: LiveServer) -> Graph:
    """An rdflib Graph backed by the platform's /sparql through rdflib's SPARQLStore."""
    return Graph(store=SPARQLStore(zoo("/sparql"), returnFormat="json"))


def test_rdflib_sparqlstore_select(remote_graph: Graph) -> None:
    rows: Any = remote_graph.query(SELECT)
    assert {str(r.animal).removeprefix(ZOO): r.legs.toPython() for r in rows} == ANIMALS


def test_rdflib_sparqlstore_iterates_a_triple_pattern(remote_graph: Graph) -> None:
    with warnings.catch_warnings():
        # SPARQLStore.triples warns that it fetches everything when there is no LIMIT.
        warnings.filterwarnings("ignore", "Found no LIMIT", UserWarning)
        found = set(remote_graph.triples((None, URIRef(ZOO + "legs"), None)))
    legs = {str(s).removeprefix(ZOO): o.toPython() for s, _, o in found if isinstance(o, Literal)}
    assert legs == ANIMALS


# --- the protocol with requests --------------------------------------------------------------


def post_form(zoo: LiveServer, query: str, **headers: str) -> requests.Response:
    return requests.post(zoo("/sparql"), data={"query": query}, headers=headers, timeout=10)


def post_body(zoo: LiveServer, query: str, **headers: str) -> requests.Response:
    headers = {"Content-Type": "application/sparql-query", **headers}
    return requests.post(zoo("/sparql"), data=query.encode(), headers=headers, timeout=10)


def get(zoo: LiveServer, query: str, **headers: str) -> requests.Response:
    return requests.get(zoo("/sparql"), params={"query": query}, headers=headers, timeout=10)


@pytest.mark.parametrize("query", [SELECT, ASK, CONSTRUCT])
def test_get_and_both_post_forms_give_the_same_answer(zoo: LiveServer, query: str) -> None:
    answers = [send(zoo, query) for send in (get, post_form, post_body)]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert len({(a.headers["Content-Type"], a.content) for a in answers}) == 1


def test_defaults_without_accept(zoo: LiveServer) -> None:
    assert get(zoo, SELECT).headers["Content-Type"] == "application/sparql-results+json"
    assert get(zoo, ASK).json() == {"head": {}, "boolean": True}
    assert get(zoo, CONSTRUCT).headers["Content-Type"].startswith("text/turtle")


def parse_json(text: str) -> dict[str, int]:
    rows = json.loads(text)["results"]["bindings"]
    return legs_by_animal([{k: v["value"] for k, v in row.items()} for row in rows])


def parse_xml(text: str) -> dict[str, int]:
    results = ElementTree.fromstring(text).iter(f"{RESULTS_NS}result")
    rows = [{b.get("name"): "".join(b.itertext()) for b in r} for r in results]
    return legs_by_animal(rows)  # type: ignore[arg-type]


def parse_csv(text: str) -> dict[str, int]:
    return legs_by_animal(list(csv.DictReader(io.StringIO(text))))


def parse_tsv(text: str) -> dict[str, int]:
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    # TSV keeps the RDF syntax: ?animal / ?legs headers, <iri> and plain numbers.
    return legs_by_animal([{"animal": r["?animal"].strip("<>"), "legs": r["?legs"]} for r in rows])


@pytest.mark.parametrize(
    ("accept", "content_type", "parse"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", parse_json),
        ("application/sparql-results+xml", "application/sparql-results+xml", parse_xml),
        ("text/csv", "text/csv", parse_csv),
        ("text/tab-separated-values", "text/tab-separated-values", parse_tsv),
        (
            "text/csv;q=0.5, application/sparql-results+xml",
            "application/sparql-results+xml",
            parse_xml,
        ),
        ("text/*", "text/csv", parse_csv),
        ("text/csv;q=0.5, application/*", "application/sparql-results+json", parse_json),
    ],
)
def test_select_in_each_accepted_format(
    zoo: LiveServer, accept: str, content_type: str, parse: Callable[[str], dict[str, int]]
) -> None:
    response = get(zoo, SELECT, Accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert parse(response.text) == ANIMALS


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml")],
)
def test_construct_in_each_accepted_format(zoo: LiveServer, accept: str, fmt: str) -> None:
    response = post_body(zoo, CONSTRUCT, Accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    graph = Graph().parse(data=response.text, format=fmt)
    assert {str(s).removeprefix(ZOO) for s in graph.subjects()} == {"cat", "bird"}


def test_ask_in_xml(zoo: LiveServer) -> None:
    response = get(zoo, ASK, Accept="application/sparql-results+xml")
    assert ElementTree.fromstring(response.text).findtext(f"{RESULTS_NS}boolean") == "true"


def count_triples(zoo: LiveServer) -> int:
    rows = zoo.platform.store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(rows[0]["n"])  # type: ignore[call-overload]


@pytest.mark.parametrize("how", ["form", "body", "query string"])
def test_updates_are_refused_and_change_nothing(zoo: LiveServer, how: str) -> None:
    before = count_triples(zoo)
    update = f"DROP ALL ; INSERT DATA {{ <{ZOO}x> <{ZOO}legs> 9 }}"
    url = zoo("/sparql")
    response = {
        "form": lambda: requests.post(url, data={"update": update}, timeout=10),
        "body": lambda: requests.post(
            url, data=update, headers={"Content-Type": "application/sparql-update"}, timeout=10
        ),
        "query string": lambda: requests.get(url, params={"update": update}, timeout=10),
    }[how]()
    assert_problem(response, 403, "read-only")
    assert count_triples(zoo) == before


def test_an_update_sent_as_a_query_is_refused_as_read_only(zoo: LiveServer) -> None:
    before = count_triples(zoo)
    assert_problem(post_form(zoo, "DROP ALL"), 403, "SPARQL Update", "read-only")
    assert count_triples(zoo) == before


def test_unsatisfiable_accept_is_406_listing_the_offer(zoo: LiveServer) -> None:
    body = assert_problem(get(zoo, SELECT, Accept="image/png"), 406, "text/csv")
    assert "application/sparql-results+json" in body["offered"]["SELECT, ASK"]
    assert_problem(get(zoo, CONSTRUCT, Accept="text/csv"), 406, "text/turtle")
    assert_problem(get(zoo, SELECT, Accept="text/turtle, */*;q=0"), 406)


def test_syntax_error_is_400_with_the_parsers_message(zoo: LiveServer) -> None:
    assert_problem(get(zoo, "SELEKT * WHERE {}"), 400, "SPARQL syntax error", "1:1")


@pytest.mark.parametrize(
    "send",
    [
        lambda url: requests.get(url, timeout=10),
        lambda url: requests.get(url, params={"query": " "}, timeout=10),
        lambda url: requests.post(url, data={"other": "x"}, timeout=10),
        lambda url: requests.get(url, params={"query": [ASK, ASK]}, timeout=10),
    ],
)
def test_missing_query_is_400(zoo: LiveServer, send: Callable[[str], requests.Response]) -> None:
    assert_problem(send(zoo("/sparql")), 400, "expected exactly one query")


def test_dataset_parameters_name_the_graphs_queried(zoo: LiveServer) -> None:
    # More cases, FROM / FROM NAMED among them: test_sparql_protocol.py.
    params = {"query": SELECT, "default-graph-uri": "https://example.org/graph/none"}
    response = requests.get(zoo("/sparql"), params=params, timeout=10)
    assert response.json()["results"]["bindings"] == []
    response = requests.get(zoo("/sparql"), params={**params, "default-graph-uri": G}, timeout=10)
    assert parse_json(response.text) == ANIMALS


def test_other_post_bodies_are_415(zoo: LiveServer) -> None:
    response = requests.post(zoo("/sparql"), json={"query": SELECT}, timeout=10)
    assert_problem(response, 415, "application/sparql-query")


def test_openapi_describes_the_endpoint(zoo: LiveServer) -> None:
    paths = requests.get(zoo("/api/openapi.json"), timeout=10).json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])
    assert "403" in paths["/sparql"]["post"]["responses"]
