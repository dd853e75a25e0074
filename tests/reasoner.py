"""The OWL reasoner (HermiT, via owlready2) over an rdflib graph, for the consistency tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import Graph


def reason(graph: Graph, tmp_path: Path, **options: Any) -> None:
    """Run HermiT over ``graph``; raises OwlReadyInconsistentOntologyError if inconsistent.

    Args:
        graph: The triples to check.
        tmp_path: A folder to write them to (owlready2 reads N-Triples, not Turtle).
        options: Further keyword arguments of ``owlready2.sync_reasoner``.
    """
    import owlready2  # the callers check (or skip) that it and Java are there

    path = tmp_path / "graph.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()  # a fresh World keeps runs independent
    try:
        with path.open("rb") as fileobj:
            world.get_ontology("https://w3id.org/ontolab/ns").load(
                fileobj=fileobj, format="ntriples"
            )
        owlready2.sync_reasoner(world, infer_property_values=False, debug=0, **options)
    finally:
        world.close()
