"""A client query's dataset on every backend: the union of all graphs by default, the query's own
``FROM`` / ``FROM NAMED``, and the protocol's ``default-graph-uri`` / ``named-graph-uri`` passed
on (to the Oxigraph server and Virtuoso as protocol parameters), replacing the query's own."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from rdflib import Literal, URIRef

from server.errors import QueryTooLargeError
from server.store import Store, open_store
from server.store.base import RESULTS_MEDIA_TYPES, Dataset, QueryLimits

G1 = URIRef("https://w3id.org/ontolab/test/dataset/1")
G2 = URIRef("https://w3id.org/ontolab/test/dataset/2")
G3 = URIRef("https://w3id.org/ontolab/test/dataset/3")
P = URIRef("https://w3id.org/ontolab/test/dataset/p")
#: Each graph holds one value of ``P``, so an answer tells which graphs a query saw.
VALUES = {G1: "one", G2: "two", G3: "three"}
DEFAULT = f"SELECT ?v WHERE {{ ?s <{P}> ?v }}"
NAMED = f"SELECT ?g ?v WHERE {{ GRAPH ?g {{ ?s <{P}> ?v }} }}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url or "oxigraph:memory")
    for graph, value in VALUES.items():
        opened.replace_graph(graph, [(URIRef(f"{graph}/s"), P, Literal(value))])
    yield opened
    opened.close()


def seen(store: Store, query: str, dataset: Dataset | None = None) -> list[str]:
    """What a client's query saw: the values, each with its graph's number when it names one."""
    limits = QueryLimits.starting_now(30, 10**8, 1000)
    data, _ = store.serialize_query(query, ["application/sparql-results+json"], limits, dataset)
    rows = json.loads(data)["results"]["bindings"]
    return sorted(
        (row["g"]["value"].rsplit("/", 1)[1] + ":" if "g" in row else "") + row["v"]["value"]
        for row in rows
    )


def test_without_a_dataset_the_default_graph_is_the_union(store: Store) -> None:
    assert seen(store, DEFAULT) == ["one", "three", "two"]
    assert seen(store, NAMED) == ["1:one", "2:two", "3:three"]


def test_from_narrows_the_default_graph(store: Store) -> None:
    query = DEFAULT.replace("WHERE", f"FROM <{G1}> FROM <{G3}> WHERE")
    assert seen(store, query) == ["one", "three"]


def test_from_named_narrows_the_named_graphs_and_empties_the_default(store: Store) -> None:
    assert seen(store, NAMED.replace("WHERE", f"FROM NAMED <{G2}> WHERE")) == ["2:two"]
    assert seen(store, DEFAULT.replace("WHERE", f"FROM NAMED <{G2}> WHERE")) == []


def test_the_protocol_dataset_replaces_the_querys_own(store: Store) -> None:
    from_g1 = DEFAULT.replace("WHERE", f"FROM <{G1}> WHERE")
    assert seen(store, from_g1, Dataset((str(G2),))) == ["two"]
    assert seen(store, DEFAULT, Dataset((str(G2), str(G3)))) == ["three", "two"]
    assert seen(store, NAMED, Dataset((), (str(G3),))) == ["3:three"]
    assert seen(store, DEFAULT, Dataset((), (str(G3),))) == []
    assert seen(store, NAMED, Dataset((str(G1),), (str(G1), str(G2)))) == ["1:one", "2:two"]


@pytest.mark.parametrize("media_type", RESULTS_MEDIA_TYPES)
def test_the_row_cap_counts_each_servers_own_answer(store: Store, media_type: str) -> None:
    query = DEFAULT.replace("WHERE", f"FROM <{G1}> FROM <{G2}> FROM <{G3}> WHERE")
    limits = QueryLimits.starting_now(30, 10**8, 3)
    data, used = store.serialize_query(query, [media_type], limits)
    assert used == media_type and b"three" in data
    with pytest.raises(QueryTooLargeError, match="more than 2 rows"):
        store.serialize_query(query, [media_type], QueryLimits.starting_now(30, 10**8, 2))
