"""The one write path that adds the standard types (``server.graph.standard_types``).

``open_store`` wraps every backend in ``StandardTypedStore``, so every writer of the platform
(run graphs, shared graphs, the registry, dataset uploads, deployments, definition versions,
interrupted runs, imports) writes each ``(s, rdf:type, C)`` with ``(s, rdf:type, S)`` for the
standard classes ``S`` of ``C``, in the same graph and the same atomic request, without naming
them. The platform sends no SPARQL update of its own besides ``DROP`` (the backends build the
``INSERT DATA`` from the triples given here), so nothing writes a type around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rdflib import URIRef

from server.graph.standard_types import StandardTypes
from server.store.base import Dataset, QueryLimits, Row, Store, Triple, WriteTriple


class StandardTypedStore:
    """A Store that writes through ``backend`` with the standard types added; reads and
    closing go straight to it. Thread-safe as its backend is: it holds no state but the map.
    ``backend`` is there for a test that must write a graph as earlier versions did."""

    def __init__(self, backend: Store, types: StandardTypes) -> None:
        self.backend = backend
        self.types = types
        self.exclusive: bool = getattr(backend, "exclusive", False)

    def replace_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        self.backend.replace_graph(graph, self.types.expand(triples))

    def add_to_graph(self, graph: URIRef, triples: Iterable[WriteTriple]) -> None:
        self.backend.add_to_graph(graph, self.types.expand(triples))

    def delete_graph(self, graph: URIRef) -> None:
        self.backend.delete_graph(graph)

    def select(self, query: str) -> list[Row]:
        return self.backend.select(query)

    def select_values(self, query: str) -> list[dict[str, Any]]:
        return self.backend.select_values(query)

    def ask(self, query: str) -> bool:
        return self.backend.ask(query)

    def construct(self, query: str) -> list[Triple]:
        return self.backend.construct(query)

    def serialize_query(
        self,
        query: str,
        media_types: Sequence[str] = (),
        limits: QueryLimits | None = None,
        dataset: Dataset | None = None,
    ) -> tuple[bytes, str]:
        return self.backend.serialize_query(query, media_types, limits, dataset)

    def describe(self) -> str:
        return self.backend.describe()

    def close(self) -> None:
        self.backend.close()
