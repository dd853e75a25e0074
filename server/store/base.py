"""The Store seam: what any triplestore backend must offer the platform.

Contract for implementers:
- Queries see the union of all named graphs as their default graph, so a query can join a run's
  graph with the ontology without naming both — unless the query names its own dataset
  (``FROM`` / ``FROM NAMED``), or a client's query comes with a protocol ``Dataset``
  (``default-graph-uri`` / ``named-graph-uri``), which replaces the query's own: then exactly
  that dataset, as SPARQL 1.1 defines it (a graph not named is not in it).
- ``replace_graph`` is atomic: readers see the old graph or the new one, never a mix, and a
  failure leaves the old graph in place. ``add_to_graph`` is atomic the same way. A run's
  results are written with one of them, as one request.
- Implementations must be safe to call from several threads of one process.
- Backends write exactly the triples they are given. The standard types (``prov:``, ``mls:``,
  ``dcat:``) that go with each Ontolab class are added above them, once for all backends, by
  the ``StandardTypedStore`` that ``open_store`` returns (``server.store.typed``).
- Terms cross the seam as rdflib terms (URIRef, Literal, BNode). Writes also take pyoxigraph
  terms (NamedNode, Literal, BlankNode), ten times cheaper to build: the result writer uses them
  for every run (``server.graph.write_terms``). A triple may mix both kinds.
- A query run for a client (``/sparql``, the named-query API) comes with ``QueryLimits``: the
  backend stops reading or serializing its answer once the deadline, the size cap or the row
  cap is passed and raises ``QueryTimeoutError`` / ``QueryTooLargeError``. Whether the
  evaluation itself stops is the backend's to say (see each one's ``serialize_query``). The
  platform's own queries run without limits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib.term import Node, URIRef

from server.errors import QueryTimeoutError, QueryTooLargeError

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

#: The settings that set ``QueryLimits``, named in the errors a client reads.
TIMEOUT_SETTING = "ONTOLAB_SPARQL_TIMEOUT"
SIZE_SETTING = "ONTOLAB_SPARQL_MAX_RESULT_MB"
ROWS_SETTING = "ONTOLAB_SPARQL_MAX_ROWS"
#: Where a client that wants everything goes instead (named in the row cap's error).
EXPORT_FIX = "`ontolab store export FILE` writes whole graphs"


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a client names with the SPARQL 1.1 Protocol's ``default-graph-uri``
    (the graphs merged into the default graph) and ``named-graph-uri`` (the graphs ``GRAPH``
    may reach): absolute IRIs. Either may be empty (an empty default graph, no named graphs)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryLimits:
    """How long a client query may run, how large its serialized answer and how many rows a
    SELECT's answer may have (``max_rows`` 0: no cap).

    ``deadline`` is a ``time.monotonic()`` instant; ``timeout`` the seconds it stands for.
    """

    timeout: float
    max_bytes: int
    deadline: float
    max_rows: int = 0

    @classmethod
    def starting_now(cls, timeout: float, max_bytes: int, max_rows: int = 0) -> QueryLimits:
        return cls(timeout, max_bytes, time.monotonic() + timeout, max_rows)

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.deadline - time.monotonic()

    def check(self, size: int, rows: int = 0) -> None:
        """Raise the client's error if the deadline has passed, or ``size`` bytes or ``rows``
        rows are too many."""
        if self.remaining() <= 0:
            raise self.timed_out("was stopped")
        if size > self.max_bytes:
            raise QueryTooLargeError(
                f"the query's answer grew past {self.max_bytes / 1e6:g} MB and was refused; "
                f"add a LIMIT (or select fewer columns), or raise {SIZE_SETTING}"
            )
        if self.max_rows and rows > self.max_rows:
            raise QueryTooLargeError(
                f"the query's answer has more than {self.max_rows:,} rows, the most this "
                f"server returns ({ROWS_SETTING}), and was refused rather than cut; add a LIMIT "
                f"(with OFFSET to page through the rest) or an aggregate, or, for everything, "
                f"{EXPORT_FIX}; or raise {ROWS_SETTING}"
            )

    def timed_out(self, what_happened: str) -> QueryTimeoutError:
        """The error for a query past its deadline; ``what_happened`` to it, e.g. "was stopped"."""
        return QueryTimeoutError(
            f"the query ran past the time limit of {self.timeout:g} s and {what_happened}; "
            "make it cheaper (add a LIMIT, bind more of its variables, avoid unconstrained "
            f"patterns and ORDER BY over large results), or raise {TIMEOUT_SETTING}"
        )


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

    def serialize_query(
        self,
        query: str,
        media_types: Sequence[str] = (),
        limits: QueryLimits | None = None,
        dataset: Dataset | None = None,
    ) -> tuple[bytes, str]:
        """Run a read query of any form and serialize its result in a standard format.

        The form is only known once the query is parsed, so callers pass their preferences for
        every form at once, e.g. ``["application/sparql-results+xml", "application/n-triples"]``.
        Implementations must use the first of ``media_types`` that fits the query's form
        (``RESULTS_MEDIA_TYPES`` for SELECT/ASK, ``GRAPH_MEDIA_TYPES`` for CONSTRUCT/DESCRIBE),
        else that tuple's first entry, and return the bytes with the media type actually used.
        They must never run an update: the text is parsed as a query, nothing else.

        With ``limits`` (a client's query) they must raise ``QueryTimeoutError`` rather than
        answer after ``limits.deadline``, and ``QueryTooLargeError`` rather than return more
        than ``limits.max_bytes`` or, for a SELECT, ``limits.max_rows`` rows (counted with
        ``server.store.rows``); they may be called from a worker thread the caller stops
        waiting for. With ``dataset``, the query runs on that dataset instead of its own
        ``FROM`` / ``FROM NAMED`` or the union default graph.
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
