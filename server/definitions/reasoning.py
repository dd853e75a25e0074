"""The OWL check of a definition: HermiT over the ontology plus the definition, for
``ontolab validate --reason`` and ``POST /api/experiments/validate?reason=true``.

SHACL (``validation``) checks a definition's shape as written: required properties, datatypes,
counts, one step class per step. The reasoner checks what the triples mean under the ontology's
axioms: a node stated ``owl:sameAs`` a node of a disjoint step class, a class the definition
declares below two disjoint classes (unsatisfiable), types that domains and ranges entail.
SHACL reads no such entailment, so both are needed; only SHACL runs by default (it is fast).

HermiT is the reasoner owlready2 ships (a jar in its package). It runs as Java in a subprocess
started here rather than through ``owlready2.sync_reasoner``, so that every call has a time
limit (the process is killed past it) and no owlready2 World (a process-wide SQLite store)
lives in the server. One ``OwlReasoner`` runs one check at a time: a JVM takes a core and up
to ``JAVA_MEMORY``.

An inconsistency is narrowed down to the definition's nodes that cause it by bisection: each
node's description (its triples, its blank nodes, the types of the nodes it names), halves of
them checked against the ontology, a few JVM runs within the same time limit. Running out of
time there still reports the inconsistency, without the names.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from server.definitions.validation import ontology_graph
from server.errors import (
    DefinitionContradiction,
    ReasonerFailed,
    ReasonerTimeout,
    ReasoningError,
)

JAVA = "java"
JAVA_MEMORY = "1g"
INSTALL_JAVA = (
    "install a Java runtime (Debian/Ubuntu: `apt-get install default-jre-headless`; "
    "or `./installation.sh --dev`), or validate without --reason"
)
#: How long a check waits for the one running before it is refused as busy.
BUSY_WAIT_SECONDS = 1.0
_HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
_NOTHING_HEADER = "Classes equivalent to 'owl:Nothing':"
_IRI = re.compile(r"^<([^>]*)>$")
# Triples that say something about classes and properties rather than about one node: they
# take part in every check of the bisection.
_SCHEMA_TYPES = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        RDF.Property,
        OWL.AllDisjointClasses,
        OWL.Restriction,
    }
)
_SCHEMA_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.equivalentClass,
        OWL.disjointWith,
        OWL.inverseOf,
        OWL.propertyDisjointWith,
    }
)

Triples = list[tuple[Node, Node, Node]]


@dataclass(frozen=True)
class ReasoningReport:
    """What HermiT found in the ontology plus one definition.

    ``inconsistent_nodes`` are the definition's nodes the contradiction was narrowed down to
    (empty when consistent, or when ``note`` says why they could not be named).
    """

    consistent: bool
    unsatisfiable_classes: tuple[str, ...]
    inconsistent_nodes: tuple[str, ...]
    seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable_classes

    def to_json(self) -> dict[str, Any]:
        return {
            "reasoner": "HermiT",
            "consistent": self.consistent,
            "unsatisfiable_classes": list(self.unsatisfiable_classes),
            "inconsistent_nodes": list(self.inconsistent_nodes),
            "seconds": round(self.seconds, 3),
            "note": self.note,
        }

    def raise_if_contradictory(self) -> None:
        """Raise DefinitionContradiction (422) naming the nodes and classes, unless ``ok``."""
        if self.ok:
            return
        parts = []
        if not self.consistent:
            where = (
                f" at {', '.join(self.inconsistent_nodes)}"
                if self.inconsistent_nodes
                else f" ({self.note})"
            )
            parts.append(f"the ontology plus the definition is inconsistent{where}")
        if self.unsatisfiable_classes:
            parts.append(
                "classes that can have no member (unsatisfiable): "
                + ", ".join(self.unsatisfiable_classes)
            )
        raise DefinitionContradiction(
            "the OWL reasoner (HermiT) finds " + "; ".join(parts) + "; check those nodes' "
            "rdf:type, owl:sameAs and the class axioms they take part in against the "
            "ontology's disjoint classes, domains and ranges",
            list(self.inconsistent_nodes),
            list(self.unsatisfiable_classes),
            inconsistent=not self.consistent,
        )


class OwlReasoner:
    """Runs the OWL check, one at a time, each within ``timeout`` seconds. Thread-safe."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._slot = threading.Lock()

    def check(self, graph: Graph) -> ReasoningReport:
        """Reason over the ontology plus ``graph`` (a definition that passed SHACL).

        Raises:
            ReasoningError: no Java on PATH (the message says how to install it), or another
                check is running (retry shortly).
            ReasonerTimeout: HermiT ran past the time limit and was stopped.
            ReasonerFailed: HermiT refused the input (the message quotes why).
        """
        command = hermit_command()
        if not self._slot.acquire(timeout=BUSY_WAIT_SECONDS):
            raise ReasoningError(
                "the OWL reasoner is busy with another definition (one check runs at a time); "
                "retry in a few seconds"
            )
        try:
            return _Check(graph, command, self._timeout).run()
        finally:
            self._slot.release()


