"""The Store contract on every backend: embedded Oxigraph, the Oxigraph server, Virtuoso."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from server.errors import QueryError, StoreError
from server.graph import write_terms
from server.store import Store, open_store
from server.store.base import GRAPH_MEDIA_TYPES, RESULTS_MEDIA_TYPES

G1 = URIRef("https://w3id.org/ontolab/test/graph/1")
G2 = URIRef("https://w3id.org/ontolab/test/graph/2")
S = URIRef("https://w3id.org/ontolab/test/s")
P = URIRef("https://w3id.org/ontolab/test/p")
Q = URIRef("https://w3id.org/ontolab/test/q")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url or "oxigraph:memory")
    yield opened
    opened.close()


def values(store: Store, graph: URIRef) -> list[object]:
    rows = store.select(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s <{P}> ?o }} }} ORDER BY ?o")
    return [r["o"].toPython() for r in rows]  # type: ignore[union-attr]


def test_replace_graph_swaps_the_whole_graph_and_leaves_others(store: Store) -> None:
    store.replace_graph(G1, [(S, P, Literal(1)), (S, P, Literal(2))])
    store.replace_graph(G2, [(S, P, Literal(9))])
    store.replace_graph(G1, [(S, P, Literal(3))])
    assert values(store, G1) == [3]
    assert values(store, G2) == [9]


def test_default_graph_is_the_union_of_named_graphs(store: Store) -> None:
    store.replace_graph(G1, [(S, P, Literal(1))])
    store.replace_graph(G2, [(S, P, Literal(2))])
    rows = store.select(f"SELECT ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?o")
    assert [r["o"].toPython() for r in rows] == [1, 2]  # type: ignore[union-attr]
    assert store.ask(f"ASK {{ <{S}> <{P}> 1 . <{S}> <{P}> 2 }}")


def test_terms_round_trip_with_their_types(store: Store) -> None:
    tricky = 'say "hi"\n} ; DROP ALL ; \\ é'
    when = Literal("2024-05-01T10:00:00.123456Z", datatype=XSD.dateTime)
    doc = Literal('{"a": [1, 2]}', datatype=RDF.JSON)
    objects = [Literal(tricky), Literal(0.5), Literal(True), Literal(7), when, doc, Literal("x")]
    store.replace_graph(G1, [(S, P, o) for o in objects] + [(S, Q, Literal(False))])
    rows = store.select(f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert {r["o"] for r in rows} == {*objects, Literal(False)}
    plain = store.select_values(f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert sorted(map(repr, (r["o"] for r in plain))) == sorted(
        map(repr, [tricky, 0.5, True, 7, "2024-05-01T10:00:00.123456Z", {"a": [1, 2]}, "x", False])
    )
    assert store.ask(f'ASK {{ GRAPH <{G1}> {{ ?s ?p 0.5e0, "x", true, 7 }} }}')


@pytest.mark.parametrize("write", ["replace_graph", "add_to_graph"])
def test_failed_write_leaves_the_old_graph(store: Store, write: str) -> None:
    store.replace_graph(G1, [(S, P, Literal(1))])
    with pytest.raises((QueryError, StoreError)):
        getattr(store, write)(G1, [(S, P, Literal(2)), (S, Literal("no predicate"), Literal(3))])
    assert values(store, G1) == [1]


def test_add_to_graph_keeps_what_the_graph_holds(store: Store) -> None:
    store.replace_graph(G1, [(S, P, Literal(1))])
    store.add_to_graph(G1, [(S, P, Literal(2)), (S, P, Literal(1))])
    store.add_to_graph(G1, [])
    store.add_to_graph(G2, [(S, P, Literal(9))])
    assert values(store, G1) == [1, 2]
    assert values(store, G2) == [9], "adding to a graph that is not there makes it"


def test_pyoxigraph_terms_are_written_as_their_rdflib_twins(store: Store) -> None:
    tricky = 'say "hi"\n} ; DROP ALL ; \\ é'
    stamp = "2024-05-01T10:00:00.123456+00:00"
    twins = [
        (Literal(tricky), write_terms.string(tricky)),
        (Literal(0.5, datatype=XSD.double), write_terms.double(0.5)),
        (Literal(True), write_terms.plain(True)),
        (Literal(7), write_terms.plain(7)),
        (Literal(stamp, datatype=XSD.dateTime), write_terms.date_time(stamp)),
        (Literal('{"a": [1, 2]}', datatype=RDF.JSON), write_terms.value({"a": [1, 2]})),
        (Q, write_terms.iri(str(Q))),
    ]
    store.replace_graph(G1, [(S, P, rdflib) for rdflib, _ in twins])
    subject, predicate = write_terms.iri(str(S)), write_terms.iri(str(P))
    store.replace_graph(G2, [(subject, predicate, native) for _, native in twins])
    store.add_to_graph(G2, [(S, Q, write_terms.plain(False))])
    assert values(store, G2) == values(store, G1) and len(values(store, G1)) == len(twins)
    assert store.ask(f"ASK {{ GRAPH <{G2}> {{ <{S}> <{Q}> false }} }}")


def test_delete_graph_and_construct(store: Store) -> None:
    store.replace_graph(G1, [(S, P, Literal(1))])
    constructed = store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
    )
    assert constructed == [(S, P, Literal(1))]
    store.delete_graph(G1)
    assert values(store, G1) == []


def test_blank_nodes_are_stored(store: Store) -> None:
    node = BNode()
    store.replace_graph(G1, [(S, Q, node), (node, P, Literal(5))])
    assert values(store, G1) == [5]
    assert store.ask(f"ASK {{ GRAPH <{G1}> {{ <{S}> <{Q}> [ <{P}> 5 ] }} }}")


def test_errors_are_typed(store: Store) -> None:
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        store.select("SELEKT * WHERE {}")
    with pytest.raises(QueryError, match="expected a SELECT"):
        store.select("ASK {}")
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        store.serialize_query(f"DROP GRAPH <{G1}>")


def test_every_offered_media_type_serializes(store: Store) -> None:
    store.replace_graph(G1, [(S, P, Literal(1)), (S, P, Literal(2))])
    select = f"SELECT ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?o"
    for media_type in RESULTS_MEDIA_TYPES:
        data, used = store.serialize_query(select, [media_type])
        assert used == media_type and b"2" in data
    data, used = store.serialize_query(select, ["text/turtle", "text/csv"])
    assert used == "text/csv" and data.replace(b"\r", b"").split(b"\n")[1:3] == [b"1", b"2"]
    construct = f"CONSTRUCT {{ ?s <{P}> ?o }} WHERE {{ GRAPH <{G1}> {{ ?s <{P}> ?o }} }}"
    for media_type in GRAPH_MEDIA_TYPES:
        data, used = store.serialize_query(construct, [media_type])
        assert used == media_type and b"w3id.org/ontolab/test" in data


def test_threads_share_one_store(store: Store) -> None:
    graphs = [URIRef(f"{G1}/{i}") for i in range(8)]

    def write_then_read(graph: URIRef) -> list[object]:
        store.replace_graph(graph, [(S, P, Literal(str(graph)))])
        return values(store, graph)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(write_then_read, graphs))
    assert answers == [[str(g)] for g in graphs]
