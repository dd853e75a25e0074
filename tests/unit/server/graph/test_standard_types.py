"""The standard classes each Ontolab class stands under, derived from the ontology, and the
store that writes them with every type."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, PROV, RDF, RDFS

from ontology import ONTOLOGY_FILE
from server.cli import main
from server.graph import write_terms
from server.graph.namespaces import MLS, OL
from server.graph.standard_types import StandardTypes, ontology_types, standard_superclasses
from server.graph.upgrade import add_standard_types
from server.store import open_store
from server.store.oxigraph import OxigraphStore

EX = "https://example.org/vocab#"


def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def iris(*terms: URIRef) -> frozenset[str]:
    return frozenset(map(str, terms))


def test_the_map_is_the_ontologys_subclass_axioms() -> None:
    found = standard_superclasses(ontology())
    assert found[str(OL.Run)] == iris(MLS.Run, PROV.Activity)
    assert found[str(OL.StepRun)] == iris(PROV.Activity)
    assert found[str(OL.Model)] == iris(MLS.Model, PROV.Entity)
    assert found[str(OL.Dataset)] == iris(MLS.Dataset, DCAT.Dataset, PROV.Entity)
    assert found[str(OL.Artifact)] == iris(PROV.Entity)
    assert found[str(OL.ModelVersion)] == iris(PROV.Entity)
    assert found[str(OL.ModelDeployment)] == iris(PROV.Activity)
    assert found[str(OL.Experiment)] == iris(MLS.Experiment)
    assert found[str(OL.DataFile)] == iris(DCAT.Distribution)
    # transitive: ol:DataExtraction ⊑ ol:Step ⊑ prov:Plan ⊑ prov:Entity
    assert found[str(OL.DataExtraction)] == iris(PROV.Plan, PROV.Entity)
    assert found[str(PROV.Plan)] == iris(PROV.Entity)


def test_the_map_names_no_ontolab_or_owl_class_and_skips_classes_without_standard_ones() -> None:
    found = standard_superclasses(ontology())
    named = set().union(*found.values())
    assert not {c for c in named if c.startswith(("https://w3id.org/ontolab/", str(RDFS)))}
    assert str(OL.ColumnProfile) not in found and str(OL.ThresholdCheck) not in found


def test_the_map_follows_a_changed_ontology_so_it_is_not_listed_by_hand() -> None:
    changed = ontology()
    changed.remove((OL.Model, RDFS.subClassOf, MLS.Model))
    changed.add((OL.ColumnProfile, RDFS.subClassOf, URIRef(EX + "Column")))
    changed.add((URIRef(EX + "Column"), RDFS.subClassOf, PROV.Entity))
    changed.add((OL.Run, RDFS.subClassOf, OL.Experiment))  # ol:Experiment ⊑ mls:Experiment
    found = standard_superclasses(changed)
    assert found[str(OL.Model)] == iris(PROV.Entity)
    assert found[str(OL.ColumnProfile)] == iris(URIRef(EX + "Column"), PROV.Entity)
    assert found[str(OL.Run)] == iris(MLS.Run, PROV.Activity, MLS.Experiment)


def test_a_subclass_cycle_ends() -> None:
    cyclic = Graph()
    cyclic.add((URIRef(EX + "A"), RDFS.subClassOf, URIRef(EX + "B")))
    cyclic.add((URIRef(EX + "B"), RDFS.subClassOf, URIRef(EX + "A")))
    assert standard_superclasses(cyclic) == {
        EX + "A": frozenset({EX + "B"}),
        EX + "B": frozenset({EX + "A"}),
    }


def test_expand_adds_each_standard_type_once_in_the_kind_of_the_triple() -> None:
    types = ontology_types()
    node = write_terms.iri("https://w3id.org/ontolab/id/run/r1/output/extract")
    written = [
        (node, write_terms.RDF.type, write_terms.OL.Artifact),
        (node, write_terms.RDF.type, write_terms.OL.Dataset),
        (node, write_terms.OL.sha256, write_terms.string("ab")),
    ]
    added = types.expand(written)[len(written) :]
    assert added == [
        (node, write_terms.RDF.type, ox.NamedNode(str(PROV.Entity))),
        (node, write_terms.RDF.type, ox.NamedNode(str(DCAT.Dataset))),
        (node, write_terms.RDF.type, ox.NamedNode(str(MLS.Dataset))),
    ]
    run = URIRef("https://w3id.org/ontolab/id/run/r1")
    assert types.expand([(run, RDF.type, OL.Run)])[1:] == [
        (run, RDF.type, MLS.Run),
        (run, RDF.type, PROV.Activity),
    ]
    untyped = [(run, RDFS.label, OL.Run)]
    assert types.expand(untyped) == untyped


def test_missing_names_what_a_node_lacks() -> None:
    types = StandardTypes({"urn:C": ["urn:S", "urn:T"]})
    assert types.missing([("urn:n", "urn:C"), ("urn:n", "urn:S"), ("urn:m", "urn:X")]) == [
        ("urn:n", "urn:T")
    ]
    assert types.classes() == ["urn:C", "urn:S", "urn:T"]


@pytest.mark.parametrize("write", ["replace_graph", "add_to_graph"])
def test_the_store_writes_the_standard_types_in_the_same_graph(write: str) -> None:
    store = open_store("oxigraph:memory")
    graph = URIRef("https://w3id.org/ontolab/id/run/r1")
    try:
        getattr(store, write)(graph, [(graph, RDF.type, OL.Run)])
        typed = f"{graph.n3()} a {MLS.Run.n3()}, {PROV.Activity.n3()}"
        assert store.ask(f"ASK {{ GRAPH {graph.n3()} {{ {typed} }} }}")
    finally:
        store.close()


def test_upgrade_adds_the_standard_types_a_graph_lacks_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = URIRef("https://w3id.org/ontolab/id/run/r1")
    model = URIRef(f"{graph}/output/build")
    old = OxigraphStore(tmp_path / "store")  # the bare backend writes as earlier versions did
    old.replace_graph(graph, [(graph, RDF.type, OL.Run), (model, RDF.type, OL.Model)])
    old.replace_graph(URIRef(EX + "theirs"), [(model, RDF.type, OL.Model)])
    old.close()

    assert main(["--data", str(tmp_path), "store", "upgrade"]) == 0
    assert "added 4 standard types (PROV-O, ML-Schema, DCAT) to 1 graphs" in capsys.readouterr().out
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    try:
        query = f"SELECT ?node ?type WHERE {{ GRAPH {graph.n3()} {{ ?node a ?type }} }}"
        rows = store.select(query)
        assert {(str(r["node"]), str(r["type"])) for r in rows} == {
            (str(graph), str(OL.Run)),
            (str(graph), str(MLS.Run)),
            (str(graph), str(PROV.Activity)),
            (str(model), str(OL.Model)),
            (str(model), str(MLS.Model)),
            (str(model), str(PROV.Entity)),
        }
        assert not store.ask(f"ASK {{ GRAPH <{EX}theirs> {{ ?n a {MLS.Model.n3()} }} }}")
        assert add_standard_types(store) == (0, 0)
    finally:
        store.close()
    assert main(["--data", str(tmp_path), "store", "upgrade"]) == 0
    assert "added 0 standard types" in capsys.readouterr().out
