"""The JSON pipeline document → definition graph conversion."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from server import definitions
from server.definitions.ui_document import to_graph
from server.errors import DefinitionError
from server.graph.namespaces import OL
from server.runs.service import check_definition

DOCUMENT = {
    "id": "doc",
    "task": "classification",
    "steps": [
        {
            "id": "extract",
            "type": "DataExtraction",
            "parameters": {
                "source": "sklearn:iris",
                "target_column": "target",
                "drop_column": ["a", "b"],
            },
        },
        {"id": "process", "type": "DataProcessing", "consumes": ["extract"]},
        {
            "id": "build",
            "type": "ModelBuilding",
            "consumes": ["process"],
            "parameters": {"estimator": "SVC", "search_strategy": "grid"},
            "hyper_parameters": {"C": 2.0, "gamma": None},
            "search_space": {"kernel": ["rbf", "linear"]},
            "resources": {"cpus": 2},
        },
        {
            "id": "validate",
            "type": "ModelValidation",
            "consumes": ["build", "process"],
            "depends_on": ["extract"],
            "thresholds": [{"metric": "f1", "min": 0.5, "max": None}],
        },
    ],
}


def test_document_becomes_a_valid_definition_with_the_same_plan() -> None:
    graph = to_graph(DOCUMENT)
    definitions.validate(graph)
    _, pipeline, plan = check_definition(graph)
    assert plan.waves == (("extract",), ("process",), ("build",), ("validate",))
    build = next(s for s in pipeline.steps if s.id == "build")
    assert build.parameters["hyperparameters"] == {"C": 2.0, "gamma": None}
    assert build.parameters["search_space"] == {"kernel": ["linear", "rbf"]}
    assert build.resources == {"cpus": 2}
    extract = next(s for s in pipeline.steps if s.id == "extract")
    assert extract.parameters["drop_column"] == ["a", "b"]
    validate = next(s for s in pipeline.steps if s.id == "validate")
    assert validate.parameters["thresholds"] == [{"metric": "f1", "min": 0.5, "max": None}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": []}, 'non-empty "steps"'),
        ({"id": "bad id"}, "must be letters"),
        ({"task": None}, '"task" string'),
        (
            {"steps": [{"id": "a", "type": "DataExtraction", "consumes": ["ghost"]}]},
            "'ghost', which is not a step id",
        ),
        ({"steps": [{"id": "a", "type": "Data Extraction"}]}, "use a class name"),
        (
            {"steps": [{"id": "a", "type": "DataExtraction", "parameters": {"bad key": 1}}]},
            "not a property name",
        ),
        ({"steps": [{"id": "a", "type": "DataExtraction", "parameters": []}]}, "must be an object"),
    ],
)
def test_malformed_documents_say_what_is_wrong(change: dict, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        to_graph({**DOCUMENT, **change})


def test_a_misspelt_parameter_is_caught_by_validation_on_its_node() -> None:
    steps = [dict(s) for s in DOCUMENT["steps"]]
    steps[0] = {**steps[0], "parameters": {"source": "sklearn:iris", "targetColum": "target"}}
    with pytest.raises(DefinitionError) as error:
        definitions.validate(to_graph({**DOCUMENT, "steps": steps}))
    assert (":extract", "ol:targetColum") in {(v.node, v.path) for v in error.value.violations}


def test_parameter_names_may_also_be_the_ol_local_names() -> None:
    steps = [dict(s) for s in DOCUMENT["steps"]]
    steps[0] = {**steps[0], "parameters": {"source": "sklearn:iris", "targetColumn": "target"}}
    snake, camel = to_graph(DOCUMENT), to_graph({**DOCUMENT, "steps": steps})
    target = URIRef("https://w3id.org/ontolab/experiments/doc#extract")
    assert snake.value(target, OL.targetColumn) == camel.value(target, OL.targetColumn)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("dependsOn", r"'dependsOn' \(use 'depends_on'\)"),
        ("hyperParameters", r"'hyperParameters' \(use 'hyper_parameters'\)"),
        ("colour", "does not know: 'colour'; use only id, type, consumes"),
    ],
)
def test_an_unknown_step_key_is_refused_not_dropped(key: str, message: str) -> None:
    steps = [dict(s) for s in DOCUMENT["steps"]]
    steps[2] = {**steps[2], key: ["extract"]}
    with pytest.raises(DefinitionError, match=message):
        to_graph({**DOCUMENT, "steps": steps})


CHECK_STEP = {
    "id": "check",
    "type": "DataValidation",
    "consumes": ["extract"],
    "parameters": {"min_rows": 100, "max_missing_rate": 0.05},
    "columns": [
        {"name": "target", "type": "integer", "allowed": [0, 1, 2]},
        {"name": "petal length (cm)", "min": 0, "max": 10, "max_missing_rate": 0.0},
        {"name": "note", "required": False},
    ],
}


def test_a_data_validation_step_carries_its_column_expectations() -> None:
    graph = to_graph({**DOCUMENT, "steps": [*DOCUMENT["steps"], CHECK_STEP]})
    definitions.validate(graph)
    _, pipeline, plan = check_definition(graph)
    check = next(s for s in pipeline.steps if s.id == "check")
    assert check.parameters["min_rows"] == 100
    assert check.parameters["columns"] == [
        {"name": "note", "type": None, "required": False, "min": None, "max": None,
         "max_missing_rate": None, "allowed": None},
        {"name": "petal length (cm)", "type": None, "required": None, "min": 0.0, "max": 10.0,
         "max_missing_rate": 0.0, "allowed": None},
        {"name": "target", "type": "integer", "required": None, "min": None, "max": None,
         "max_missing_rate": None, "allowed": [0, 1, 2]},
    ]  # fmt: skip
    assert "check" in plan.steps["build"].depends_on


def test_a_column_expectation_with_an_unknown_key_is_refused() -> None:
    bad = {**CHECK_STEP, "columns": [{"name": "a", "maximum": 3}]}
    with pytest.raises(DefinitionError, match="each column expectation is an object with the keys"):
        to_graph({**DOCUMENT, "steps": [*DOCUMENT["steps"], bad]})


def test_a_column_expectation_below_its_minimum_is_refused_on_its_node() -> None:
    bad = {**CHECK_STEP, "columns": [{"name": "a", "min": 5, "max": 1}]}
    with pytest.raises(DefinitionError) as error:
        definitions.validate(to_graph({**DOCUMENT, "steps": [*DOCUMENT["steps"], bad]}))
    assert any(v.path == "ol:minValue" for v in error.value.violations)
