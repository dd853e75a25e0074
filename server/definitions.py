"""Experiment definitions: parse (Turtle / JSON-LD), validate (SHACL), store as versions.

Each version lives in its own named graph, whose name is also the version's IRI. Blank nodes
are replaced by IRIs under the version before storing, so every stored node can be named by a
query and remote stores that refuse blank nodes in updates get none.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import SH
from rdflib.term import Node

from ontology import CONTEXT_FILE, CONTEXT_IRI, ONTOLOGY_FILE, SHAPES_FILE
from server import queries
from server.errors import DefinitionError, NotFoundError, Violation
from server.namespaces import DCTERMS, OL, ONTOLOGY_GRAPH, ONTOLOGY_IRI, RDF, experiment_version_iri
from server.store.base import Store, Triple
from server.terms import python_value

FORMATS = {".ttl": "turtle", ".turtle": "turtle", ".jsonld": "json-ld", ".json": "json-ld"}
# ol:source values that name no file: bundled scikit-learn data and uploaded datasets.
NON_FILE_SOURCES = ("sklearn:", "dataset:")
ROOTS_SETTING = "ONTOLAB_DATA_ROOTS"
_versions_lock = threading.Lock()


@dataclass(frozen=True)
class ExperimentVersion:
    """One stored version of an experiment definition."""

    identifier: str
    number: int
    iri: URIRef
    experiment: URIRef
    content_hash: str
    created: datetime

    @property
    def graph(self) -> URIRef:
        return self.iri


@dataclass(frozen=True)
class Submission:
    version: ExperimentVersion
    created: bool


def format_for(path: str | Path) -> str:
    """The rdflib parser name for a definition file, from its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DefinitionError(
            f"cannot tell the format of {path}; name it *.ttl (Turtle) or *.jsonld (JSON-LD)"
        )
    return FORMATS[suffix]


def parse(text: str, fmt: str = "turtle") -> Graph:
    """Parse a definition; a syntax error becomes a DefinitionError naming the format."""
    if fmt not in set(FORMATS.values()):
        raise DefinitionError(f"unknown definition format {fmt!r}; use 'turtle' or 'json-ld'")
    document = offline_json_ld(text) if fmt == "json-ld" else None
    graph = Graph()
    try:
        with warnings.catch_warnings():
            # rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
            warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
            graph.parse(data=text if document is None else json.dumps(document), format=fmt)
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise DefinitionError(f"the definition is not valid {fmt}: {exc}; fix the syntax") from exc
    if len(graph) == 0:
        raise DefinitionError(f"the definition holds no triples; is it really {fmt}?")
    return graph


