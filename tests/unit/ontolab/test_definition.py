"""The SDK's Experiment builder emits the RDF the examples hold (rdflib only judges it)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from ontolab import Experiment
from ontolab.definition import literal, ol_name
from tests.conftest import EXAMPLES
from tests.unit.ontolab.builders import example, iris_experiment

OL = "https://w3id.org/ontolab/ns#"


def _graph(experiment: Experiment) -> Graph:
    return Graph().parse(data=experiment.to_turtle(), format="turtle")


def test_iris_built_in_python_is_isomorphic_to_the_example() -> None:
    assert isomorphic(_graph(iris_experiment()), Graph().parse(EXAMPLES / "iris.ttl"))


def test_wine_two_models_with_hyperparameters_is_isomorphic_to_the_example() -> None:
    wine = (
        example(
            "wine",
            "Wine cultivar: two models compared",
            "Predicts the cultivar of a wine from its chemical analysis; a logistic regression "
            "and a random forest are fitted on the same split and validated separately.",
        )
        .extract(source="sklearn:wine", target_column="target", produces="raw")
        .process(
            imputation="median",
            scaling="standard",
            test_size=0.25,
            random_seed=42,
            stratify=True,
            produces="splits",
        )
    )
    # Two build steps that differ only in their estimator and its hyperparameters.
    for name, estimator, hyperparameters in [
        ("logreg", "LogisticRegression", {"max_iter": 2000}),
        ("forest", "RandomForestClassifier", {"n_estimators": 100}),
    ]:
        wine = wine.step(
            f"build_{name}",
            "build",
            consumes="splits",
            estimator=estimator,
            model_name=f"wine-{name}",
            random_seed=42,
            hyperparameters=hyperparameters,
            produces=f"model_{name}",
        )
    wine = wine.validate(
        "validate_logreg",
        consumes=["model_logreg", "splits"],
        thresholds={"accuracy": 0.85},
        produces="report_logreg",
    ).validate(
        "validate_forest",
        consumes=["build_forest", "process"],  # step ids stand for their outputs
        thresholds={"accuracy": {"min": 0.85}},
        produces="report_forest",
    )
    assert isomorphic(_graph(wine), Graph().parse(EXAMPLES / "wine.ttl"))


def test_breast_cancer_with_resources_is_isomorphic_to_the_example() -> None:
    expected = Graph().parse(EXAMPLES / "breast_cancer.ttl")
    comment = str(
        next(expected.objects(None, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")))
    )
    built = (
        example("breast_cancer", "Breast cancer diagnosis", comment)
        .extract(source="sklearn:breast_cancer", target_column="target", produces="raw")
        .explore(produces="profile")
        .process(
            imputation="median",
            scaling="standard",
            one_hot_encoding=True,
            test_size=0.25,
            random_seed=42,
            stratify=True,
            produces="splits",
        )
        .build(
            estimator="LogisticRegression",
            model_name="breast-cancer-classifier",
            random_seed=42,
            hyperparameters={"C": 1.0, "max_iter": 1000},
            resources={"cpus": 1.0, "memory": "1g", "timeout_seconds": 300},
            produces="model",
        )
        .validate(thresholds={"accuracy": 0.9}, produces="report")
    )
    assert isomorphic(_graph(built), expected)


def test_defaults_outputs_named_after_steps_and_phase_wiring() -> None:
    graph = _graph(
        Experiment("tiny", task="regression")
        .extract(source="sklearn:diabetes", target_column="target")
        .process()
        .build(estimator="Ridge")
        .validate(thresholds={"rmse": 70, "r2": 0.1})
    )
    ns = "https://w3id.org/ontolab/experiments/tiny#"
    consumed = set(graph.objects(URIRef(ns + "validate"), URIRef(OL + "consumes")))
    assert consumed == {URIRef(ns + "build_output"), URIRef(ns + "process_output")}
    assert (URIRef(ns + "build_output"), RDF.type, URIRef(OL + "Model")) in graph
    bounds = {
        str(graph.value(t, URIRef(OL + "metricName"))): {
            str(p).rsplit("#", 1)[-1] for p in graph.predicates(t) if "Value" in str(p)
        }
        for t in graph.objects(URIRef(ns + "validate"), URIRef(OL + "threshold"))
    }
    assert bounds == {"rmse": {"maxValue"}, "r2": {"minValue"}}  # a bare number: its direction


def test_literals_are_typed_as_the_examples_write_them() -> None:
    assert literal(0.3) == "0.3" and literal(1e-05) == "0.00001" and literal(2.0) == "2.0"
    assert literal(42) == "42" and literal(True) == "true"
    assert literal('say "hi"\n') == '"say \\"hi\\"\\n"'
    graph = _graph(
        Experiment("t", task="classification")
        .extract(source="sklearn:iris", target_column="target")
        .process()
        .build(estimator="SVC", hyperparameters={"gamma": None, "class_weight": {"0": 2}})
    )
    values = set(graph.objects(None, URIRef(OL + "parameterValue")))
    assert Literal("null", datatype=RDF.JSON) in values
    assert next(graph.objects(None, URIRef(OL + "testSize")), None) is None
    assert Literal("0.3", datatype=XSD.decimal) == Literal(0.3, datatype=XSD.decimal)
    assert (
        ol_name("timeout_seconds") == "timeoutSeconds" and ol_name("targetColumn") == "targetColumn"
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda e: e.step("x", "train"), "unknown phase 'train'; use one of extract"),
        (lambda e: e.extract().extract(), "has a step 'extract' already"),
        (lambda e: e.step("a b", "extract"), "step id 'a b' must be"),
        (lambda e: e.step("v", "validate", consumes="model").to_turtle(), "consumes 'model'"),
        (lambda e: e.extract(depends_on="later").to_turtle(), "depends on 'later'"),
        (lambda e: e.to_turtle(), "has no steps"),
        (lambda e: e.extract(produces="a b"), "output name 'a b' must be"),
        (lambda e: e.extract(produces="x").explore(produces="x").to_turtle(), "both named 'x'"),
        (lambda e: e.extract(produces="process").process().to_turtle(), "both named 'process'"),
        (lambda e: e.step("experiment", "extract").to_turtle(), "named 'experiment'"),
        (lambda e: e.validate(thresholds={"f1": {"least": 1}}), "threshold of 'f1'"),
        (lambda e: e.extract(source=object()).to_turtle(), "cannot write"),
    ],
)
def test_mistakes_are_named_with_the_fix(build: object, message: str) -> None:
    experiment = Experiment("e", task="classification")
    with pytest.raises((ValueError, TypeError), match=message):
        build(experiment)  # type: ignore[operator]


def test_an_experiment_id_is_checked() -> None:
    with pytest.raises(ValueError, match="experiment id 'no/slash'"):
        Experiment("no/slash", task="classification")


def test_a_data_validation_step_built_in_python_is_isomorphic_to_the_example() -> None:
    checked = (
        example(
            "wine_checked",
            "Wine cultivar with data validation",
            "Checks the wine data against declared expectations, then fits a random forest on "
            "it; the run fails before training if the data does not meet them.",
        )
        .extract(source="sklearn:wine", target_column="target", produces="raw")
        .check(
            min_rows=100,
            max_rows=100000,
            max_missing_rate=0.01,
            columns=[
                {"name": "alcohol", "type": "number", "min": 10, "max": 16},
                {"name": "magnesium", "type": "integer", "min": 50},
                {"name": "proline", "type": "number", "min": 0, "max_missing_rate": 0.0},
                {"name": "target", "allowed": [0, 1, 2]},
                {"name": "vintage", "required": False, "type": "integer"},
            ],
            produces="data_report",
        )
        .process(consumes="raw", test_size=0.25, random_seed=42, stratify=True, produces="splits")
        .build(
            estimator="RandomForestClassifier",
            model_name="wine-checked-forest",
            random_seed=42,
            hyperparameters={"n_estimators": 100},
            produces="model",
        )
        .validate(thresholds={"accuracy": 0.85}, produces="report")
    )
    assert isomorphic(_graph(checked), Graph().parse(EXAMPLES / "wine_checked.ttl"))
    with pytest.raises(ValueError, match="give a name and only name, type"):
        Experiment("x", task="classification").extract(source="sklearn:iris").check(
            columns=[{"name": "a", "maximum": 1}]
        )
