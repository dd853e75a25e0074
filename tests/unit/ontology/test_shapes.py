"""The SHACL shapes: every example conforms, and each rule rejects the definition that breaks
it with a result naming the node, the property and the fix."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, Namespace
from rdflib.term import Node

from ontology import ONTOLOGY_DIR, ONTOLOGY_FILE, SHAPES_FILE

OL = Namespace("https://w3id.org/ontolab/ns#")
MLS = Namespace("http://www.w3.org/ns/mls#")
EX = Namespace("https://w3id.org/ontolab/examples/tiny#")
EXAMPLES = sorted((ONTOLOGY_DIR.parent / "examples").glob("*.*"))
DEFINITIONS_DOC = ONTOLOGY_DIR.parent / "docs" / "definitions.md"

# The smallest valid definition; every invalid case below breaks one rule of it. Structured
# values are IRIs here so that a test can name them as the expected focus node.
TINY = """
@prefix ol:      <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix :        <https://w3id.org/ontolab/examples/tiny#> .

:experiment a ol:Experiment ;
    dcterms:identifier "tiny" ;
    ol:task "classification" ;
    ol:hasStep :extract, :process, :build, :validate .

:extract a ol:DataExtraction ;
    ol:source "sklearn:iris" ;
    ol:targetColumn "target" ;
    ol:produces :raw .

:process a ol:DataProcessing ;
    ol:consumes :raw ;
    ol:testSize 0.25 ;
    ol:randomSeed 42 ;
    ol:produces :splits .

:build a ol:ModelBuilding ;
    ol:consumes :splits ;
    ol:estimator "LogisticRegression" ;
    ol:hyperParameter :c ;
    ol:requires :resources ;
    ol:produces :model .

:c ol:parameterName "C" ; ol:parameterValue 1.0 .
:resources ol:cpus 1.0 ; ol:memory "1g" ; ol:timeoutSeconds 300 .

:validate a ol:ModelValidation ;
    ol:consumes :model, :splits ;
    ol:threshold :accuracy ;
    ol:produces :report .

:accuracy ol:metricName "accuracy" ; ol:minValue 0.9 .