def hermit_command() -> list[str]:
    """The java command line that runs HermiT's command-line tool (options and file follow)."""
    java = shutil.which(JAVA)
    if java is None:
        raise ReasoningError(
            f"the OWL check runs HermiT on Java, and no `java` is on PATH; {INSTALL_JAVA}"
        )
    spec = importlib.util.find_spec("owlready2")
    if spec is None or not spec.submodule_search_locations:
        raise ReasoningError(
            "the OWL check needs the owlready2 package (it ships HermiT); reinstall Ontolab's "
            "dependencies (`./installation.sh`), or validate without --reason"
        )
    hermit = Path(list(spec.submodule_search_locations)[0]) / "hermit"
    classpath = os.pathsep.join((str(hermit), str(hermit / "HermiT.jar")))
    # A check is a few short JVM runs: the quick JIT tier and one GC thread start fastest.
    tuning = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    return [java, f"-Xmx{JAVA_MEMORY}", *tuning, "-cp", classpath, _HERMIT_MAIN]


@lru_cache(maxsize=1)
def _ontology_ntriples() -> bytes:
    return ontology_graph().serialize(format="nt", encoding="utf-8")


class _Check:
    """One definition's check: a temp folder, a deadline, the JVM runs it takes."""

    def __init__(self, graph: Graph, command: list[str], timeout: float) -> None:
        self.graph = graph
        self.command = command
        self.timeout = timeout
        self.started = time.monotonic()
        self.runs = 0

    def run(self) -> ReasoningReport:
        with tempfile.TemporaryDirectory(prefix="ontolab-owl-") as folder:
            self.folder = Path(folder)
            unsatisfiable = self._hermit(list(self.graph), classify=True)
            if unsatisfiable is not None:
                names = tuple(sorted(_name(self.graph, c) for c in unsatisfiable))
                return ReasoningReport(True, names, (), self._elapsed())
            nodes, note = self._narrow()
        return ReasoningReport(False, (), nodes, self._elapsed(), note)

    def _narrow(self) -> tuple[tuple[str, ...], str]:
        schema, chunks = _split(self.graph)
        try:
            if schema and self._hermit(schema) is None:
                return (), "the definition's own class and property axioms contradict it"
            # Known inconsistent when the descriptions hold every triple (they usually do).
            covered = set(schema).union(*chunks.values()) >= set(self.graph)
            culprits = self._culprits(schema, sorted(chunks, key=str), chunks, known=covered)
        except ReasonerTimeout:
            return (), (
                f"the time limit ({self.timeout:g} s) ran out before the reasoner could name "
                "the nodes"
            )
        if not culprits:
            return (), "it follows from the definition as a whole, not from some of its nodes"
        return tuple(_name(self.graph, node) for node in culprits), ""

    def _culprits(
        self, schema: Triples, nodes: list[Node], chunks: dict[Node, Triples], known: bool = False
    ) -> list[Node]:
        """The nodes among ``nodes`` whose descriptions contradict the ontology (bisection)."""
        if not known and self._hermit(schema + [t for n in nodes for t in chunks[n]]) is not None:
            return []
        if len(nodes) <= 1:
            return nodes
        half = len(nodes) // 2
        found = self._culprits(schema, nodes[:half], chunks) + self._culprits(
            schema, nodes[half:], chunks
        )
        return found or nodes  # the contradiction needs nodes of both halves together

    def _hermit(
        self, triples: Iterable[tuple[Node, Node, Node]], classify: bool = False
    ) -> list[URIRef] | None:
        """Run HermiT on the ontology plus ``triples``: None if inconsistent, else the
        unsatisfiable classes (``classify``) or []."""
        self.runs += 1
        path = self.folder / f"check-{self.runs}.nt"
        part = Graph()
        for triple in triples:
            part.add(triple)
        path.write_bytes(_ontology_ntriples() + part.serialize(format="nt", encoding="utf-8"))
        action = "-U" if classify else "-k"
        args = [*self.command, action, "--ignoreUnsupportedDatatypes", path.as_uri()]
        remaining = self.timeout - self._elapsed()
        try:
            if remaining <= 0:
                raise subprocess.TimeoutExpired(args, self.timeout)
            done = subprocess.run(args, capture_output=True, text=True, timeout=remaining)
        except subprocess.TimeoutExpired as exc:  # run() has killed the JVM by now
            raise ReasonerTimeout(
                f"the OWL reasoner did not finish within {self.timeout:g} s and was stopped; "
                "raise ONTOLAB_REASONER_TIMEOUT for a large definition, or validate without "
                "--reason"
            ) from exc
        except OSError as exc:
            raise ReasoningError(
                f"cannot start Java for the OWL check ({exc}); {INSTALL_JAVA}"
            ) from exc
        output = done.stdout + done.stderr
        if done.returncode != 0:
            if "InconsistentOntologyException" in output:
                return None
            raise _failure(output)
        return _unsatisfiable(done.stdout) if classify else []

    def _elapsed(self) -> float:
        return time.monotonic() - self.started


