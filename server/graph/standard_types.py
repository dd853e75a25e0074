"""The standard classes (PROV-O, ML-Schema, DCAT…) every written node carries with its own.

A client that knows only the W3C vocabularies, and runs no reasoner, asks ``?model a
mls:Model``; the platform types a model ``ol:Model``. So every ``(s, rdf:type, C)`` the
platform writes goes with ``(s, rdf:type, S)`` in the same graph for each standard class ``S``
that ``C`` is a (transitive) subclass of in ``ontology/ontolab.ttl``. The map ``C → {S…}`` is
derived from the ontology's ``rdfs:subClassOf`` axioms (``standard_superclasses``), never
listed by hand: a class the ontology places under ``prov:Activity`` tomorrow is typed so
without a change here. "Standard" means any IRI outside Ontolab's own namespaces and outside
RDF, RDFS and OWL (``owl:Thing`` says nothing a client can use).

``StandardTypes.expand`` is applied on the one write path every writer goes through (the
store ``open_store`` returns, ``server.store.typed``). It runs for every write of every run, so
it costs one predicate comparison per triple and one dict lookup per ``rdf:type`` triple.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ontology import ONTOLOGY_FILE
from server.graph.write_terms import RDF as OX_RDF

if TYPE_CHECKING:
    from server.store.base import WriteTriple

#: Namespaces whose classes are never added: Ontolab's own (``ol:``, ``olm:``, minted IRIs)
#: and the RDF/RDFS/OWL meta-vocabulary.
NOT_STANDARD = ("https://w3id.org/ontolab/", str(RDF), str(RDFS), str(OWL))

RDF_TYPE = OX_RDF.type
#: ``rdf:type`` as either kind of term: one hash tells a type triple, whichever kind it holds.
_TYPE = frozenset({RDF_TYPE, URIRef(str(RDF.type))})


def standard_superclasses(ontology: Graph) -> dict[str, frozenset[str]]:
    """Each class of ``ontology`` → the standard classes it is a transitive subclass of.

    Classes with none are left out. Only named classes count (a restriction's blank node is
    not a class a client can name).
    """
    parents: dict[str, set[str]] = {}
    for child, parent in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(child, URIRef) and isinstance(parent, URIRef):
            parents.setdefault(str(child), set()).add(str(parent))
    found: dict[str, frozenset[str]] = {}
    for cls in parents:
        standard = frozenset(s for s in _ancestors(cls, parents) if _is_standard(s))
        if standard:
            found[cls] = standard
    return found


def _ancestors(cls: str, parents: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(cls, ()))
    while todo:
        parent = todo.pop()
        if parent not in seen and parent != cls:
            seen.add(parent)
            todo.extend(parents.get(parent, ()))
    return seen


def _is_standard(iri: str) -> bool:
    return not iri.startswith(NOT_STANDARD)


class StandardTypes:
    """``expand`` adds, for each ``rdf:type`` triple, the standard classes of its class.

    Triples may hold rdflib or pyoxigraph terms (see ``server.store.base``); the classes added
    are of the same kind as the class they come from, so a list stays of one kind.
    """

    def __init__(self, superclasses: Mapping[str, Iterable[str]]) -> None:
        self.superclasses = {cls: frozenset(s) for cls, s in superclasses.items()}
        by_term: dict[object, tuple[Any, ...]] = {}
        for cls, standard in self.superclasses.items():
            ordered = sorted(standard)
            by_term[ox.NamedNode(cls)] = tuple(ox.NamedNode(s) for s in ordered)
            by_term[URIRef(cls)] = tuple(URIRef(s) for s in ordered)
        self._by_term = by_term

    def expand(self, triples: Iterable[WriteTriple]) -> list[WriteTriple]:
        """``triples`` with the standard types of every typed subject appended (a triple the
        input already holds may be repeated: a graph is a set, the store keeps one)."""
        out = list(triples)
        by_term, type_predicates = self._by_term, _TYPE
        added = [
            (s, p, standard)
            for s, p, o in out
            if p in type_predicates and o in by_term
            for standard in by_term[o]
        ]
        if added:
            out += dict.fromkeys(added)  # a node typed ol:Artifact and ol:Dataset: one prov:Entity
        return out

    def classes(self) -> list[str]:
        """Every class the map names, as a key or as a standard class."""
        named = set(self.superclasses).union(*self.superclasses.values())
        return sorted(named)

    def missing(self, typed: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """For ``(node, class)`` IRI pairs (the types some nodes hold), the ``(node, standard
        class)`` pairs not among them: what an upgrade adds."""
        pairs = set(typed)
        wanted = {
            (node, standard)
            for node, cls in pairs
            for standard in self.superclasses.get(cls, ())
            if (node, standard) not in pairs
        }
        return sorted(wanted)


@lru_cache(maxsize=1)
def ontology_types() -> StandardTypes:
    """The map derived from the ontology the platform loads, once per process."""
    return StandardTypes(standard_superclasses(Graph().parse(ONTOLOGY_FILE, format="turtle")))