def validate(graph: Graph, roots: Sequence[Path] | None = None) -> None:
    """Check the definition against the SHACL shapes; raise with every violation if invalid.

    File sources must also resolve inside ``roots`` (the settings' ``source_roots``; None: the
    default roots of the working directory), so a definition that would read elsewhere is
    refused before anything is stored.
    """
    from pyshacl import validate as shacl_validate  # imported here: costs ~0.3 s at start-up

    unknown = _unknown_terms(graph)
    if unknown:
        raise DefinitionError(
            f"the definition uses {len(unknown)} term(s) the ontology does not declare", unknown
        )
    conforms, report, _ = shacl_validate(
        graph,
        shacl_graph=_shapes(),
        ont_graph=_ontology(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if not conforms:
        violations = _violations(report, graph)
        raise DefinitionError(
            f"the definition breaks {len(violations)} rule(s) of the experiment shapes",
            violations,
        )
    _experiment_node(graph)
    _check_sources(graph, _default_roots() if roots is None else roots)


def submit(store: Store, graph: Graph, roots: Sequence[Path] | None = None) -> Submission:
    """Validate and store ``graph``; a new version only if its content changed.

    ``roots`` are the data roots file sources must resolve into (see ``validate``).
    """
    validate(graph, roots)
    experiment = _experiment_node(graph)
    identifier = str(graph.value(experiment, DCTERMS.identifier))
    canonical = to_canonical_graph(graph)
    content_hash = _content_hash(canonical)
    with _versions_lock:
        existing = versions(store, identifier)
        if existing and existing[0].content_hash == content_hash:
            return Submission(existing[0], created=False)
        number = existing[0].number + 1 if existing else 1
        version = ExperimentVersion(
            identifier=identifier,
            number=number,
            iri=experiment_version_iri(identifier, number),
            experiment=experiment,
            content_hash=content_hash,
            created=datetime.now(UTC),
        )
        store.replace_graph(version.graph, _version_triples(canonical, version))
    return Submission(version, created=True)


def versions(store: Store, identifier: str) -> list[ExperimentVersion]:
    """Every stored version of an experiment, newest first."""
    rows = queries.select(store, "experiment_versions", identifier=identifier)
    return [
        ExperimentVersion(
            identifier=identifier,
            number=int(python_value(row["number"])),
            iri=URIRef(str(row["version"])),
            experiment=URIRef(str(row["experiment"])),
            content_hash=str(row["hash"]),
            created=python_value(row["created"]),
        )
        for row in rows
    ]


def get_version(store: Store, identifier: str, number: int | None = None) -> ExperimentVersion:
    """The given version of an experiment, or its newest when ``number`` is None."""
    found = versions(store, identifier)
    if not found:
        raise NotFoundError(
            f"no experiment {identifier!r} is stored; submit its definition first "
            "(`ontolab submit FILE`)"
        )
    if number is None:
        return found[0]
    for version in found:
        if version.number == number:
            return version
    raise NotFoundError(
        f"experiment {identifier!r} has no version {number}; it has versions "
        f"{', '.join(str(v.number) for v in reversed(found))}"
    )


def delete_experiment(store: Store, identifier: str) -> tuple[int, int]:
    """Delete every version of an experiment and the runs of those versions.

    Returns (versions deleted, runs deleted). Artifacts stay: they are content-addressed and
    may be shared with other runs.
    """
    found = versions(store, identifier)
    if not found:
        raise NotFoundError(f"no experiment {identifier!r} is stored; nothing to delete")
    runs = [
        URIRef(str(r["run"]))
        for r in queries.select(store, "experiment_runs", identifier=identifier)
    ]
    for run in runs:
        store.delete_graph(run)
    for version in found:
        store.delete_graph(version.graph)
    return len(found), len(runs)


def version_turtle(store: Store, version: ExperimentVersion) -> str:
    """The stored definition of one version, as Turtle."""
    graph = Graph()
    for row in queries.select(store, "graph_triples", graph=str(version.graph)):
        graph.add((row["s"], row["p"], row["o"]))
    graph.bind("ol", OL)
    return graph.serialize(format="turtle")


def ensure_ontology(store: Store) -> None:
    """Load the ontology into its own graph unless the stored copy is already current."""
    text = ONTOLOGY_FILE.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    if queries.ask(store, "ontology_version", hash=digest):
        return
    triples: list[Triple] = list(_ontology())
    triples.append((ONTOLOGY_IRI, OL.contentHash, Literal(digest)))
    store.replace_graph(ONTOLOGY_GRAPH, triples)


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@lru_cache(maxsize=1)
def _declared_terms() -> frozenset[str]:
    return frozenset(str(s) for s in _ontology().subjects() if str(s).startswith(str(OL)))


def _unknown_terms(graph: Graph) -> list[Violation]:
    """ol: properties and classes the ontology does not declare: almost always a typo."""
    declared = _declared_terms()
    found = set()
    for subject, predicate, obj in graph:
        used = obj if predicate == RDF.type else predicate
        if str(used).startswith(str(OL)) and str(used) not in declared:
            found.add((subject, predicate, used))
    return sorted(
        Violation(
            node=_short(graph, subject),
            path=_short(graph, predicate),
            message=f"{_short(graph, used)} is not a term of the Ontolab ontology; "
            + _did_you_mean(str(used), declared),
        )
        for subject, predicate, used in found
    )


def _did_you_mean(term: str, declared: frozenset[str]) -> str:
    close = difflib.get_close_matches(term, declared, n=1)
    if close:
        return f"did you mean ol:{close[0].removeprefix(str(OL))}?"
    return "see docs/definitions.md for the vocabulary"


def _experiment_node(graph: Graph) -> URIRef:
    experiments = list(graph.subjects(RDF.type, OL.Experiment))
    if len(experiments) != 1:
        raise DefinitionError(
            f"a definition describes exactly one ol:Experiment; this one has {len(experiments)}; "
            "split it into one file per experiment"
        )
    node = experiments[0]
    if not isinstance(node, URIRef):
        raise DefinitionError("the ol:Experiment must be named by an IRI, not a blank node")
    return node


def _content_hash(canonical: Graph) -> str:
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in canonical)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _version_triples(canonical: Graph, version: ExperimentVersion) -> list[Triple]:
    def named(term: Node) -> Node:
        return URIRef(f"{version.iri}/node/{term}") if isinstance(term, BNode) else term

    triples: list[Triple] = [(named(s), named(p), named(o)) for s, p, o in canonical]
    triples += [
        (version.iri, RDF.type, OL.ExperimentVersion),
        (version.iri, OL.versionOf, version.experiment),
        (version.iri, DCTERMS.identifier, Literal(version.identifier)),
        (version.iri, OL.versionNumber, Literal(version.number)),
        (version.iri, OL.contentHash, Literal(version.content_hash)),
        (version.iri, DCTERMS.created, Literal(version.created)),
    ]
    return triples


def _violations(report: Graph, data: Graph) -> list[Violation]:
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        value = report.value(result, SH.value)
        found.append(
            Violation(
                node=_short(data, report.value(result, SH.focusNode)),
                path=_short(data, report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage) or "constraint not met"),
                value=None if value is None else _short(data, value),
            )
        )
    return sorted(found, key=lambda v: (v.node, v.path, v.message))


