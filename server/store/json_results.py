"""The terms of a SPARQL JSON results binding, as a remote server sends them, read as rdflib
terms or plain values, with Virtuoso's quirks absorbed: booleans as ``"1"`` / ``"0"``, and
``xsd:string`` literals (returned as plain literals, as the embedded store does)."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from server.graph.terms import literal_value

_XSD = "http://www.w3.org/2001/XMLSchema#"
_BOOLEANS = {"1": "true", "0": "false"}


def term(binding: dict[str, str]) -> Node:
    """One bound value (``{"type", "value", …}``) as an rdflib term."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in binding:
        return Literal(value, lang=binding["xml:lang"])
    datatype = binding.get("datatype")
    if datatype is None or datatype == _XSD + "string":
        return Literal(value)
    if datatype == _XSD + "boolean":
        value = _BOOLEANS.get(value, value)
    return Literal(value, datatype=URIRef(datatype))


def plain(binding: dict[str, str]) -> Any:
    """One bound value as a plain Python value (see ``server.graph.terms.literal_value``)."""
    if binding["type"] in ("uri", "bnode"):
        return binding["value"]
    return literal_value(binding["value"], binding.get("datatype", _XSD + "string"))
