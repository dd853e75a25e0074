"""Moving every Ontolab graph between stores through one file (N-Quads or TriG, by suffix).

Export reads each named graph under ``https://w3id.org/ontolab/`` (``ontolab_graphs.rq``: a
shared server such as Virtuoso holds system graphs of its own, which are left out); import
writes each graph of the file with ``replace_graph``, one request per graph, so a graph is
never half-written and importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from server import queries
from server.errors import ConfigError, StoreError
from server.store.base import ReadableStore, Store, Triple
from server.store.oxigraph import to_quads, to_rdflib

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
    """Replace each graph named in ``path`` with its content there; others stay as they are."""
    fmt = rdf_format(path)
    graphs: dict[URIRef, list[Triple]] = defaultdict(list)
    try:
        for quad in ox.parse(path=str(path), format=fmt):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise StoreError(
                    f"{path} has triples outside any named graph; Ontolab keeps every triple "
                    "in a named graph — make the file with `ontolab store export`"
                )
            triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
            graphs[URIRef(quad.graph_name.value)].append(triple)
    except (OSError, SyntaxError) as exc:
        raise StoreError(f"cannot read {path}: {exc}; check the file") from exc
    for name, triples in graphs.items():
        store.replace_graph(name, triples)
    return Moved(len(graphs), sum(map(len, graphs.values())))


def _graph_quads(store: ReadableStore, graph: URIRef) -> list[ox.Quad]:
    rows = queries.select(store, "graph_triples", graph=str(graph))
    return to_quads([(row["s"], row["p"], row["o"]) for row in rows], ox.NamedNode(str(graph)))
