"""The embedded store: pyoxigraph on disk under the data dir (or in memory for tests).

Client queries and their limits (measured with pyoxigraph 0.5.13): ``Store.query`` has no
timeout or cancel and cannot be interrupted from Python. A query whose solutions stream (joins,
products, OPTIONAL, LIMIT…) is evaluated lazily while its answer is serialized, and the output
it is serialized to checks the limits at every write, so ``serialize_query`` truly stops it at
the deadline — at its next row. A query that yields no row for a long time is not stopped
until it yields one or ends: a blocking operator (ORDER BY, GROUP BY and aggregates such as
COUNT, SERVICE) evaluates everything inside ``Store.query`` before the first solution, and a
FILTER that rejects nearly every row of a large product keeps the evaluation busy between
rows (a 3-way product of 300 triples under such a FILTER ran its full 10 s). Its answer is
then refused; the caller (``server.graph.query_guard``) has long answered the client and only keeps
the query's slot.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from server.errors import QueryError, StoreError
from server.graph.sparql_text import has_dataset_clause
from server.graph.terms import literal_value
from server.store.base import (
    GRAPH_MEDIA_TYPES,
    RESULTS_MEDIA_TYPES,
    Dataset,
    QueryLimits,
    Row,
    Triple,
    WriteTerm,
    WriteTriple,
    n_triples,
)
from server.store.rows import row_counter

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
# Which formats fit each kind of result, in the order of base.py's tuples (the first is the
# default): serialize_query picks from here by the query's form, without an if-chain.
_FORMATS_BY_RESULT: dict[type, dict[str, Any]] = {
    ox.QuerySolutions: {m: _RESULTS_FORMATS[m] for m in RESULTS_MEDIA_TYPES},
    ox.QueryBoolean: {m: _RESULTS_FORMATS[m] for m in RESULTS_MEDIA_TYPES},
    ox.QueryTriples: {m: _GRAPH_FORMATS[m] for m in GRAPH_MEDIA_TYPES},
}


class OxigraphStore:
    """Embedded Oxigraph. ``path=None`` keeps everything in memory."""

    exclusive = True  # one process at a time opens it (RocksDB's lock): see graph/run_numbers

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._write_lock = threading.Lock()
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(
                f"cannot open the embedded store at {path}: {exc}; another Ontolab process "
                "may hold it — stop it, or point ONTOLAB_DATA at another directory"
            ) from exc

    def describe(self) -> str:
        return f"oxigraph:{self._path}" if self._path else "oxigraph:memory"

    def select(self, query: str) -> list[Row]:
        return self._rows(query, to_rdflib)

    def select_values(self, query: str) -> list[dict[str, Any]]:
        return self._rows(query, _plain)

    def _rows(self, query: str, convert: Callable[[Any], Any]) -> list[dict[str, Any]]:
        solutions = self._query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryError("expected a SELECT query; use construct() or ask() for other forms")
        names = [v.value for v in solutions.variables]
        return [
            {name: convert(term) for name in names if (term := solution[name]) is not None}
            for solution in solutions
        ]

    def ask(self, query: str) -> bool:
        answer = self._query(query)
        if not isinstance(answer, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(answer)

    def construct(self, query: str) -> list[Triple]:
        triples = self._query(query)
        if not isinstance(triples, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return [
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in triples
        ]

    def serialize_query(
        self,
        query: str,
        media_types: Sequence[str] = (),
        limits: QueryLimits | None = None,
        dataset: Dataset | None = None,
    ) -> tuple[bytes, str]:
        """See the Store protocol; with ``limits``, a streaming query is stopped at the
        deadline (see the module docstring for the ones that cannot be)."""
        result = self._query(query, dataset)  # blocking operators are evaluated here, whole
        formats = _FORMATS_BY_RESULT[type(result)]
        media_type = next((m for m in media_types if m in formats), next(iter(formats)))
        output = None if limits is None else _LimitedOutput(limits, media_type)
        try:  # evaluation is lazy: errors past parsing surface while serializing
            data = result.serialize(output, format=formats[media_type])
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"query failed on {self.describe()}: {exc}") from exc
        return (data or b"") if output is None else output.getvalue(), media_type

    def replace_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        """A new graph goes in as one native transaction (no SPARQL to write or parse: about
        twice as fast); an existing one is dropped and refilled by one SPARQL update, the one
        atomic way pyoxigraph offers to do both. The lock keeps two writers of one graph from
        both finding it new."""
        name = ox.NamedNode(str(graph))
        with self._write_lock:
            if self._store.contains_named_graph(name):
                self._update(
                    f"DROP SILENT GRAPH {graph.n3()} ;\n"
                    f"INSERT DATA {{ GRAPH {graph.n3()} {{\n{n_triples(triples)}\n}} }}"
                )
                return
            self._extend(triples, name)

    def add_to_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        """One native transaction: no SPARQL to write or parse, and nothing to drop."""
        with self._write_lock:
            self._extend(triples, ox.NamedNode(str(graph)))

    def _extend(self, triples: Iterable[WriteTriple], graph: ox.NamedNode) -> None:
        try:
            self._store.extend(to_quads(triples, graph))
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"update failed on {self.describe()}: {exc}") from exc

    def delete_graph(self, graph: URIRef) -> None:
        with self._write_lock:
            self._update(f"DROP SILENT GRAPH {graph.n3()}")

    def close(self) -> None:
        if self._path is not None:
            self._store.flush()
        del self._store

    def _query(
        self, query: str, dataset: Dataset | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        try:
            return self._store.query(query, **_dataset_arguments(query, dataset))
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}; fix the query text") from exc
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: a SERVICE that failed
            raise StoreError(f"query failed on {self.describe()}: {exc}") from exc

    def _update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL update syntax error: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise StoreError(f"update failed on {self.describe()}: {exc}") from exc


def _dataset_arguments(query: str, dataset: Dataset | None) -> dict[str, Any]:
    """``Store.query``'s dataset arguments: the protocol's dataset (it replaces the query's
    own, as the SPARQL 1.1 Protocol says, and pyoxigraph's arguments do), else the query's own
    ``FROM`` / ``FROM NAMED`` (pyoxigraph ignores them under ``use_default_graph_as_union``),
    else the union of all graphs as the default graph."""
    if dataset is not None:
        return {
            "default_graph": [_named_node(iri) for iri in dataset.default_graphs],
            "named_graphs": [_named_node(iri) for iri in dataset.named_graphs],
        }
    if has_dataset_clause(query):
        return {}
    return {"use_default_graph_as_union": True}


class _LimitedOutput(io.BytesIO):
    """Where a client query's answer is serialized: each write checks the limits, so the
    serialization, and with it a lazily evaluated query, stops at the deadline or a cap
    (the error raised here comes out of ``serialize`` unchanged)."""

    def __init__(self, limits: QueryLimits, media_type: str) -> None:
        super().__init__()
        self._limits = limits
        self._rows = row_counter(media_type)
        limits.check(0)  # a blocking query may have used up the time inside Store.query

    def write(self, data: ReadableBuffer, /) -> int:
        rows = self._rows.feed(bytes(data))
        self._limits.check(self.tell() + memoryview(data).nbytes, rows)
        return super().write(data)


def _plain(term: Any) -> Any:
    if isinstance(term, ox.Literal):
        return literal_value(term.value, term.datatype.value)
    return term.value


def to_quads(triples: Iterable[WriteTriple], graph: ox.NamedNode) -> list[ox.Quad]:
    """Quads in ``graph``: pyoxigraph triples go straight in, a list that holds any rdflib term
    is converted term by term."""
    triples = list(triples)
    try:
        return [ox.Quad(s, p, o, graph) for s, p, o in triples]  # type: ignore[arg-type]
    except TypeError:
        return [_quad(triple, graph) for triple in triples]


def _quad(triple: WriteTriple, graph: ox.NamedNode) -> ox.Quad:
    subject, predicate, value = triple
    return ox.Quad(to_oxigraph(subject), to_oxigraph(predicate), to_oxigraph(value), graph)  # type: ignore[arg-type]


def to_oxigraph(term: WriteTerm) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """Convert an rdflib term to its pyoxigraph equivalent (a pyoxigraph term stays itself)."""
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term
    if isinstance(term, URIRef):
        return _named_node(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(term, language=term.language)
        if term.datatype is None:
            return ox.Literal(term)
        return ox.Literal(term, datatype=_named_node(term.datatype))
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    raise StoreError(f"unsupported term for the store: {term!r}")


@lru_cache(maxsize=65536)
def _named_node(iri: str) -> ox.NamedNode:
    """IRIs repeat within a run's graph and across runs (predicates, classes, the run itself)."""
    return ox.NamedNode(iri)


def to_rdflib(term: object) -> Node:
    """Convert a pyoxigraph term to its rdflib equivalent."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise StoreError(f"unsupported term from the store: {term!r}")