def _short(graph: Graph, term: Node | None) -> str:
    if term is None:
        return "(node)"
    if isinstance(term, BNode):
        for subject, predicate in graph.subject_predicates(term):
            return f"[the {_short(graph, predicate)} of {_short(graph, subject)}]"
        return "[a blank node]"
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:
            return f"<{term}>"
    return str(term)


# --- Data roots: where a file source may be read from ---------------------------------------


def is_file_source(source: str) -> bool:
    """True when ``source`` names a file (not a bundled or uploaded dataset)."""
    return bool(source) and not source.startswith(NON_FILE_SOURCES)


def resolve_source(source: str, roots: Sequence[Path]) -> Path:
    """The real path of file source ``source``, or DefinitionError when it is outside ``roots``.

    Relative paths resolve against the working directory; ``..`` and symlinks are followed
    before the check, so neither can lead out of a root.
    """
    path, problem = _place(source, roots)
    if problem is None:
        return path
    raise DefinitionError(
        f"ol:source {source!r} {problem} ({_listed(roots)}); move the file into a data root, "
        f"or add its folder to {ROOTS_SETTING}"
    )


def _place(source: str, roots: Sequence[Path]) -> tuple[Path, str | None]:
    """The real path of ``source`` and why it may not be read (None: it may)."""
    try:
        path = Path(source).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a symlink loop
        why = f"cannot be resolved to a file ({exc}), so it is not inside the data roots"
        return Path(source), why
    if any(path.is_relative_to(Path(root).resolve()) for root in roots):
        return path, None
    return path, f"resolves to {path}, outside the data roots"


def _listed(roots: Sequence[Path]) -> str:
    return ", ".join(str(Path(root).resolve()) for root in roots) or "none configured"


def _check_sources(graph: Graph, roots: Sequence[Path]) -> None:
    outside = []
    for step, value in sorted(graph.subject_objects(OL.source)):
        problem = _place(str(value), roots)[1] if is_file_source(str(value)) else None
        if problem is not None:
            outside.append(Violation(_short(graph, step), "ol:source", problem, str(value)))
    if outside:
        raise DefinitionError(
            f"the definition reads {len(outside)} file(s) outside the data roots "
            f"({_listed(roots)}); move them into a data root, or add their folders to "
            f"{ROOTS_SETTING}",
            outside,
        )


def _default_roots() -> tuple[Path, ...]:
    from server.settings import Settings  # the defaults only: callers with settings pass roots

    return Settings().source_roots


# --- JSON-LD: contexts are never fetched -----------------------------------------------------


def offline_json_ld(text: str) -> Any:
    """The JSON-LD document ``text`` with no context left for rdflib to fetch or read.

    The shipped Ontolab context (``CONTEXT_IRI``) is replaced by its content from the ontology
    folder; inline contexts stay; any other string context or ``@import`` (http, https,
    file, relative) is refused, so parsing a definition never opens a URL or a file.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DefinitionError(
            f"the definition is not valid json-ld: {exc}; fix the syntax"
        ) from exc
    pending: list[Any] = [document]
    while pending:  # a loop, not recursion: deeply nested documents must not overflow the stack
        node = pending.pop()
        if isinstance(node, dict):
            if "@context" in node:
                node["@context"] = _local_context(node["@context"])
            if "@import" in node:
                node.update(_imported(node))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return document


def _local_context(context: Any) -> Any:
    if isinstance(context, list):
        return [_one_context(item) for item in context]
    return _one_context(context)


def _one_context(context: Any) -> Any:
    if isinstance(context, str):
        return _shipped_context(context, "@context")
    if isinstance(context, list):  # not recursed into: nesting could be arbitrarily deep
        raise DefinitionError(
            "a JSON-LD @context list holds objects, null or the Ontolab context IRI, not "
            "other lists; flatten the list"
        )
    return context  # an inline object (walked later for nested ones) or null


def _imported(context: dict[str, Any]) -> dict[str, Any]:
    """A context with its ``@import`` of the shipped context merged in (its own terms win)."""
    source = context.pop("@import")
    imported = _shipped_context(source if isinstance(source, str) else repr(source), "@import")
    return {**imported, **context}


def _shipped_context(reference: str, key: str) -> dict[str, Any]:
    if reference != CONTEXT_IRI:
        raise DefinitionError(
            f"the definition's {key} {reference!r} is a reference to a context elsewhere; "
            "Ontolab never fetches or reads contexts: write the context inline as an object, "
            f'or use the Ontolab context shipped with the ontology, "{key}": "{CONTEXT_IRI}"'
        )
    return copy.deepcopy(_context_content())


@lru_cache(maxsize=1)
def _context_content() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(CONTEXT_FILE.read_text())["@context"]
    return content
