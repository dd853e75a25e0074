"""SPARQL from the client: parameters bound as a trailing ``VALUES`` clause, answers as rows.

Values are written as SPARQL terms, never pasted in as text: a string is a quoted, escaped
literal, an ``IRI`` an escaped ``<…>``, numbers, booleans and datetimes typed literals. A
trailing ``VALUES`` joins after grouping and before ``ORDER BY``/``LIMIT`` (SPARQL 1.1
§18.2.4.3), so it binds a variable the query's result has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ontolab.frames import Table

XSD = "http://www.w3.org/2001/XMLSchema#"
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_INTEGERS = {f"{XSD}{t}" for t in ("integer", "int", "long", "short", "nonNegativeInteger")}
_FLOATS = {f"{XSD}{t}" for t in ("decimal", "double", "float")}
# Python types written as typed literals: (type, XSD datatype, lexical form). First match
# wins, so bool comes before int (a subclass) and datetime before date.
_TYPED: tuple[tuple[type, str, Callable[[Any], str]], ...] = (
    (bool, "boolean", lambda v: str(v).lower()),
    (int, "integer", str),
    (float, "double", repr),
    (datetime, "dateTime", datetime.isoformat),
    (date, "date", date.isoformat),
)


class IRI(str):
    """A string meant as an IRI (``<…>``) rather than a string literal."""


def term(value: Any) -> str:
    """``value`` as a SPARQL term."""
    if isinstance(value, IRI):
        if _IRI_FORBIDDEN.search(value):
            raise ValueError(f'{value!r} is not an IRI: it holds a space or one of <>"{{}}|^`\\')
        return f"<{value}>"
    for kind, datatype, lexical in _TYPED:
        if isinstance(value, kind):
            return f'"{lexical(value)}"^^<{XSD}{datatype}>'
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are SPARQL string escapes
    raise TypeError(
        f"cannot bind {value!r} ({type(value).__name__}); use a str, ontolab.IRI, int, "
        "float, bool or datetime"
    )


def bind(query: str, params: Mapping[str, Any]) -> str:
    """``query`` with ``params`` (variable → value) appended as one ``VALUES`` row."""
    if not params:
        return query
    for name in params:
        if not _VARIABLE.fullmatch(name):
            raise ValueError(f"{name!r} is not a SPARQL variable name (letters, digits, '_')")
    names = " ".join(f"?{name}" for name in params)
    row = " ".join(term(value) for value in params.values())
    return f"{query.rstrip()}\nVALUES ({names}) {{ ({row}) }}"


def value(binding: Mapping[str, Any]) -> Any:
    """A SPARQL JSON results binding as a Python value: IRIs and strings as str, numbers
    and booleans typed."""
    text = binding.get("value", "")
    kind = binding.get("type")
    if kind == "bnode":
        return f"_:{text}"
    datatype = binding.get("datatype")
    if datatype in _INTEGERS:
        return int(text)
    if datatype in _FLOATS:
        return float(text)
    if datatype == f"{XSD}boolean":
        return text in ("true", "1")
    return text


def table(results: Mapping[str, Any]) -> Table:
    """SPARQL JSON results as a ``Table`` (rows of dicts; ``boolean`` for ASK)."""
    if "boolean" in results:
        return Table(boolean=bool(results["boolean"]))
    columns = results.get("head", {}).get("vars", [])
    rows = [
        {name: value(b) for name, b in row.items()}
        for row in results.get("results", {}).get("bindings", [])
    ]
    return Table(rows, columns)
