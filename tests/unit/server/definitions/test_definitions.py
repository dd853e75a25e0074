"""Definitions: parsing, SHACL validation with reports that name node and property,
versioning in named graphs, and nothing written when a definition is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import definitions
from server.definitions import versioning
from server.errors import DefinitionError, NotFoundError
from server.platform import Platform

PREFIXES = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/tiny#> .
"""


def tiny(accuracy: str = "0.8", target: str = 'ol:targetColumn "target" ;') -> str:
    return (
        PREFIXES
        + f"""
:experiment a ol:Experiment ; dcterms:identifier "tiny" ; ol:task "classification" ;
    ol:hasStep :extract, :process, :build, :validate .
:extract a ol:DataExtraction ; ol:source "sklearn:iris" ; {target} ol:produces :raw .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "LogisticRegression" ;
    ol:hyperParameter [ ol:parameterName "max_iter" ; ol:parameterValue 500 ] ;
    ol:produces :model .
:validate a ol:ModelValidation ; ol:consumes :model, :splits ;
    ol:threshold [ ol:metricName "accuracy" ; ol:minValue {accuracy} ] ; ol:produces :report .
"""
    )


def graph_names(platform: Platform) -> set[str]:
    rows = platform.store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {str(r["g"]) for r in rows}


def test_every_example_parses_and_validates(examples: Path) -> None:
    for path in sorted(p for p in examples.iterdir() if p.is_file()):  # not code folders
        graph = definitions.parse(path.read_text(), definitions.format_for(path))
        definitions.validate(graph)


def test_json_ld_and_turtle_of_the_same_experiment_hash_alike(examples: Path) -> None:
    turtle = definitions.parse(tiny())
    as_json = definitions.parse(turtle.serialize(format="json-ld"), "json-ld")
    assert versioning._content_hash(versioning.to_canonical_graph(as_json)) == (
        versioning._content_hash(versioning.to_canonical_graph(turtle))
    )


def test_syntax_error_names_the_format() -> None:
    with pytest.raises(DefinitionError, match="not valid turtle"):
        definitions.parse(":a :b", "turtle")


def test_unknown_file_suffix_says_how_to_name_it() -> None:
    with pytest.raises(DefinitionError, match=r"\*\.ttl \(Turtle\) or \*\.jsonld"):
        definitions.format_for("experiment.yaml")


def test_invalid_definition_names_node_property_and_reason(platform: Platform) -> None:
    before = graph_names(platform)
    graph = definitions.parse(tiny(target=""))
    with pytest.raises(DefinitionError) as error:
        definitions.submit(platform.store, graph)
    violations = error.value.violations
    assert [(v.node, v.path) for v in violations] == [(":extract", "ol:targetColumn")]
    assert "targetColumn" in violations[0].message
    assert ":extract ol:targetColumn" in str(error.value)
    assert graph_names(platform) == before, "a rejected definition must write nothing"


def test_violation_on_a_blank_node_says_whose_value_it_is(platform: Platform) -> None:
    text = tiny().replace("ol:parameterValue 500", "")
    with pytest.raises(DefinitionError) as error:
        definitions.submit(platform.store, definitions.parse(text))
    nodes = {v.node for v in error.value.violations}
    assert "[the ol:hyperParameter of :build]" in nodes


def test_problem_json_lists_violations() -> None:
    with pytest.raises(DefinitionError) as error:
        definitions.validate(definitions.parse(tiny(target="")))
    problem = error.value.to_problem()
    assert problem["status"] == 400
    assert problem["violations"][0]["path"] == "ol:targetColumn"


def test_two_experiments_in_one_definition_are_rejected() -> None:
    text = tiny() + tiny().replace("tiny#", "other#").replace('"tiny"', '"other"')
    with pytest.raises(DefinitionError, match="exactly one ol:Experiment; this one has 2"):
        definitions.validate(definitions.parse(text))


def test_submit_versions_by_content(platform: Platform) -> None:
    first = definitions.submit(platform.store, definitions.parse(tiny("0.8")))
    again = definitions.submit(platform.store, definitions.parse(tiny("0.8")))
    changed = definitions.submit(platform.store, definitions.parse(tiny("0.85")))
    assert (first.created, first.version.number) == (True, 1)
    assert (again.created, again.version.number) == (False, 1)
    assert (changed.created, changed.version.number) == (True, 2)
    assert changed.version.graph != first.version.graph
    assert [v.number for v in definitions.versions(platform.store, "tiny")] == [2, 1]
    old = definitions.version_turtle(
        platform.store, definitions.get_version(platform.store, "tiny", 1)
    )
    new = definitions.version_turtle(
        platform.store, definitions.get_version(platform.store, "tiny")
    )
    assert "0.8" in old and "0.85" not in old
    assert "0.85" in new


def test_content_of_an_older_version_returns_that_version(platform: Platform) -> None:
    definitions.submit(platform.store, definitions.parse(tiny("0.7")))  # version 1
    definitions.submit(platform.store, definitions.parse(tiny("0.75")))  # version 2
    older = definitions.submit(platform.store, definitions.parse(tiny("0.7")))
    assert (older.created, older.version.number) == (False, 1)
    assert [v.number for v in definitions.versions(platform.store, "tiny")] == [2, 1]


def test_stored_version_has_no_blank_nodes(platform: Platform) -> None:
    version = definitions.submit(platform.store, definitions.parse(tiny())).version
    rows = platform.store.select(
        f"SELECT * WHERE {{ GRAPH <{version.graph}> {{ ?s ?p ?o "
        "FILTER(isBlank(?s) || isBlank(?o)) } }"
    )
    assert rows == []


def test_missing_experiment_or_version_says_what_exists(platform: Platform) -> None:
    with pytest.raises(NotFoundError, match="no experiment 'nope'.*ontolab submit"):
        definitions.get_version(platform.store, "nope")
    definitions.submit(platform.store, definitions.parse(tiny()))
    with pytest.raises(NotFoundError, match="has no version 7; it has versions 1"):
        definitions.get_version(platform.store, "tiny", 7)


def test_ontology_is_loaded_once_into_its_graph(platform: Platform) -> None:
    count = (
        "SELECT (COUNT(*) AS ?n) "
        "WHERE { GRAPH <https://w3id.org/ontolab/graph/ontology> { ?s ?p ?o } }"
    )
    before = int(platform.store.select(count)[0]["n"])
    definitions.ensure_ontology(platform.store)
    assert before > 100
    assert int(platform.store.select(count)[0]["n"]) == before


def test_misspelt_ontology_terms_are_named_with_a_suggestion() -> None:
    text = tiny().replace('ol:targetColumn "target"', 'ol:targetColum "target"')
    with pytest.raises(DefinitionError) as error:
        definitions.validate(definitions.parse(text))
    [violation] = error.value.violations
    assert (violation.node, violation.path) == (":extract", "ol:targetColum")
    assert "did you mean ol:targetColumn?" in violation.message