:raw a ol:Dataset . :splits a ol:Dataset . :model a ol:Model . :report a ol:EvaluationReport .
"""


@dataclass(frozen=True)
class Result:
    focus: Node
    path: Node | None
    value: Node | None
    message: str


@dataclass(frozen=True)
class Case:
    """One broken rule: ``old`` in TINY becomes ``new``; one result is expected."""

    old: str
    new: str
    focus: Node
    path: Node | None
    fix: str


def parse(path: Path) -> Graph:
    fmt = "json-ld" if path.suffix == ".jsonld" else "turtle"
    with warnings.catch_warnings():
        # rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about its
        # own deprecated class; nothing the caller can change.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(path, format=fmt)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return parse(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return parse(SHAPES_FILE)


@pytest.fixture
def validate(onto: Graph, shapes: Graph):
    """Validate as the server does; return whether it conforms and the results."""

    def run(data: Graph) -> tuple[bool, list[Result]]:
        conforms, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=onto, inference="none", advanced=True
        )
        # Nested results (sh:detail) would also be typed sh:ValidationResult; the shapes make
        # none, so callers may list every sh:ValidationResult of the report.
        top_level = set(report.objects(None, SH.result))
        assert set(report.subjects(RDF.type, SH.ValidationResult)) == top_level
        results = []
        for node in top_level:
            messages = list(report.objects(node, SH.resultMessage))
            assert len(messages) == 1, f"expected one message, got {messages}"
            results.append(
                Result(
                    focus=report.value(node, SH.focusNode),
                    path=report.value(node, SH.resultPath),
                    value=report.value(node, SH.value),
                    message=str(messages[0]),
                )
            )
        return conforms, results

    return run


def split_message(message: str) -> tuple[str, str]:
    """'what is wrong; the fix' -> (what, fix). A Turtle snippet's ' ; ' does not split."""
    parts = re.split(r"(?<=\S); ", message, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (message, "")


def tiny(old: str = "", new: str = "") -> Graph:
    assert not old or TINY.count(old) == 1, f"{old!r} must occur once in TINY"
    return Graph().parse(data=TINY.replace(old, new), format="turtle")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_conform(path: Path, validate) -> None:
    conforms, results = validate(parse(path))
    assert conforms, "\n".join(f"{r.focus} {r.path}: {r.message}" for r in results)


def test_tiny_definition_conforms(validate) -> None:
    conforms, results = validate(tiny())
    assert conforms, results


CASES = {
    "missing identifier": Case(
        'dcterms:identifier "tiny" ;', "", EX.experiment, DCTERMS.identifier,
        'add dcterms:identifier "my-experiment"',
    ),
    "identifier with spaces": Case(
        '"tiny"', '"Tiny Experiment"', EX.experiment, DCTERMS.identifier,
        'change it to e.g. "breast_cancer"',
    ),
    "bad task": Case(
        'ol:task "classification"', 'ol:task "clustering"', EX.experiment, OL.task,
        "change it to one of those",
    ),
    "no steps": Case(
        "ol:hasStep :extract, :process, :build, :validate .", ".", EX.experiment, OL.hasStep,
        "link its steps with ol:hasStep",
    ),
    "step with unknown class": Case(
        ":process a ol:DataProcessing", ":process a ol:Preprocessing", EX.experiment,
        OL.hasStep, "type it with one of ol:DataExtraction",
    ),
    "step with two step classes": Case(
        ":process a ol:DataProcessing", ":process a ol:DataProcessing, ol:DataExploration",
        EX.process, RDF.type, "keep one of its rdf:type step classes",
    ),
    "extract without targetColumn": Case(
        'ol:targetColumn "target" ;', "", EX.extract, OL.targetColumn,
        'add ol:targetColumn "target"',
    ),
    "bad source": Case(
        '"sklearn:iris"', '"sklearn:mnist"', EX.extract, OL.source,
        "change it to one of those",
    ),
    "extract that consumes": Case(
        'ol:source "sklearn:iris" ;', 'ol:source "data/iris.csv" ; ol:consumes :splits ;',
        EX.extract, OL.consumes, "remove its ol:consumes",
    ),
    "step without output": Case(
        "ol:produces :raw .", ".", EX.extract, OL.produces, "give the step one ol:produces",
    ),
    "testSize 1.5": Case(
        "ol:testSize 0.25", "ol:testSize 1.5", EX.process, OL.testSize,
        "write e.g. ol:testSize 0.25",
    ),
    "negative randomSeed": Case(
        "ol:randomSeed 42", "ol:randomSeed -1", EX.process, OL.randomSeed,
        "write e.g. ol:randomSeed 42",
    ),
    "process without input": Case(
        "ol:consumes :raw ;", "", EX.process, OL.consumes, "give it one ol:consumes",
    ),
    "unknown estimator": Case(
        '"LogisticRegression"', '"XGBClassifier"', EX.build, OL.estimator,
        "use one of the class names listed in docs/definitions.md",
    ),
    "estimator for the wrong task": Case(
        '"LogisticRegression"', '"Ridge"', EX.build, None, "change ol:estimator or ol:task",
    ),
    "hyperParameter without value": Case(
        "ol:parameterValue 1.0 .", ".", EX.c, OL.parameterValue,
        "add e.g. ol:parameterValue 1.0",
    ),
    "search space without strategy": Case(
        "ol:hyperParameter :c ;",
        'ol:hyperParameter :c ; ol:searchSpace [ ol:parameterName "C" ; ol:candidateValue 1 ] ;',
        EX.build, None, 'add ol:searchStrategy "grid"',
    ),
    "searchFolds 1": Case(
        "ol:hyperParameter :c ;",
        'ol:hyperParameter :c ; ol:searchStrategy "grid" ; ol:searchFolds 1 ; '
        'ol:searchSpace [ ol:parameterName "C" ; ol:candidateValue 1 ] ;',
        EX.build, OL.searchFolds, "write e.g. ol:searchFolds 5",
    ),
    "validate with one input": Case(
        "ol:consumes :model, :splits ;", "ol:consumes :model ;", EX.validate, OL.consumes,
        "add ol:consumes :model, :splits",
    ),
    "threshold with unknown metric": Case(
        'ol:metricName "accuracy"', 'ol:metricName "auc"', EX.accuracy, OL.metricName,
        "use one of accuracy, precision",
    ),
    "threshold metric for the wrong task": Case(
        'ol:metricName "accuracy" ; ol:minValue 0.9', 'ol:metricName "rmse" ; ol:maxValue 70',
        EX.accuracy, None, "change the metric or ol:task",
    ),
    "threshold with neither min nor max": Case(
        "; ol:minValue 0.9 .", ".", EX.accuracy, None, "add ol:minValue",
    ),
    "threshold bound that is not a number": Case(
        "ol:minValue 0.9", 'ol:minValue "0.9"', EX.accuracy, OL.minValue,
        "write it unquoted",
    ),
    "bad memory string": Case(
        'ol:memory "1g"', 'ol:memory "lots"', EX.resources, OL.memory,
        'write e.g. ol:memory "512m"',
    ),
    "zero cpus": Case(
        "ol:cpus 1.0", "ol:cpus 0", EX.resources, OL.cpus, "write e.g. ol:cpus 1.0",
    ),
    "dependsOn a node that is not a step": Case(
        "ol:requires :resources ;", "ol:requires :resources ; ol:dependsOn :raw ;", EX.build,
        OL.dependsOn, "point it at a node typed with a step class",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_invalid_definition_is_rejected_with_the_fix(case: Case, validate) -> None:
    conforms, results = validate(tiny(case.old, case.new))
    assert not conforms
    assert [(r.focus, r.path) for r in results] == [(case.focus, case.path)], results
    _, fix = split_message(results[0].message)
    assert case.fix in fix, f"the fix must come after the problem: {results[0].message}"


def test_unknown_step_class_result_names_the_step(validate) -> None:
    _, results = validate(tiny(":process a ol:DataProcessing", ":process a ol:Preprocessing"))
    assert [r.value for r in results] == [EX.process]


def test_blank_node_step_is_rejected(validate) -> None:
    conforms, results = validate(
        tiny(
            "ol:hasStep :extract,",
            "ol:hasStep [ a ol:DataExploration ; ol:consumes :raw ; ol:produces :profile ], "
            ":extract,",
        )
    )
    assert not conforms
    assert len(results) == 1
    assert isinstance(results[0].focus, BNode)
    assert "name the step with such an IRI" in results[0].message


def test_blank_node_structured_values_are_reported_on_the_data_graph_node(validate) -> None:
    # The server describes a blank focus node by its place in the submitted graph.
    data = tiny("ol:requires :resources ;", 'ol:requires [ ol:memory "lots" ] ;')
    _, results = validate(data)
    assert [(r.path, (EX.build, OL.requires, r.focus) in data) for r in results] == [
        (OL.memory, True)
    ]


def targeted_shapes(shapes: Graph) -> set[Node]:
    targets = (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)
    return {shape for target in targets for shape in shapes.subjects(target, None)}


def test_every_constraint_has_a_message_ending_with_a_fix(shapes: Graph) -> None:
    node_constraints = (SH["or"], SH["not"], SH.nodeKind, SH.pattern, SH["class"], SH["in"])
    targeted = targeted_shapes(shapes)
    must_have_message = [prop for shape in targeted for prop in shapes.objects(shape, SH.property)]
    must_have_message += [
        shape for shape in targeted if any(shapes.value(shape, c) for c in node_constraints)
    ]
    assert len(must_have_message) > 40
    fix_verbs = {"add", "change", "give", "keep", "link", "merge", "name", "point", "remove",
                 "type", "use", "write"}  # fmt: skip
    for shape in must_have_message:
        messages = list(shapes.objects(shape, SH.message))
        assert len(messages) == 1, f"{shape} must carry one sh:message"
        what, fix = split_message(str(messages[0]))
        assert what and fix.split(" ", 1)[0] in fix_verbs, (
            f"message must read 'what is wrong; the fix': {messages[0]}"
        )


def allowed(shapes: Graph, path: URIRef) -> set[str]:
    """The values of the one sh:in on ``path`` among the property shapes of targeted shapes."""
    found = [
        {str(value) for value in shapes.items(shapes.value(prop, SH["in"]))}
        for shape in targeted_shapes(shapes)
        for prop in shapes.objects(shape, SH.property)
        if shapes.value(prop, SH.path) == path and shapes.value(prop, SH["in"]) is not None
    ]
    assert len(found) == 1, f"expected one sh:in on {path}"
    return found[0]


def test_estimator_allow_list_matches_the_documentation(shapes: Graph) -> None:
    doc = DEFINITIONS_DOC.read_text()
    section = doc.split("## Estimator allow-list", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Za-z]+)`", section))
    assert len(documented) == 21
    assert allowed(shapes, OL.estimator) == documented


def test_metric_names_are_the_ontology_measures(shapes: Graph, onto: Graph) -> None:
    measures = {
        str(onto.value(m, RDFS.label)) for m in onto.subjects(RDF.type, MLS.EvaluationMeasure)
    }
    assert allowed(shapes, OL.metricName) == measures


@pytest.mark.parametrize(
    ("source", "valid"),
    [
        ("sklearn:breast_cancer", True),
        ("sklearn:diabetes", True),
        ("data/houses.csv", True),
        ("/abs/path/to/file.parquet", True),
        ("sklearn:mnist", False),
        ("data/houses.xlsx", False),
        (".csv", False),
    ],
)
def test_source_pattern(source: str, valid: bool, validate) -> None:
    conforms, _ = validate(tiny('"sklearn:iris"', f'"{source}"'))
    assert conforms is valid


@pytest.mark.parametrize(
    ("memory", "valid"),
    [("512m", True), ("2G", True), ("1.5g", True), ("1024", True), ("1 g", False), ("g", False)],
)
def test_memory_pattern(memory: str, valid: bool, validate) -> None:
    conforms, _ = validate(tiny('"1g"', f'"{memory}"'))
    assert conforms is valid


def test_quoted_number_is_not_a_test_size(validate) -> None:
    # Both bounds fail on a string: two results, the same message.
    conforms, results = validate(tiny("ol:testSize 0.25", 'ol:testSize "0.25"'))
    assert not conforms
    assert {(r.focus, r.path, r.value, r.message) for r in results} == {
        (EX.process, OL.testSize, Literal("0.25"), results[0].message)
    }


# A code step between extract and process (ol:CodeStep); the platform adds ol:codeBundle.
CODED = (
    TINY.replace(
        ":process a ol:DataProcessing ;\n    ol:consumes :raw ;",
        ":process a ol:DataProcessing ;\n    ol:consumes :engineered ;",
    ).replace(
        "ol:hasStep :extract, :process,",
        'ol:codeFolder "code" ;\n    ol:hasStep :extract, :features, :process,',
    )
    + """
:features a ol:CodeStep ;
    ol:consumes :raw ;
    ol:function "features:add_ratios" ;
    ol:outputKind "dataset" ;
    ol:requirement "pandas>=2" ;
    ol:produces :engineered .
:engineered a ol:Dataset .
"""
)


def variant(base: str, old: str = "", new: str = "") -> Graph:
    """``base`` with ``old`` (which must occur once) replaced by ``new``, parsed."""
    assert not old or base.count(old) == 1, f"{old!r} must occur once"
    return Graph().parse(data=base.replace(old, new), format="turtle")


def coded(old: str = "", new: str = "") -> Graph:
    return variant(CODED, old, new)


def test_a_code_step_conforms(validate) -> None:
    conforms, results = validate(coded())
    assert conforms, results


CODE_CASES = {
    "no output kind": ('ol:outputKind "dataset" ;', "", OL.outputKind, "add the kind"),
    "unknown output kind": (
        '"dataset" ;\n    ol:req',
        '"table" ;\n    ol:req',
        OL.outputKind,
        "add the kind",
    ),
    "function with a path": (
        '"features:add_ratios"',
        '"os.path:join()"',
        OL.function,
        "write e.g.",
    ),
    "script outside the folder": (
        'ol:function "features:add_ratios"',
        'ol:script "../x.py"',
        OL.script,
        "write e.g.",
    ),
    "no function or script": (
        'ol:function "features:add_ratios" ;',
        "",
        None,
        'add ol:function "module:function"',
    ),
    "two step classes": (
        ":features a ol:CodeStep ;",
        ':features a ol:CodeStep, ol:ModelBuilding ; ol:estimator "SVC" ;',
        RDF.type,
        "remove the other rdf:type",
    ),
}


@pytest.mark.parametrize("case", CODE_CASES.values(), ids=CODE_CASES.keys())
def test_a_wrong_code_step_is_rejected_with_the_fix(case: tuple, validate) -> None:
    old, new, path, fix = case
    conforms, results = validate(coded(old, new))
    assert not conforms
    ours = [r for r in results if r.focus == EX.features and r.path == path]
    assert ours, results
    assert fix in split_message(ours[0].message)[1], ours[0].message


# A data validation step between extract and process (ol:DataValidation).
CHECKED = (
    TINY.replace("ol:hasStep :extract, :process,", "ol:hasStep :extract, :check, :process,")
    + """
:check a ol:DataValidation ;
    ol:consumes :raw ;
    ol:minRows 100 ;
    ol:maxRows 1000 ;
    ol:maxMissingRate 0.05 ;
    ol:expectColumn :petal, :species ;
    ol:referenceModel "iris-build" ;
    ol:referenceAlias "champion" ;
    ol:referenceTolerance 0.1 ;
    ol:produces :data_report .
:petal ol:columnName "petal length (cm)" ; ol:columnType "number" ;
    ol:minValue 0 ; ol:maxValue 10 ; ol:maxMissingRate 0.0 .
:species ol:columnName "target" ; ol:allowedValue 0, 1, 2 ; ol:columnRequired true .
:data_report a ol:DataValidationReport .
"""
)


def test_a_data_validation_step_conforms(validate) -> None:
    conforms, results = validate(variant(CHECKED))
    assert conforms, results


CHECK_CASES = {
    "unknown column type": (
        'ol:columnType "number"',
        'ol:columnType "decimal"',
        EX.petal,
        OL.columnType,
        'use one of "integer", "number", "string", "boolean" or "datetime"',
    ),
    "column min above max": (
        "ol:minValue 0 ; ol:maxValue 10",
        "ol:minValue 20 ; ol:maxValue 10",
        EX.petal,
        OL.minValue,
        "change one of them",
    ),
    "negative missing rate": (
        "ol:maxMissingRate 0.0 .",
        "ol:maxMissingRate -0.1 .",
        EX.petal,
        OL.maxMissingRate,
        "write e.g. ol:maxMissingRate 0.05",
    ),
    "missing rate above one on the step": (
        "ol:maxMissingRate 0.05 ;",
        "ol:maxMissingRate 1.5 ;",
        EX.check,
        OL.maxMissingRate,
        "write e.g. ol:maxMissingRate 0.05",
    ),
    "min rows above max rows": (
        "ol:minRows 100 ;",
        "ol:minRows 5000 ;",
        EX.check,
        OL.minRows,
        "change one of them",
    ),
    "quoted bound": (
        "ol:minValue 0 ;",
        'ol:minValue "0" ;',
        EX.petal,
        OL.minValue,
        "write it unquoted",
    ),
    "no column name": (
        ':petal ol:columnName "petal length (cm)" ;',
        ":petal",
        EX.petal,
        OL.columnName,
        'add e.g. ol:columnName "age"',
    ),
    "version and alias": (
        'ol:referenceAlias "champion" ;',
        'ol:referenceAlias "champion" ; ol:referenceVersion 2 ;',
        EX.check,
        None,
        "keep one",
    ),
    "alias without a model": (
        'ol:referenceModel "iris-build" ;',
        "",
        EX.check,
        None,
        'add ol:referenceModel "my-model"',
    ),
    "reference model that is a path": (
        '"iris-build"',
        '"../../etc/passwd"',
        EX.check,
        OL.referenceModel,
        "write e.g.",
    ),
    "two tables checked": (
        ":check a ol:DataValidation ;\n    ol:consumes :raw ;",
        ":check a ol:DataValidation ;\n    ol:consumes :raw, :splits ;",
        EX.check,
        OL.consumes,
        "add one ol:consumes",
    ),
    "two step classes": (
        ":check a ol:DataValidation ;",
        ":check a ol:DataValidation, ol:DataExploration ;",
        EX.check,
        RDF.type,
        "remove the other rdf:type",
    ),
}


@pytest.mark.parametrize("case", CHECK_CASES.values(), ids=CHECK_CASES.keys())
def test_a_wrong_data_validation_step_is_rejected_with_the_fix(case: tuple, validate) -> None:
    old, new, focus, path, fix = case
    conforms, results = validate(variant(CHECKED, old, new))
    assert not conforms
    fixes = [split_message(r.message)[1] for r in results if r.focus == focus and r.path == path]
    assert any(fix in found for found in fixes), results
