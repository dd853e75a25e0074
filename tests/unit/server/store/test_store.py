"""The embedded Oxigraph store behind the Store protocol."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from server.errors import ConfigError, QueryError, StoreError
from server.store import Store, open_store
from server.store.base import GRAPH_MEDIA_TYPES, RESULTS_MEDIA_TYPES
from server.store.oxigraph import OxigraphStore

G1 = URIRef("https://example.org/graph/1")
G2 = URIRef("https://example.org/graph/2")
S = URIRef("https://example.org/s")
P = URIRef("https://example.org/p")


def values(store: Store, graph: URIRef) -> list[object]:
    rows = store.select(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?o")
    return [r["o"].toPython() for r in rows]  # type: ignore[union-attr]


def test_implements_the_protocol() -> None:
    assert isinstance(OxigraphStore(), Store)


def test_replace_graph_swaps_the_whole_graph_and_leaves_others() -> None:
    store = open_store("oxigraph:memory")
    store.replace_graph(G1, [(S, P, Literal(1)), (S, P, Literal(2))])
    store.replace_graph(G2, [(S, P, Literal(9))])
    store.replace_graph(G1, [(S, P, Literal(3))])
    assert values(store, G1) == [3]
    assert values(store, G2) == [9]


def test_default_graph_is_the_union_of_named_graphs() -> None:
    store = open_store("oxigraph:memory")
    store.replace_graph(G1, [(S, P, Literal(1))])
    store.replace_graph(G2, [(S, P, Literal(2))])
    rows = store.select("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o")
    assert [r["o"].toPython() for r in rows] == [1, 2]  # type: ignore[union-attr]


def test_literals_round_trip_with_quotes_newlines_and_types() -> None:
    store = open_store("oxigraph:memory")
    tricky = 'say "hi"\n} ; DROP ALL ; \\'
    store.replace_graph(G1, [(S, P, Literal(tricky)), (S, P, Literal(0.5)), (S, P, Literal(True))])
    assert sorted(map(str, values(store, G1))) == sorted([tricky, "0.5", "True"])
    assert store.ask(f"ASK {{ GRAPH <{G1}> {{ ?s ?p 0.5e0 }} }}")


def test_failed_replace_leaves_the_old_graph() -> None:
    store = open_store("oxigraph:memory")
    store.replace_graph(G1, [(S, P, Literal(1))])
    with pytest.raises((QueryError, StoreError)):
        store.replace_graph(G1, [(S, P, Literal(2)), (S, P, URIRef("http://[::1"))])
    assert values(store, G1) == [1]


def test_failed_write_of_a_new_graph_leaves_nothing() -> None:
    store = open_store("oxigraph:memory")
    with pytest.raises((QueryError, StoreError), match="update failed"):
        store.replace_graph(G1, [(S, P, Literal(2)), (S, P, URIRef("http://[::1"))])
    assert values(store, G1) == []
    assert not store.ask(f"ASK {{ GRAPH <{G1}> {{ }} }}")


def test_delete_graph_and_construct() -> None:
    store = open_store("oxigraph:memory")
    store.replace_graph(G1, [(S, P, Literal(1))])
    assert store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}") == [
        (S, P, Literal(1))
    ]
    store.delete_graph(G1)
    assert values(store, G1) == []


def test_data_persists_on_disk(tmp_path: Path) -> None:
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    store.replace_graph(G1, [(S, P, Literal("kept"))])
    store.close()
    reopened = open_store(f"oxigraph:{tmp_path / 'store'}")
    assert values(reopened, G1) == ["kept"]
    reopened.close()


def test_store_held_by_another_process_gives_a_clear_error(tmp_path: Path) -> None:
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    code = f"from server.store import open_store\nopen_store('oxigraph:{tmp_path / 'store'}')\n"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    store.close()
    assert other.returncode != 0
    assert "another Ontolab process may hold it" in other.stderr


def test_syntax_error_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        open_store("oxigraph:memory").select("SELEKT * WHERE {}")


def test_wrong_query_form_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="expected a SELECT"):
        open_store("oxigraph:memory").select("ASK {}")


def test_unknown_backend_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="names no store backend; use one of: oxigraph:"):
        open_store("mongodb://localhost")


def zoo_store() -> Store:
    store = open_store("oxigraph:memory")
    store.replace_graph(G1, [(S, P, Literal(1)), (S, P, Literal(2))])
    return store


@pytest.mark.parametrize(
    ("query", "asked", "expected_type", "expected_start"),
    [
        ("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o", [], RESULTS_MEDIA_TYPES[0], b'{"head"'),
        ("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o", ["text/csv"], "text/csv", b"o\r\n1\r\n2"),
        ("ASK { ?s ?p 2 }", ["text/turtle", "application/sparql-results+xml"],
         "application/sparql-results+xml", b"<?xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", ["text/csv", "application/n-triples"],
         "application/n-triples", b"<https://example.org/s> <https://example.org/p> "),
        ("DESCRIBE <https://example.org/s>", [], GRAPH_MEDIA_TYPES[0], b"<https://example.org/s>"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", ["text/csv"], "text/turtle", b"<https://example.org/s>"),
    ],
)  # fmt: skip
def test_serialize_query_picks_the_first_type_that_fits_the_form(
    query: str, asked: list[str], expected_type: str, expected_start: bytes
) -> None:
    data, media_type = zoo_store().serialize_query(query, asked)
    assert media_type == expected_type
    assert data.startswith(expected_start)


def test_serialize_query_sees_the_union_default_graph() -> None:
    store = zoo_store()
    store.replace_graph(G2, [(S, P, Literal(3))])
    data, _ = store.serialize_query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", ["text/csv"])
    assert data == b"n\r\n3\r\n"


def test_serialize_query_never_runs_an_update() -> None:
    store = zoo_store()
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        store.serialize_query(f"DROP GRAPH <{G1}>")
    assert values(store, G1) == [1, 2]


def test_every_offered_media_type_serializes() -> None:
    store = zoo_store()
    for media_type in RESULTS_MEDIA_TYPES:
        assert store.serialize_query("ASK {}", [media_type])[1] == media_type
    for media_type in GRAPH_MEDIA_TYPES:
        assert store.serialize_query("CONSTRUCT WHERE { ?s ?p ?o }", [media_type])[1] == media_type
