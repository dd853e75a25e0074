"""Converting RDF terms from query results into plain Python values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from rdflib import Literal
from rdflib.namespace import RDF
from rdflib.term import Node


def python_value(term: Node) -> Any:
    """A term as the plain JSON-able value callers expect (IRIs as strings)."""
    if not isinstance(term, Literal):
        return str(term)
    if term.datatype == RDF.JSON:
        return json.loads(str(term))
    value = term.toPython()
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value
