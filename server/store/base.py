"""The Store seam: what any triplestore backend must offer the platform.

Contract for implementers:
- Queries see the union of all named graphs as their default graph, so a query can join a run's
  graph with the ontology without naming both.
- ``replace_graph`` is atomic: readers see the old graph or the new one, never a mix, and a
  failure leaves the old graph in place. ``add_to_graph`` is atomic the same way. A run's
  results are written with one of them, as one request.
- Implementations must be safe to call from several threads of one process.
- Terms cross the seam as rdflib terms (URIRef, Literal, BNode). Writes also take pyoxigraph
  terms (NamedNode, Literal, BlankNode), ten times cheaper to build: the result writer uses them
  for every run (``server.write_terms``). A triple may mix both kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib.term import Node, URIRef

Row = dict[str, Node]
Triple = tuple[Node, Node, Node]
WriteTerm = Node | ox.NamedNode | ox.BlankNode | ox.Literal
WriteTriple = tuple[WriteTerm, WriteTerm, WriteTerm]

#: What ``serialize_query`` offers for SELECT and ASK results; the first is the default.
RESULTS_MEDIA_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
#: What ``serialize_query`` offers for CONSTRUCT and DESCRIBE results; the first is the default.
GRAPH_MEDIA_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml")


@runtime_checkable
class ReadableStore(Protocol):
    """Read access: SPARQL 1.1 queries."""

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query; each row maps bound variable names to terms (unbound are absent)."""
        ...

    def select_values(self, query: str) -> list[dict[str, Any]]:
        """Run a SELECT query; rows as plain values: IRIs and strings as str, typed literals
        as int / float / bool, dates as ISO strings. The fast path for large results."""
        ...

    def ask(self, query: str) -> bool: ...

    def construct(self, query: str) -> list[Triple]:
        """Run a CONSTRUCT or DESCRIBE query."""
        ...

    def serialize_query(self, query: str, media_types: Sequence[str] = ()) -> tuple[bytes, str]:
        """Run a read query of any form and serialize its result in a standard format.

        The form is only known once the query is parsed, so callers pass their preferences for
        every form at once, e.g. ``["application/sparql-results+xml", "application/n-triples"]``.
        Implementations must use the first of ``media_types`` that fits the query's form
        (``RESULTS_MEDIA_TYPES`` for SELECT/ASK, ``GRAPH_MEDIA_TYPES`` for CONSTRUCT/DESCRIBE),
        else that tuple's first entry, and return the bytes with the media type actually used.
        They must never run an update: the text is parsed as a query, nothing else.
        """
        ...


@runtime_checkable
class WritableStore(Protocol):
    """Write access to named graphs: each call is one atomic request."""

    def replace_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None: ...

    def add_to_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        """Add ``triples`` to ``graph`` (made if missing), keeping what it holds."""
        ...

    def delete_graph(self, graph: URIRef) -> None: ...


@runtime_checkable
class Store(ReadableStore, WritableStore, Protocol):
    """A store the platform can read and write; ``describe()`` names it for health reports."""

    def describe(self) -> str: ...

    def close(self) -> None: ...


def n_triples(triples: Iterable[WriteTriple]) -> str:
    """Triples as an N-Triples document, whichever kind their terms are (for writes sent as
    text: a Graph Store PUT, or the body of an INSERT DATA)."""
    return "\n".join(f"{_nt(s)} {_nt(p)} {_nt(o)} ." for s, p, o in triples)


def _nt(term: WriteTerm) -> str:
    return term.n3() if isinstance(term, Node) else str(term)
