"""The estimator allow-list: ONTOLAB_ESTIMATORS checked at settings load, each entry's task from
its class, the shapes' sh:in lists rewritten from it, and names refused by SHACL without any
import."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.collection import Collection
from rdflib.namespace import SH

from executor.contract import SKLEARN_ESTIMATORS
from ontology import SHAPES_FILE
from server import definitions
from server.definitions.estimators import (
    AllowList,
    allow_list,
    estimator_defaults,
    for_settings,
    shapes_with,
)
from server.definitions.validation import shapes_graph
from server.errors import ConfigError, DefinitionError
from server.graph.namespaces import OL
from server.platform import open_platform
from server.settings import Settings

LIGHTGBM = ("lightgbm:LGBMClassifier", "lightgbm:LGBMRegressor")
# Modules on disk that nothing here imports: a name that smuggles them in must not load them.
UNLOADED = ("tabnanny", "sklearn.semi_supervised")

PREFIXES = """
@prefix ol: <https://w3id.org/ontolab/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix : <https://example.org/learners#> .
"""


def definition(estimator: str, task: str = "classification") -> str:
    source = "sklearn:iris" if task == "classification" else "sklearn:diabetes"
    return (
        PREFIXES
        + f"""
:experiment a ol:Experiment ; dcterms:identifier "learners" ; ol:task "{task}" ;
    ol:hasStep :extract, :process, :build .
:extract a ol:DataExtraction ; ol:source "{source}" ; ol:targetColumn "target" ;
    ol:produces :raw .
:process a ol:DataProcessing ; ol:consumes :raw ; ol:produces :splits .
:build a ol:ModelBuilding ; ol:consumes :splits ; ol:estimator "{estimator}" ;
    ol:produces :model .
