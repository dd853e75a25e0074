"""One check the tests share: a graph the platform wrote conforms to ontology/shapes.ttl."""

from __future__ import annotations

from pyshacl import validate
from rdflib import Graph

from ontology import ONTOLOGY_FILE, SHAPES_FILE


def assert_conforms(data: Graph) -> None:
    """pyshacl over ``data`` with the project's shapes and ontology (no inference)."""
    conforms, _, text = validate(
        data,
        shacl_graph=Graph().parse(SHAPES_FILE),
        ont_graph=Graph().parse(ONTOLOGY_FILE),
        inference="none",
    )
    assert conforms, text
