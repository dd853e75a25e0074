"""Checking a definition graph: ontology terms, SHACL shapes, and where its file sources may live.

Sources that name a file must resolve under one of the data roots (``ONTOLAB_DATA_ROOTS``), so a
definition never chooses where the server reads from.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from ontology import ONTOLOGY_FILE, SHAPES_FILE
from server.definitions.estimators import AllowList, default_allow_list, shapes_with
from server.errors import DefinitionError, Violation
from server.graph.namespaces import (
    OL,
    RDF,
)

# ol:source values that name no file: bundled scikit-learn data and uploaded datasets.
NON_FILE_SOURCES = ("sklearn:", "dataset:")
ROOTS_SETTING = "ONTOLAB_DATA_ROOTS"


def validate(
    graph: Graph, roots: Sequence[Path] | None = None, estimators: AllowList | None = None
) -> None:
    """Check the definition against the SHACL shapes; raise with every violation if invalid.

    File sources must also resolve inside ``roots`` (the settings' ``source_roots``; None: the
    default roots of the working directory), so a definition that would read elsewhere is
    refused before anything is stored. ``ol:estimator`` must name one of ``estimators`` (the
    platform's allow-list; None: the default settings'), checked by name: nothing is imported.
    """
    unknown = _unknown_terms(graph)
    if unknown:
        raise DefinitionError(
            f"the definition uses {len(unknown)} term(s) the ontology does not declare", unknown
        )
    violations = shape_violations(graph, estimators)
    if violations:
        raise DefinitionError(
            f"the definition breaks {len(violations)} rule(s) of the experiment shapes",
            violations,
        )
    experiment_node(graph)
    _check_sources(graph, _default_roots() if roots is None else roots)


def shape_violations(graph: Graph, estimators: AllowList | None = None) -> list[Violation]:
    """What ``graph`` breaks of the SHACL shapes (ontology/shapes.ttl), sorted; empty if it
    conforms. ``estimators``: the allow-list the ``ol:estimator`` lists hold (None: the
    default settings'). The ontology is mixed in, so a shape on a class reaches its subclasses.
    """
    from pyshacl import validate as shacl_validate  # imported here: costs ~0.3 s at start-up

    conforms, report, _ = shacl_validate(
        graph,
        shacl_graph=shapes_graph(estimators or default_allow_list()),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return [] if conforms else _violations(report, graph)


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@lru_cache(maxsize=4)
def shapes_graph(estimators: AllowList) -> Graph:
    """The SHACL shapes with ``estimators`` in their ``ol:estimator`` lists (do not modify)."""
    return shapes_with(Graph().parse(SHAPES_FILE, format="turtle"), estimators)


@lru_cache(maxsize=1)
def _declared_terms() -> frozenset[str]:
    return frozenset(str(s) for s in ontology_graph().subjects() if str(s).startswith(str(OL)))


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


def experiment_node(graph: Graph) -> URIRef:
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