:raw a ol:Dataset . :splits a ol:Dataset . :model a ol:Model .
"""
    )


def load(value: object) -> Settings:
    return Settings.load({"estimators": value}, environ={})


# --- ONTOLAB_ESTIMATORS ----------------------------------------------------------------------


def test_by_default_lightgbm_is_added_when_installed() -> None:
    entries = Settings.load(environ={}).estimator_entries

    assert entries[:2] == LIGHTGBM
    assert ("xgboost:XGBClassifier" in entries) == (importlib.util.find_spec("xgboost") is not None)


def test_entries_come_from_the_environment_or_a_toml_list() -> None:
    from_env = Settings.load(environ={"ONTOLAB_ESTIMATORS": " lightgbm:LGBMClassifier , "})

    assert from_env.estimator_entries == ("lightgbm:LGBMClassifier",)
    assert load(list(LIGHTGBM)).estimator_entries == LIGHTGBM
    assert load("none").estimator_entries == ()
    assert load([]).estimator_entries == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("os.system", r"ONTOLAB_ESTIMATORS: 'os.system' is not module:ClassName"),
        ("lightgbm:LGBMClassifier.__init__", "is not module:ClassName .*fix the entry"),
        ("sklearn.svm:__class__", "no __dunder__ parts"),
        ("__import__:os", "is not module:ClassName"),
        ("no_such_library_here:Model", "module 'no_such_library_here' is not installed; install"),
        (
            "lightgbm:LGBMClassifier,lightgbm.sklearn:LGBMClassifier",
            "names LGBMClassifier twice .*keep one of them",
        ),
        ("sklearn.svm:SVC", "has the name of scikit-learn's SVC.*remove the entry"),
        ([1], "must list module:ClassName strings"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_variable(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(value)


def test_an_entry_that_is_no_estimator_stops_the_platform(tmp_path: Path) -> None:
    settings = Settings.load({"data": tmp_path, "estimators": "lightgbm:NoSuchModel"}, environ={})

    with pytest.raises(ConfigError, match="'lightgbm:NoSuchModel' cannot be loaded"):
        open_platform(settings, serve_deployments=False)
    assert not (tmp_path / "store").exists(), "refused before the store was opened"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("sklearn.preprocessing:StandardScaler", "is not a class with fit and predict"),
        ("sklearn.cluster:KMeans", "is neither a classifier nor a regressor"),
    ],
)
def test_an_entry_must_be_a_classifier_or_a_regressor(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"ONTOLAB_ESTIMATORS entry '{entry}' {message}"):
        allow_list((entry,))


# --- the allow-list --------------------------------------------------------------------------


def test_each_entrys_task_comes_from_its_class() -> None:
    allowed = allow_list(LIGHTGBM)

    assert allowed.names("classification")[-1] == "LGBMClassifier"
    assert allowed.names("regression")[-1] == "LGBMRegressor"
    assert allowed.resolve("LGBMRegressor", "regression").entry == "lightgbm:LGBMRegressor"
    assert allowed.resolve("SVC", "classification").entry == "sklearn.svm:SVC"


def test_resolving_a_name_of_the_other_task_says_what_to_write() -> None:
    with pytest.raises(DefinitionError, match="'LGBMClassifier' is a classification estimator; "):
        allow_list(LIGHTGBM).resolve("LGBMClassifier", "regression")
    with pytest.raises(DefinitionError, match="not in the allow-list; .*ONTOLAB_ESTIMATORS"):
        allow_list(()).resolve("LGBMClassifier", "classification")


# --- the shapes ------------------------------------------------------------------------------


def estimator_lists(shapes: Graph) -> list[list[str]]:
    return [
        [str(v) for v in Collection(shapes, shapes.value(prop, SH["in"]))]
        for prop in shapes.subjects(SH.path, OL.estimator)
        if shapes.value(prop, SH["in"]) is not None
    ]


def test_shapes_ttl_lists_scikit_learns_estimators() -> None:
    lists = estimator_lists(Graph().parse(SHAPES_FILE))
    every = list(SKLEARN_ESTIMATORS)

    assert sorted(map(sorted, lists)) == sorted(
        [
            sorted(every),  # the allow-list shape's
            sorted(every),  # "reported by other shapes already" in EstimatorFitsTaskShape
            sorted(n for n in every if SKLEARN_ESTIMATORS[n][1] == "classification"),
            sorted(n for n in every if SKLEARN_ESTIMATORS[n][1] == "regression"),
        ]
    )


def test_the_shapes_carry_the_allow_list() -> None:
    shapes = shapes_graph(allow_list(LIGHTGBM))
    lists = estimator_lists(shapes)

    assert len(lists) == 4
    assert sum("LGBMClassifier" in names for names in lists) == 3
    assert sum("LGBMRegressor" in names for names in lists) == 3
    messages = [str(m) for m in shapes.objects(None, SH.message) if "allow-list" in str(m)]
    assert any("LGBMClassifier" in m and "ONTOLAB_ESTIMATORS" in m for m in messages)


def test_shapes_with_other_lists_are_refused() -> None:
    shapes = Graph().parse(SHAPES_FILE)
    text = shapes.serialize(format="turtle").replace('"SVR"', '"SVM"', 1)

    with pytest.raises(ConfigError, match="keep shapes.ttl's lists as scikit-learn's defaults"):
        shapes_with(Graph().parse(data=text, format="turtle"), allow_list(()))


# --- validation: by name, nothing imported ---------------------------------------------------


def test_a_configured_estimator_validates_only_where_it_is_allowed() -> None:
    graph = definitions.parse(definition("LGBMClassifier"))

    definitions.validate(graph, estimators=allow_list(LIGHTGBM))
    with pytest.raises(DefinitionError, match="ol:estimator is not in the allow-list"):
        definitions.validate(graph, estimators=allow_list(()))


def test_a_classifier_in_a_regression_experiment_is_refused() -> None:
    graph = definitions.parse(definition("LGBMClassifier", task="regression"))

    with pytest.raises(DefinitionError, match="does not fit the experiment's ol:task"):
        definitions.validate(graph, estimators=allow_list(LIGHTGBM))


#: Names a definition might use to reach past the allow-list: each is refused by name.
TRICK_NAMES = [
    "os.system",
    "sklearn.svm.SVC.__class__",
    "__import__",
    "LGBMClassifier.__init__",
    "lightgbm:LGBMClassifier",
    "sklearn.semi_supervised.LabelSpreading",
    "tabnanny.NannyNag",
]


@pytest.mark.parametrize(
    "name",
    [*TRICK_NAMES, "tabnanny:NannyNag"],
)
def test_a_trick_name_is_refused_without_importing_anything(name: str) -> None:
    allowed: AllowList = allow_list(LIGHTGBM)
    assert not any(module in sys.modules for module in UNLOADED)

    with pytest.raises(DefinitionError, match="not in the allow-list; use one of") as caught:
        definitions.validate(definitions.parse(definition(name)), estimators=allowed)

    assert "LGBMClassifier" in str(caught.value)
    assert not any(module in sys.modules for module in UNLOADED)


def test_a_default_entry_that_does_not_load_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    allowed = allow_list(("lightgbm:NoSuchModel", *LIGHTGBM), optional=True)

    assert "NoSuchModel" not in allowed.names()
    assert "LGBMClassifier" in allowed.names()
    assert "left out of the allow-list" in caplog.text


def test_the_settings_allow_list_is_strict_only_for_configured_entries() -> None:
    assert "LGBMClassifier" in for_settings(Settings.load(environ={})).names()
    assert for_settings(load("none")).names() == list(SKLEARN_ESTIMATORS)


def test_defaults_of_an_allowed_estimator_by_its_recorded_name() -> None:
    allowed = allow_list(())
    by_class = estimator_defaults(allowed, "LogisticRegression")
    assert by_class["C"] == 1.0 and by_class["max_iter"] == 100
    assert estimator_defaults(allowed, "sklearn.linear_model.LogisticRegression") == by_class
    assert estimator_defaults(allowed, "os.system") == {}, "only allow-listed classes are made"
    assert estimator_defaults(allowed, "NoSuchModel") == {}