def _failure(output: str) -> ReasoningError:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    first = next((line for line in lines if "Exception" in line or "Error" in line), "")
    if "OutOfMemoryError" in output:
        return ReasoningError(
            f"the OWL reasoner ran out of memory (Java -Xmx{JAVA_MEMORY}); validate a smaller "
            "definition, or without --reason"
        )
    why = first.split(": ", 1)[-1] if first else (lines[-1] if lines else "no output")
    return ReasonerFailed(
        f"HermiT could not reason over the definition: {why[:300]}; fix the value it names "
        "(OWL 2 DL must accept it), or validate without --reason"
    )


def _unsatisfiable(stdout: str) -> list[URIRef]:
    """The classes HermiT lists as equivalent to owl:Nothing (owl:Nothing itself left out)."""
    _, _, listed = stdout.partition(_NOTHING_HEADER)
    found = []
    for line in listed.splitlines():
        match = _IRI.match(line.strip())
        if match:
            found.append(URIRef(match.group(1)))
    return found


def _split(graph: Graph) -> tuple[Triples, dict[Node, Triples]]:
    """The definition's schema triples, and each named node's description."""
    schema_subjects = {
        s for s, p, o in graph if p in _SCHEMA_PREDICATES or (p == RDF.type and o in _SCHEMA_TYPES)
    }
    schema: Triples = [t for s in schema_subjects for t in _described(graph, s)]
    chunks: dict[Node, Triples] = {
        s: _described(graph, s) + _types_of(graph, graph.objects(s, None))
        for s in set(graph.subjects())
        if isinstance(s, URIRef) and s not in schema_subjects
    }
    reached = {t for triples in chunks.values() for t in triples} | set(schema)
    schema += [t for t in graph if t not in reached and isinstance(t[0], BNode)]
    return schema, chunks


def _described(graph: Graph, node: Node, seen: set[Node] | None = None) -> Triples:
    """``node``'s triples and, recursively, those of the blank nodes it names."""
    seen = seen if seen is not None else set()
    seen.add(node)
    triples: Triples = []
    for p, o in graph.predicate_objects(node):
        triples.append((node, p, o))
        if isinstance(o, BNode) and o not in seen:
            triples += _described(graph, o, seen)
    return triples


def _types_of(graph: Graph, nodes: Iterable[Node]) -> Triples:
    return [
        (n, RDF.type, t)
        for n in set(nodes)
        if isinstance(n, URIRef)
        for t in graph.objects(n, RDF.type)
    ]


def _name(graph: Graph, term: Node) -> str:
    """A node as the definition's own prefixes write it (``:process``, ``ol:Model``)."""
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # no prefix fits: the full IRI
            return f"<{term}>"
    return str(term)
