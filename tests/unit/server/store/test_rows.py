"""Counting a SELECT answer's rows on its bytes, in every results format and any chunking."""

from __future__ import annotations

import io
import random

import pyoxigraph as ox
import pytest

from server.store.base import RESULTS_MEDIA_TYPES
from server.store.rows import row_counter

#: Literals that hold what each format's counter looks for: quotes, escapes, line ends,
#: "[{", ",{", "<result>".
TRICKY = ['v "x"\n,x\t},{"', "\\", '\\"', "a\r\nb", "[{", ",{", '"', '""', "<result>", '\\\\"{']
FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    made = ox.Store()
    p = ox.NamedNode("https://example.org/p")
    for i in range(200):
        value = ox.Literal(TRICKY[i % len(TRICKY)] + str(i))
        made.add(ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), p, value, ox.DefaultGraph()))
    return made


def answer(store: ox.Store, query: str, media_type: str) -> bytes:
    output = io.BytesIO()
    store.query(query).serialize(output, format=FORMATS[media_type])
    return output.getvalue()


def count(data: bytes, media_type: str, rng: random.Random) -> int:
    counter, rows = row_counter(media_type), 0
    position = 0
    while position < len(data):
        step = rng.choice([1, 2, 3, 7, 64, 8192])
        rows = counter.feed(data[position : position + step])
        position += step
    return rows


@pytest.mark.parametrize("media_type", list(FORMATS))
@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("SELECT ?s ?o { ?s ?p ?o }", 200),
        ("SELECT ?s ?o { ?s ?p ?o } LIMIT 1", 1),
        ("SELECT ?s ?o { ?s ?p ?o } LIMIT 0", 0),
        ("SELECT ?nothing { ?s ?p ?o } LIMIT 3", 3),  # rows that bind nothing
        ("SELECT ?s ?x { ?s ?p ?o OPTIONAL { ?o ?p ?x } } LIMIT 7", 7),
        ("ASK { ?s ?p ?o }", 0),
    ],
)
def test_rows_are_counted_exactly_however_the_bytes_are_split(
    store: ox.Store, media_type: str, query: str, rows: int
) -> None:
    data = answer(store, query, media_type)
    rng = random.Random(7)
    assert {count(data, media_type, rng) for _ in range(20)} == {rows}


def test_pretty_printed_json_counts_too() -> None:
    # As Virtuoso and Fuseki indent it.
    data = b'{ "head": { "link": [], "vars": ["s"] },\n  "results": { "bindings": [\n'
    data += b'    { "s": { "type": "literal", "value": "[{" } } ,\n    { } ,\n'
    data += b'    { "s": { "type": "literal", "value": "\\\\" } } ] } }'
    assert row_counter("application/sparql-results+json").feed(data) == 3


def test_graphs_and_unknown_formats_count_no_rows() -> None:
    assert row_counter("text/turtle").feed(b"<a:s> <a:p> 1 .\n" * 5) == 0
    assert set(RESULTS_MEDIA_TYPES) == set(FORMATS)
