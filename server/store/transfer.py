"""Moving every Ontolab graph between stores through one file (N-Quads or TriG, by suffix).

Export reads each named graph under ``https://w3id.org/ontolab/`` (``ontolab_graphs.rq``: a
shared server such as Virtuoso holds system graphs of its own, which are left out); import
writes each graph of the file with ``replace_graph``, one request per graph, so a graph is
never half-written and importing the same file twice changes nothing.

Both ways, terms stay pyoxigraph terms: the store serializes each graph (``graph.rq``) and
pyoxigraph parses it, and the parsed triples are what import writes, with no term converted
to rdflib and back in Python (for a 10,000-run store, 1.7 M quads, most of what export cost).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from server.errors import ConfigError, StoreError
from server.graph import queries
from server.store.base import ReadableStore, Store, WriteTriple

_TURTLE = ("text/turtle",)
FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".nquads": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


@dataclass(frozen=True)
class Moved:
    graphs: int
    quads: int


def rdf_format(path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"{path}: unknown format; name the file *.nq (N-Quads) or *.trig (TriG)")
    return fmt


def graph_names(store: ReadableStore) -> list[URIRef]:
    return [URIRef(str(row["g"])) for row in queries.select(store, "ontolab_graphs")]


def quad_count(store: ReadableStore) -> int:
    return int(queries.select_values(store, "ontolab_quad_count")[0]["n"])


def export_graphs(store: ReadableStore, path: Path) -> Moved:
    """Write every Ontolab graph of ``store`` to ``path``, a graph at a time, so memory holds
    one graph and not the store. The file appears only once it is whole: a failure on the way
    leaves ``path`` as it was."""
    fmt = rdf_format(path)
    graphs = graph_names(store)
    sizes: list[int] = []

    def quads() -> Iterator[ox.Quad]:
        for graph in graphs:
            batch = _graph_quads(store, graph)
            sizes.append(len(batch))
            yield from batch

    partial = path.with_name(f".{path.name}.partial")
    try:
        ox.serialize(quads(), str(partial), format=fmt)
        partial.replace(path)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc}; check the path") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Moved(len(graphs), sum(sizes))


def import_graphs(store: Store, path: Path) -> Moved:
    """Replace each graph named in ``path`` with its content there; others stay as they are.

    The whole file is read once before anything is written, so a file that is cut short or
    holds a triple outside any named graph changes nothing. It is then read again a graph at
    a time (an export keeps each graph's quads together), so memory holds one graph, not the
    file (for a 10,000-run store, ~1 GB less). Quads of a graph met again further on (a file
    made by hand) are added to what its first stretch wrote."""
    fmt = rdf_format(path)
    for _ in _stretches(path, fmt):
        pass
    written: set[URIRef] = set()
    quads = 0
    for name, triples in _stretches(path, fmt):
        if name in written:
            store.add_to_graph(name, triples)
        else:
            store.replace_graph(name, triples)
            written.add(name)
        quads += len(triples)
    return Moved(len(written), quads)


def _stretches(path: Path, fmt: ox.RdfFormat) -> Iterator[tuple[URIRef, list[WriteTriple]]]:
    """Each run of consecutive quads in one graph: the graph's name and those triples."""
    graph: ox.NamedNode | None = None
    triples: list[WriteTriple] = []
    try:
        for quad in ox.parse(path=str(path), format=fmt):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise StoreError(
                    f"{path} has triples outside any named graph; Ontolab keeps every triple "
                    "in a named graph — make the file with `ontolab store export`"
                )
            if quad.graph_name != graph:
                if graph is not None:
                    yield URIRef(graph.value), triples
                graph, triples = quad.graph_name, []
            triples.append((quad.subject, quad.predicate, quad.object))
    except (OSError, SyntaxError) as exc:
        raise StoreError(f"cannot read {path}: {exc}; check the file") from exc
    if graph is not None:
        yield URIRef(graph.value), triples


def _graph_quads(store: ReadableStore, graph: URIRef) -> list[ox.Quad]:
    """The store's own serialization of ``graph``, parsed. Asked as Turtle, which every server
    here writes and which parses N-Triples too, should one answer with that."""
    data, _ = store.serialize_query(queries.load("graph").render(graph=str(graph)), _TURTLE)
    name = ox.NamedNode(str(graph))
    try:
        parsed = ox.parse(data, format=ox.RdfFormat.TURTLE)
        return [ox.Quad(q.subject, q.predicate, q.object, name) for q in parsed]
    except SyntaxError as exc:
        raise StoreError(
            f"the store sent graph {graph} as something other than Turtle: {exc}"
        ) from exc
