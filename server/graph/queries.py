"""Named SPARQL queries from ``ontology/queries/*.rq``, with typed parameters bound safely.

A query file declares its parameters in header comments::

    # Top runs of one experiment by one metric.
    # @param experiment string
    # @param limit integer

and uses them as ``$experiment`` / ``$limit`` in the body. Binding replaces each ``$name``
with the value serialized as an RDF term (IRIs checked, literals escaped), so a value from a
request can never change the shape of the query. Unbound optional parameters are not allowed:
every declared parameter must be given.

A list kind (``iris``, ``strings``) binds a sequence as the terms of a ``VALUES`` block, each
checked as its single kind is: ``VALUES ?run { $runs }``. An empty list matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ontology import QUERIES_DIR
from server.errors import NotFoundError, QueryError
from server.store.base import ReadableStore, Row

_PARAM_LINE = re.compile(r"^#\s*@param\s+(\w+)\s+(\w+)\s*$")
_PLACEHOLDER = re.compile(r"\$(\w+)")
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\]')
PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "datetime")
#: A list kind by the kind of its items.
LIST_TYPES = {"iris": "iri", "strings": "string"}


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    description: str
    params: dict[str, str]

    def render(self, **values: Any) -> str:
        """The query text with every ``$param`` replaced by its bound value."""
        missing = set(self.params) - set(values)
        extra = set(values) - set(self.params)
        if missing or extra:
            raise QueryError(
                f"query {self.name!r} takes parameters {sorted(self.params)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        terms = {name: to_sparql(name, self.params[name], value) for name, value in values.items()}
        return _PLACEHOLDER.sub(lambda m: terms.get(m.group(1), m.group(0)), self.text)


def to_sparql(name: str, kind: str, value: Any) -> str:
    """Serialize one parameter value as a SPARQL term of the declared kind (a list kind: its
    items' terms, space-separated)."""
    if kind in LIST_TYPES:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise QueryError(f"parameter {name!r} must be a list of {LIST_TYPES[kind]}s")
        return " ".join(to_sparql(name, LIST_TYPES[kind], item) for item in value)
    try:
        if kind == "iri":
            iri = str(value)
            if not iri or _BAD_IRI_CHARS.search(iri) or ":" not in iri:
                raise ValueError(f"{iri!r} is not an absolute IRI")
            return URIRef(iri).n3()
        if kind == "string":
            return Literal(str(value)).n3()
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError("booleans are not integers")
            return str(int(value))
        if kind == "decimal":
            return Literal(float(value), datatype=XSD.double).n3()
        if kind == "boolean":
            if not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
                raise ValueError(f"{value!r} is not true or false")
            return "true" if str(value).lower() == "true" else "false"
        if kind == "datetime":
            stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return Literal(stamp, datatype=XSD.dateTime).n3()
    except (TypeError, ValueError) as exc:
        raise QueryError(f"parameter {name!r} must be a {kind}: {exc}") from exc
    known = (*PARAM_TYPES, *LIST_TYPES)
    raise QueryError(f"parameter {name!r} has unknown type {kind!r}; use one of {known}")


@cache
def load(name: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    """Load the named query ``directory/name.rq``."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise NotFoundError(f"no query named {name!r}; names are lower_snake_case")
    path = directory / f"{name}.rq"
    if not path.is_file():
        raise NotFoundError(f"no query named {name!r}; see {directory} for the available ones")
    text = path.read_text()
    params: dict[str, str] = {}
    description = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _PARAM_LINE.match(line)
        if match:
            params[match.group(1)] = match.group(2)
        else:
            description.append(line.lstrip("# ").strip())
    bad = {k: v for k, v in params.items() if v not in PARAM_TYPES and v not in LIST_TYPES}
    if bad:
        raise QueryError(f"query {name!r} declares unknown parameter types {bad}")
    return NamedQuery(name, text, " ".join(d for d in description if d), params)


def available(directory: Path = QUERIES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.rq"))


def select(store: ReadableStore, name: str, /, **values: Any) -> list[Row]:
    """Run the named SELECT query with ``values`` bound."""
    return store.select(load(name).render(**values))


def select_values(store: ReadableStore, name: str, /, **values: Any) -> list[dict[str, Any]]:
    """Run the named SELECT query; rows as plain values (see ``Store.select_values``)."""
    return store.select_values(load(name).render(**values))


def ask(store: ReadableStore, name: str, /, **values: Any) -> bool:
    return store.ask(load(name).render(**values))
