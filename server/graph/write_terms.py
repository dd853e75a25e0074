"""pyoxigraph terms for what the platform writes at volume: a run's results.

A run graph holds ~170 triples, all built again at every state change of every run (the writer
then adds what is new: a run graph only grows). Building them with pyoxigraph costs a tenth of
building them with rdflib (a typed rdflib ``Literal`` takes ~3 µs, a pyoxigraph one ~0.3 µs),
and the embedded store takes them as they are, with no conversion. The Store seam accepts
either kind on writes (``server.store.base``); reads still answer with rdflib terms.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCAT as _DCAT
from rdflib.namespace import PROV as _PROV
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import XSD as _XSD

from server.graph.namespaces import MLS as _MLS
from server.graph.namespaces import OL as _OL
from server.graph.namespaces import file_iri


class Vocabulary:
    """A namespace's terms as pyoxigraph named nodes, each minted on first use and then kept as
    an attribute, so ``OL.Run`` costs one attribute lookup."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        node = ox.NamedNode(self._namespace + name)
        setattr(self, name, node)
        return node


OL = Vocabulary(str(_OL))
MLS = Vocabulary(str(_MLS))
PROV = Vocabulary(str(_PROV))
DCAT = Vocabulary(str(_DCAT))
RDF = Vocabulary(str(_RDF))
RDFS = Vocabulary(str(_RDFS))

_DOUBLE = ox.NamedNode(str(_XSD.double))
_DATE_TIME = ox.NamedNode(str(_XSD.dateTime))
_JSON = ox.NamedNode(str(_RDF.JSON))


@lru_cache(maxsize=65536)
def iri(name: str) -> ox.NamedNode:
    """The named node for an IRI minted by ``server.graph.namespaces`` (runs, steps, settings…)."""
    return ox.NamedNode(name)


def string(raw: Any) -> ox.Literal:
    return ox.Literal(str(raw))


def double(raw: Any) -> ox.Literal:
    """An ``xsd:double`` written as rdflib writes one (Python's shortest repr)."""
    return ox.Literal(repr(float(raw)), datatype=_DOUBLE)


def date_time(stamp: str) -> ox.Literal:
    """An ISO 8601 timestamp, normalized as rdflib writes one (``datetime.isoformat``)."""
    return ox.Literal(datetime.fromisoformat(stamp).isoformat(), datatype=_DATE_TIME)


def plain(raw: str | int | bool) -> ox.Literal:
    """A string, integer or boolean as its XSD literal (string, integer, boolean)."""
    return ox.Literal(raw)


def value(raw: Any) -> ox.Literal:
    """A hyperparameter's value: numbers, strings and booleans as XSD literals, anything else
    (None, lists, dicts) as ``rdf:JSON``."""
    if raw is None or isinstance(raw, list | dict):
        return ox.Literal(json.dumps(raw), datatype=_JSON)
    if isinstance(raw, float):
        return double(raw)
    if isinstance(raw, bool | int | str):
        return ox.Literal(raw)
    return string(raw)


def distribution_triples(
    dataset: ox.NamedNode, sha256: str, size: int, media_type: str
) -> list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]]:
    """A dataset's DCAT distribution: the file it is stored as, named by its checksum (the
    same node wherever those bytes appear), with its media type and size, so a DCAT client
    finds ``?dataset dcat:distribution ?file . ?file dcat:mediaType ?type``."""
    file = iri(file_iri(sha256))
    return [
        (dataset, DCAT.distribution, file),
        (file, RDF.type, OL.DataFile),
        (file, DCAT.mediaType, string(media_type)),
        (file, DCAT.byteSize, plain(size)),
    ]
