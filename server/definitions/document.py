"""A definition document read into an RDF graph: Turtle, or JSON-LD whose context is never fetched.

A JSON-LD document may name the shipped context (``ontology/context.jsonld``) or inline its own;
any other remote context is refused, so reading a definition never makes the server fetch a URL.
"""

from __future__ import annotations

import copy
import json
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import Graph

from ontology import CONTEXT_FILE, CONTEXT_IRI
from server.errors import DefinitionError

FORMATS = {".ttl": "turtle", ".turtle": "turtle", ".jsonld": "json-ld", ".json": "json-ld"}


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
