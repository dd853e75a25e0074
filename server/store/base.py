"""The Store seam: what any triplestore backend must offer the platform.

Contract for implementers:
- Queries see the union of all named graphs as their default graph, so a query can join a run's
  graph with the ontology without naming both.
- ``replace_graph`` is atomic: readers see the old graph or the new one, never a mix, and a
  failure leaves the old graph in place. A run's results are written this way, as one request.
- Implementations must be safe to call from several threads of one process.
- Terms cross the seam as rdflib terms (URIRef, Literal, BNode).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from rdflib.term import Node, URIRef

Row = dict[str, Node]
Triple = tuple[Node, Node, Node]


@runtime_checkable
class ReadableStore(Protocol):
    """Read access: SPARQL 1.1 queries."""

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query; each row maps bound variable names to terms (unbound are absent)."""
        ...

    def ask(self, query: str) -> bool: ...

    def construct(self, query: str) -> list[Triple]:
        """Run a CONSTRUCT or DESCRIBE query."""
        ...


@runtime_checkable
class WritableStore(Protocol):
    """Write access: whole named graphs, each written in one atomic request."""

    def replace_graph(self, graph: URIRef, triples: Iterable[Triple]) -> None: ...

    def delete_graph(self, graph: URIRef) -> None: ...


@runtime_checkable
class Store(ReadableStore, WritableStore, Protocol):
    """A store the platform can read and write; ``describe()`` names it for health reports."""

    def describe(self) -> str: ...

    def close(self) -> None: ...
