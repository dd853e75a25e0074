"""/sparql and the SPARQL 1.1 Protocol's cases, over real HTTP: the dataset (FROM, FROM NAMED,
default-graph-uri, named-graph-uri) by every method, the row cap, updates refused as read-only
however they come, and the protocol's negative cases (named after the W3C protocol tests)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from flask import Flask
from rdflib import Literal, URIRef

from server.platform import open_platform
from server.settings import Settings
from tests.conftest import LiveServer, assert_problem

ZOO = URIRef("https://example.org/graph/zoo")
FARM = URIRef("https://example.org/graph/farm")
LEGS = URIRef("https://example.org/legs")
#: Distinct animals in each graph, so an answer tells which graphs a query saw.
ANIMALS = {ZOO: {"cat": 4, "snake": 0}, FARM: {"cow": 4, "hen": 2}}
ALL = {"cat", "snake", "cow", "hen"}
DEFAULT = f"SELECT ?animal WHERE {{ ?animal <{LEGS}> ?legs }}"
NAMED = f"SELECT ?g ?animal WHERE {{ GRAPH ?g {{ ?animal <{LEGS}> ?legs }} }}"
MAX_ROWS = 50
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"

Send = Callable[..., requests.Response]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"data": tmp_path / "data", "sparql_max_rows": MAX_ROWS}, environ={})


def fill(live: LiveServer) -> LiveServer:
    for graph, animals in ANIMALS.items():
        triples = [
            (URIRef(f"https://example.org/{a}"), LEGS, Literal(n)) for a, n in animals.items()
        ]
        live.platform.store.replace_graph(graph, triples)
    return live


@pytest.fixture
def two_graphs(live_server: LiveServer) -> LiveServer:
    """The live server with a zoo graph and a farm graph."""
    return fill(live_server)


# The protocol's three ways to send a query, each with dataset parameters where it puts them:
# a GET's URL, a form POST's body, a direct POST's URL.
def get(
    live: LiveServer, query: str, accept: str = "*/*", **params: list[str] | str
) -> requests.Response:
    return requests.get(
        live("/sparql"), params={"query": query, **params}, headers={"Accept": accept}, timeout=10
    )


def post_form(live: LiveServer, query: str, **params: list[str] | str) -> requests.Response:
    return requests.post(live("/sparql"), data={"query": query, **params}, timeout=10)


def post_direct(live: LiveServer, query: str, **params: list[str] | str) -> requests.Response:
    headers = {"Content-Type": DIRECT}
    return requests.post(
        live("/sparql"), params=params, data=query.encode(), headers=headers, timeout=10
    )


METHODS = pytest.mark.parametrize("send", [get, post_form, post_direct])


def dataset(**names: list[URIRef]) -> dict[str, list[str]]:
    """Protocol parameters: ``default=[…]`` and ``named=[…]`` graph IRIs."""
    return {f"{key}-graph-uri": [str(g) for g in graphs] for key, graphs in names.items()}


def animals(response: requests.Response) -> set[str]:
    """The answer's animals, each prefixed with its graph's name when the query asked for it."""
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return {
        (row["g"]["value"].rsplit("/", 1)[1] + ":" if "g" in row else "")
        + row["animal"]["value"].rsplit("/", 1)[1]
        for row in rows
    }


# --- the dataset --------------------------------------------------------------------------


@METHODS
def test_without_a_dataset_the_default_graph_is_the_union(
    two_graphs: LiveServer, send: Send
) -> None:
    assert animals(send(two_graphs, DEFAULT)) == ALL


@METHODS
def test_from_narrows_the_default_graph(two_graphs: LiveServer, send: Send) -> None:
    query = DEFAULT.replace("WHERE", f"FROM <{ZOO}> WHERE")
    assert animals(send(two_graphs, query)) == {"cat", "snake"}  # today: all four


@METHODS
def test_from_named_narrows_graph_and_empties_the_default(
    two_graphs: LiveServer, send: Send
) -> None:
    query = NAMED.replace("WHERE", f"FROM NAMED <{FARM}> WHERE")
    assert animals(send(two_graphs, query)) == {"farm:cow", "farm:hen"}
    assert (
        animals(send(two_graphs, DEFAULT.replace("WHERE", f"FROM NAMED <{FARM}> WHERE"))) == set()
    )


@METHODS
def test_default_graph_uri(two_graphs: LiveServer, send: Send) -> None:
    response = send(two_graphs, DEFAULT, **dataset(default=[FARM]))  # today: 400
    assert animals(response) == {"cow", "hen"}
    both = send(two_graphs, DEFAULT, **dataset(default=[FARM, ZOO]))
    assert animals(both) == ALL, "several default graphs are merged"


@METHODS
def test_named_graph_uri(two_graphs: LiveServer, send: Send) -> None:
    assert animals(send(two_graphs, NAMED, **dataset(named=[ZOO]))) == {"zoo:cat", "zoo:snake"}
    assert animals(send(two_graphs, DEFAULT, **dataset(named=[ZOO]))) == set()
    full = send(two_graphs, NAMED, **dataset(default=[FARM], named=[ZOO, FARM]))
    assert animals(full) == {"zoo:cat", "zoo:snake", "farm:cow", "farm:hen"}


@METHODS
def test_protocol_parameters_replace_the_querys_dataset(two_graphs: LiveServer, send: Send) -> None:
    query = NAMED.replace("WHERE", f"FROM <{ZOO}> FROM NAMED <{ZOO}> WHERE")
    assert animals(send(two_graphs, query, **dataset(named=[FARM]))) == {"farm:cow", "farm:hen"}
    from_zoo = DEFAULT.replace("WHERE", f"FROM <{ZOO}> WHERE")
    assert animals(send(two_graphs, from_zoo, **dataset(default=[FARM]))) == {"cow", "hen"}


def test_ask_and_construct_see_the_dataset(two_graphs: LiveServer) -> None:
    cow = "<https://example.org/cow>"
    ask = f"ASK {{ {cow} <{LEGS}> 4 }}"
    assert get(two_graphs, ask).json()["boolean"] is True
    assert get(two_graphs, ask, **dataset(default=[ZOO])).json()["boolean"] is False
    assert get(two_graphs, ask.replace("ASK", f"ASK FROM <{ZOO}>")).json()["boolean"] is False
    construct = f"CONSTRUCT WHERE {{ ?a <{LEGS}> ?n }}"
    turtle = get(two_graphs, construct, **dataset(default=[ZOO])).text
    assert "cat" in turtle and "cow" not in turtle


@pytest.mark.parametrize("iri", ["zoo", "", "https://example.org/a graph"])
def test_a_graph_that_is_not_an_absolute_iri_is_400(two_graphs: LiveServer, iri: str) -> None:
    response = get(two_graphs, DEFAULT, **{"default-graph-uri": iri})
    assert_problem(response, 400, "not an absolute IRI", "default-graph-uri")


# --- the row cap ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_a_select_over_the_row_cap_is_refused_not_cut(two_graphs: LiveServer, accept: str) -> None:
    everything = "SELECT * WHERE { ?s ?p ?o }"  # the ontology alone has hundreds of triples
    refused = get(two_graphs, everything, accept)  # today: 200, every row
    assert_problem(
        refused, 400, f"more than {MAX_ROWS} rows", "ONTOLAB_SPARQL_MAX_ROWS", "add a LIMIT",
        "ontolab store export",
    )  # fmt: skip
    page = get(two_graphs, f"{everything} LIMIT {MAX_ROWS}", accept)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].split(";")[0] == accept
    assert rows_in(page) == MAX_ROWS


def rows_in(response: requests.Response) -> int:
    kind = response.headers["Content-Type"].split(";")[0]
    if kind.endswith("+json"):
        return len(response.json()["results"]["bindings"])
    if kind.endswith("+xml"):
        return len(list(ElementTree.fromstring(response.text).iter(f"{RESULTS_NS}result")))
    delimiter = "\t" if kind == "text/tab-separated-values" else ","
    return len(list(csv.reader(io.StringIO(response.text), delimiter=delimiter))) - 1


# --- updates ----------------------------------------------------------------------------------


def count_triples(live: LiveServer) -> int:
    rows = live.platform.store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(rows[0]["n"])  # type: ignore[call-overload]


@METHODS
@pytest.mark.parametrize(
    "update",
    [
        "DROP ALL",
        f"PREFIX ex: <https://example.org/>\nINSERT DATA {{ ex:dog <{LEGS}> 4 }}",
        f"DELETE WHERE {{ ?a <{LEGS}> ?n }}",
        f"CLEAR GRAPH <{FARM}>",
        "LOAD <https://example.org/data.ttl>",
    ],
)
def test_an_update_sent_as_a_query_is_403_read_only(
    two_graphs: LiveServer, send: Send, update: str
) -> None:
    before = count_triples(two_graphs)
    response = send(two_graphs, update)  # today: 400 "SPARQL syntax error"
    assert_problem(response, 403, "SPARQL Update", "read-only", "ontolab store import")
    assert count_triples(two_graphs) == before


def test_update_parameter_and_body_say_how_to_write(two_graphs: LiveServer) -> None:
    url = two_graphs("/sparql")
    for response in (
        requests.post(url, data={"update": "DROP ALL"}, timeout=10),
        requests.post(
            url, data="DROP ALL", headers={"Content-Type": "application/sparql-update"}, timeout=10
        ),
    ):
        assert_problem(response, 403, "read-only", "platform's API", "ontolab store import")


@pytest.mark.parametrize(
    "send",
    [
        lambda url: requests.get(url, params={"query": DEFAULT, "update": "DROP ALL"}, timeout=10),
        lambda url: requests.post(url, data={"query": DEFAULT, "update": "DROP ALL"}, timeout=10),
    ],
)
def test_a_query_and_an_update_together_are_400(
    two_graphs: LiveServer, send: Callable[[str], requests.Response]
) -> None:
    assert_problem(send(two_graphs("/sparql")), 400, "both a query and an update")  # today: 403


# --- the protocol's negative cases ----------------------------------------------------------


def test_bad_multiple_queries(two_graphs: LiveServer) -> None:
    for response in (
        requests.get(two_graphs("/sparql"), params={"query": [DEFAULT, DEFAULT]}, timeout=10),
        requests.post(two_graphs("/sparql"), data={"query": [DEFAULT, DEFAULT]}, timeout=10),
    ):
        assert_problem(response, 400, "expected exactly one query, got 2")


@pytest.mark.parametrize(
    "send",
    [
        lambda url: requests.get(url, timeout=10),
        lambda url: requests.post(url, data={"default-graph-uri": str(ZOO)}, timeout=10),
        lambda url: requests.post(url, data=b"", headers={"Content-Type": DIRECT}, timeout=10),
    ],
)
def test_bad_query_missing(
    two_graphs: LiveServer, send: Callable[[str], requests.Response]
) -> None:
    assert_problem(send(two_graphs("/sparql")), 400, "expected exactly one query, got 0")


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "text/plain"}, DEFAULT.encode()),  # bad_query_wrong_media_type
        ({}, DEFAULT.encode()),  # bad_query_missing_direct_type
        ({"Content-Type": f"{DIRECT}; charset=ISO-8859-1"}, DEFAULT.encode("latin-1")),
    ],
)
def test_bad_query_media_type_is_415(
    two_graphs: LiveServer, headers: dict[str, str], body: bytes
) -> None:
    response = requests.post(two_graphs("/sparql"), data=body, headers=headers, timeout=10)
    assert_problem(response, 415, DIRECT)


def test_bad_query_non_utf8_is_400(two_graphs: LiveServer) -> None:
    body = 'SELECT * { ?s ?p "caf\xe9" }'.encode("latin-1")
    response = requests.post(
        two_graphs("/sparql"), data=body, headers={"Content-Type": DIRECT}, timeout=10
    )
    assert_problem(response, 400, "not valid UTF-8")


def test_bad_query_syntax_and_method(two_graphs: LiveServer) -> None:
    assert_problem(get(two_graphs, "SELECT * WHERE {"), 400, "SPARQL syntax error")
    assert_problem(requests.put(two_graphs("/sparql"), data=DEFAULT, timeout=10), 405, "GET")


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (DEFAULT, "text/turtle"),
        (f"CONSTRUCT WHERE {{ ?a <{LEGS}> ?n }}", "application/sparql-results+json"),
        ("ASK {}", "image/png"),
    ],
)
def test_unacceptable_accept_is_406(two_graphs: LiveServer, query: str, accept: str) -> None:
    assert_problem(get(two_graphs, query, accept), 406, "Accept")


# --- result formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("application/sparql-results+json", '"boolean":true'),
        ("application/sparql-results+xml", "<boolean>true</boolean>"),
        ("text/csv", "true"),
        ("text/tab-separated-values", "true"),
    ],
)
def test_ask_in_each_results_format(two_graphs: LiveServer, accept: str, answer: str) -> None:
    response = requests.post(
        two_graphs("/sparql"), data={"query": f"ASK {{ ?a <{LEGS}> 4 }}"},
        headers={"Accept": accept}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    assert answer in response.text.replace(" ", "")


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples"])
def test_describe_in_graph_formats(two_graphs: LiveServer, accept: str) -> None:
    response = get(two_graphs, "DESCRIBE <https://example.org/hen>", accept)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    assert "hen" in response.text and str(LEGS) in response.text


def test_openapi_lists_the_dataset_parameters(two_graphs: LiveServer) -> None:
    sparql = requests.get(two_graphs("/api/openapi.json"), timeout=10).json()["paths"]["/sparql"]
    for method in ("get", "post"):
        names = {p["name"] for p in sparql[method]["parameters"]}
        assert {"default-graph-uri", "named-graph-uri"} <= names
        assert {"400", "403", "406"} <= set(sparql[method]["responses"])
    form = sparql["post"]["requestBody"]["content"][FORM]["schema"]["properties"]
    assert {"query", "default-graph-uri", "named-graph-uri"} <= set(form)


# --- on every store ---------------------------------------------------------------------------


@pytest.fixture
def on_store(
    store_settings: Settings, serve_app: Callable[[Flask], object]
) -> Iterator[LiveServer]:
    """The platform on each backend (embedded, Oxigraph server, Virtuoso), served over HTTP."""
    from server.app import create_app

    platform = open_platform(store_settings)
    try:
        with serve_app(create_app(platform=platform)) as url:  # type: ignore[attr-defined]
            yield fill(LiveServer(url, platform))
    finally:
        for graph in ANIMALS:
            platform.store.delete_graph(graph)
        platform.close()


def test_the_dataset_reaches_every_store(on_store: LiveServer) -> None:
    assert animals(get(on_store, DEFAULT)) >= ALL, "the union by default"
    assert animals(get(on_store, DEFAULT.replace("WHERE", f"FROM <{ZOO}> WHERE"))) == {
        "cat",
        "snake",
    }
    assert animals(post_direct(on_store, DEFAULT, **dataset(default=[FARM]))) == {"cow", "hen"}
    named = post_form(on_store, NAMED, **dataset(named=[ZOO]))
    assert animals(named) == {"zoo:cat", "zoo:snake"}
