"""Finding SERVICE (and a query's form) in SPARQL text without running it."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from server.graph.sparql_text import (
    Service,
    Shape,
    form,
    has_dataset_clause,
    is_absolute_iri,
    is_update,
    services,
    shape,
    without_dataset_clauses,
)

EP = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        (f"SELECT * WHERE {{ SERVICE <{EP}> {{ ?s ?p ?o }} }}", [Service(f"<{EP}>", EP)]),
        (f"select * {{ service silent <{EP}> {{ ?s ?p ?o }} }}", [Service(f"<{EP}>", EP)]),
        (f"SELECT * {{ SERVICE<{EP}>{{?s ?p ?o}} }}", [Service(f"<{EP}>", EP)]),
        ("SELECT * { SERVICE ?where { ?s ?p ?o } }", [Service("?where", None)]),
        ("SELECT * { SERVICE SILENT $where { ?s ?p ?o } }", [Service("$where", None)]),
        (
            f"PREFIX ep: <{EP[:-6]}>\nSELECT * {{ SERVICE ep:sparql {{ ?s ?p ?o }} }}",
            [Service("ep:sparql", EP)],
        ),
        ("SELECT * { SERVICE ep:x { ?s ?p ?o } }", [Service("ep:x", None)]),  # undeclared
        ("BASE <http://evil/> SELECT * { SERVICE <x> { ?s ?p ?o } }", [Service("<x>", None)]),
        # Read both ways: as written (Oxigraph) and with \\u escapes decoded first (Jena).
        (f"SELECT * {{ \\u0053ERVICE <{EP}> {{ ?s ?p ?o }} }}", [Service(f"<{EP}>", EP)]),
        (
            f'SELECT * {{ BIND("\\u0022 }} SERVICE <{EP}> {{ ?s ?p ?o }} #" AS ?x) }}',
            [Service(f"<{EP}>", EP)],
        ),
    ],
)
def test_every_service_is_found_with_its_endpoint(query: str, found: list[Service]) -> None:
    assert services(query) == found


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?s ?p "SERVICE <http://x/> {}" }',
        "SELECT * { ?s ?p 'service' }",
        'SELECT * { ?s ?p """a\nSERVICE <http://x/> { }\n""" }',
        "SELECT * { ?s ?p '''SERVICE''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x/> { ?s ?p ?o }",
        "SELECT * { ?s <http://example.org/SERVICE> ?o }",
        "PREFIX service: <http://example.org/> SELECT * { ?s service:SERVICE ?service }",
        'SELECT * { ?s ?p "x"@service }',
        "SELECT * { ?s ?p ?o FILTER(?o < 3) }",
    ],
)
def test_the_word_elsewhere_is_not_service(query: str) -> None:
    assert services(query) == []


def test_oxigraph_reads_an_escaped_keyword_as_a_syntax_error() -> None:
    # What services() assumes of the embedded store: \\u escapes are not decoded in keywords.
    with pytest.raises(SyntaxError):
        ox.Store().query(f"SELECT * {{ \\u0053ERVICE <{EP}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PREFIX a: <http://a/> BASE <http://b/> select * {}", "SELECT"),
        ("# ask me\nASK {}", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://x/>", "DESCRIBE"),
        ("INSERT DATA { <http://x/> <http://y/> 1 }", None),
        ("", None),
    ],
)
def test_form(query: str, expected: str | None) -> None:
    assert form(query) == expected


@pytest.mark.parametrize(
    "text",
    ['"' + 'a\\"' * 100_000, "a." * 100_000, "'''" + "a'" * 100_000, "<a" * 100_000],
    ids=["unclosed string", "dotted name", "unclosed long string", "less-thans"],
)
def test_hostile_text_is_read_in_one_pass(text: str) -> None:
    # Each of these took minutes with a tokenizer that rescans after a failed match.
    done = threading.Event()
    threading.Thread(target=lambda: (services(text), done.set()), daemon=True).start()
    assert done.wait(30), "tokenizing 200 kB took more than 30 s"


def test_shape_counts_brackets_and_operators_outside_strings_iris_and_comments() -> None:
    query = 'SELECT * WHERE { { ?s ?p "{{{ || !" } UNION { ?s <http://x/a-b> ?o } # {{{ ||\n}'
    assert shape(query) == Shape(depth=2, operators=2)  # SELECT *, UNION


def test_shape_reads_two_character_operators_as_one() -> None:
    assert shape("ASK { FILTER(1 <= 2 && 3 != 4 || !false) }").operators == 6  # FILTER too


@pytest.mark.parametrize(
    ("text", "update"),
    [
        ("INSERT DATA { <a:s> <a:p> 1 }", True),
        ("PREFIX x: <http://x/>\nBASE <http://b/>\n delete where { ?s ?p ?o }", True),
        ("# DROP ALL\nDROP SILENT GRAPH <http://g>", True),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("LOAD <http://x/data.ttl>", True),
        ("SELECT * { ?s <http://x/INSERT> 'DROP' }", False),
        ("# INSERT DATA\nASK {}", False),
        ("CONSTRUCT WHERE { ?s ?p ?o }", False),
        ("", False),
    ],
)
def test_an_update_is_told_by_its_first_keyword(text: str, update: bool) -> None:
    assert is_update(text) is update


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("SELECT * FROM <http://g> { ?s ?p ?o }", True),
        ("select * from named <http://g> { graph ?g { ?s ?p ?o } }", True),
        ("ASK FROM<http://g>{}", True),
        ("SELECT * { ?s <http://x/FROM> 'FROM' } # FROM <http://g>", False),
        ("SELECT ?from { ?from ?p ?o }", False),
        ("SELECT * { ?s ex:FROM ?o }", False),
    ],
)
def test_a_dataset_clause_is_a_from_keyword(query: str, named: bool) -> None:
    assert has_dataset_clause(query) is named


@pytest.mark.parametrize(
    ("text", "absolute"),
    [
        ("https://w3id.org/ontolab/id/run/1", True),
        ("urn:x:1", True),
        ("run/1", False),
        ("", False),
        ("http://x/a b", False),
        ("http://x/<a>", False),
    ],
)
def test_graph_iris_must_be_absolute(text: str, absolute: bool) -> None:
    assert is_absolute_iri(text) is absolute


@pytest.mark.parametrize(
    ("query", "cut"),
    [
        (
            "PREFIX g: <http://g/>\nSELECT * FROM <http://g/1> from named g:2 FROM\nNAMED"
            "<http://g/3> WHERE { ?s ?p 'FROM <x>' } # FROM <y>",
            "PREFIX g: <http://g/>\nSELECT *       WHERE { ?s ?p 'FROM <x>' } # FROM <y>",
        ),
        ("ASK FROM<http://g>{}", "ASK  {}"),
        ("SELECT * { ?s ?p ?o }", "SELECT * { ?s ?p ?o }"),
    ],
)
def test_dataset_clauses_are_cut_out_and_nothing_else(query: str, cut: str) -> None:
    assert without_dataset_clauses(query) == cut
    assert not has_dataset_clause(without_dataset_clauses(query))
