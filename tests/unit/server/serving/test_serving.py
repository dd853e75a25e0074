"""In-process serving: payload formats, the schema check, predictions equal to scikit-learn's.

The model bundles are built with the executor's own preprocessing and bundle code on small
frames, so no run is needed: a mixed numeric/categorical classifier with imputation, the same
without imputation, and a regressor.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from executor.phases.build import model_bundle
from executor.phases.process import make_preprocessor
from server.errors import CorruptArtifact, ModelArtifactError, ServingInputError
from server.serving.loaded_model import LoadedModel, ModelCache

FEATURES = ["size", "weight", "colour"]


def training_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    size = rng.normal(10, 2, 80)
    weight = rng.normal(50, 5, 80)
    colour = np.where(rng.random(80) > 0.5, "red", "green").astype(object)
    label = np.where(size + (colour == "red") * 2 > 11, "big", "small")
    return pd.DataFrame({"size": size, "weight": weight, "colour": colour, "label": label})


def write_bundle(path: Path, estimator: Any, imputation: str, target: str) -> Path:
    frame = training_frame()
    frame["amount"] = frame["size"] * 3 + frame["weight"]
    task = "regression" if target == "amount" else "classification"
    features = FEATURES
    preprocessor = make_preprocessor(
        ["size", "weight"],
        ["colour"],
        {"imputation": imputation, "scaling": "standard", "one_hot_encoding": True},
    )
    pipeline = Pipeline([("preprocess", clone(preprocessor)), ("estimator", estimator)])
    pipeline.fit(frame[features], frame[target])
    splits = {
        "task": task,
        "target": target,
        "feature_columns": features,
        "feature_dtypes": {c: str(frame[c].dtype) for c in features},
        "classes": sorted(frame[target].unique().tolist()) if task == "classification" else None,
    }
    provenance = {"model_name": f"toy-{task}", "feature_columns": features}
    joblib.dump(model_bundle(pipeline, splits, provenance), path)
    return path


@pytest.fixture(scope="module")
def classifier_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "classifier.joblib"
    return write_bundle(path, LogisticRegression(), "median", "label")


@pytest.fixture(scope="module")
def classifier(classifier_path: Path) -> LoadedModel:
    return LoadedModel.load(classifier_path)


@pytest.fixture(scope="module")
def strict_classifier(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    """No imputation: a missing value cannot be filled in."""
    path = tmp_path_factory.mktemp("models") / "strict.joblib"
    return LoadedModel.load(write_bundle(path, LogisticRegression(), "none", "label"))


@pytest.fixture(scope="module")
def regressor(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    path = tmp_path_factory.mktemp("models") / "regressor.joblib"
    return LoadedModel.load(write_bundle(path, Ridge(), "median", "amount"))


ROWS = [
    {"size": 9.5, "weight": 48.0, "colour": "red"},
    {"size": 14, "weight": 55.5, "colour": "green"},
    {"size": 7.25, "weight": 61.0, "colour": "green"},
]


def as_split(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    return {
        "dataframe_split": {"columns": columns, "data": [[r[c] for c in columns] for r in rows]}
    }


def test_loaded_model_exposes_name_task_columns_and_classes(classifier: LoadedModel) -> None:
    assert classifier.name == "toy-classification"
    assert classifier.task == "classification"
    assert classifier.feature_columns == FEATURES
    assert classifier.classes == ["big", "small"]


def test_records_predictions_and_probabilities_match_sklearn(
    classifier: LoadedModel, classifier_path: Path
) -> None:
    pipeline = joblib.load(classifier_path)["pipeline"]
    answer = classifier.predict({"dataframe_records": ROWS})
    frame = pd.DataFrame(ROWS)[FEATURES]
    assert answer["predictions"] == pipeline.predict(frame).tolist()
    np.testing.assert_allclose(answer["probabilities"], pipeline.predict_proba(frame))
    assert answer["classes"] == pipeline.classes_.tolist() == ["big", "small"]
    assert answer["model"] == {"name": "toy-classification"}


def test_split_records_alias_and_single_input_agree(classifier: LoadedModel) -> None:
    expected = classifier.predict({"dataframe_records": ROWS})
    reordered = ["colour", "weight", "size"]  # any column order
    assert classifier.predict(as_split(ROWS, reordered)) == expected
    assert classifier.predict({"records": ROWS}) == expected
    single = classifier.predict({"inputs": ROWS[1]})
    assert single["predictions"] == expected["predictions"][1:2]
    assert single["probabilities"] == expected["probabilities"][1:2]


def test_regressor_predicts_numbers_without_probabilities(regressor: LoadedModel) -> None:
    answer = regressor.predict({"dataframe_records": ROWS})
    assert set(answer) == {"predictions", "model"}
    assert all(isinstance(p, float) for p in answer["predictions"])
    # amount = 3 * size + weight exactly, so a ridge fit is close to it.
    np.testing.assert_allclose(answer["predictions"][0], 3 * 9.5 + 48.0, rtol=0.05)


def test_missing_values_are_allowed_where_the_pipeline_imputes(classifier: LoadedModel) -> None:
    rows = [{"size": None, "weight": 50.0, "colour": None}]
    answer = classifier.predict({"dataframe_records": rows})
    assert answer["predictions"][0] in ("big", "small")
    assert all(c.nullable for c in classifier.columns)


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_value_is_refused_where_nothing_imputes(
    strict_classifier: LoadedModel, value: Any
) -> None:
    rows = [ROWS[0], {**ROWS[1], "weight": value}]
    with pytest.raises(ServingInputError, match='row 1, field "weight": a value is required'):
        strict_classifier.predict({"dataframe_records": rows})


@pytest.mark.parametrize(
    ("payload", "message", "field", "row"),
    [
        (
            {"dataframe_records": [ROWS[0], {"size": 1.0, "colour": "red"}]},
            'row 1: missing field "weight"',
            "weight",
            1,
        ),
        (
            {"dataframe_records": [{**ROWS[0], "height": 3}]},
            'row 0: unknown field "height"',
            "height",
            0,
        ),
        (
            {"dataframe_records": [ROWS[0], ROWS[1], ROWS[2], {**ROWS[0], "size": "abc"}]},
            'row 3, field "size": expected a number, got "abc"',
            "size",
            3,
        ),
        (
            {"dataframe_records": [{**ROWS[0], "weight": True}]},
            'row 0, field "weight": expected a number, got true',
            "weight",
            0,
        ),
        (
            {"dataframe_records": [{**ROWS[0], "weight": [1, 2]}]},
            'row 0, field "weight": expected a number, got \\[1, 2\\]',
            "weight",
            0,
        ),
        (
            {"dataframe_records": [{**ROWS[0], "colour": 7}]},
            'row 0, field "colour": expected a string, got 7',
            "colour",
            0,
        ),
        (
            {"dataframe_records": [{**ROWS[0], "size": float("inf")}]},
            'row 0, field "size": expected a finite number',
            "size",
            0,
        ),
        ({"dataframe_records": []}, '"dataframe_records" is empty', "dataframe_records", None),
        ({"inputs": "x"}, '"inputs" must be a list of objects', "inputs", None),
        ({"dataframe_records": [3]}, "row 0: expected an object", None, 0),
        ({"rows": ROWS}, 'exactly one of .*; got "rows"', "rows", None),
        ({}, "got an empty object", None, None),
        (
            {"dataframe_split": {"columns": ["size", "weight"], "data": [[1.0, 2.0]]}},
            'missing field "colour"',
            "colour",
            None,
        ),
        (
            {"dataframe_split": {"columns": FEATURES, "data": [[1.0, 2.0, "red"], [1.0]]}},
            "row 1: expected a list of 3 values",
            None,
            1,
        ),
        (
            {"dataframe_split": {"columns": [*FEATURES, "size"], "data": [[1, 2, "a", 1]]}},
            'names "size" more than once',
            "size",
            None,
        ),
        ({"dataframe_split": {"columns": FEATURES, "data": []}}, "non-empty list", "data", None),
    ],
    ids=[
        "missing-field",
        "unknown-field",
        "string-in-numeric",
        "boolean-in-numeric",
        "list-in-numeric",
        "number-in-categorical",
        "infinity",
        "empty-batch",
        "records-not-a-list",
        "row-not-an-object",
        "unknown-format",
        "empty-body",
        "split-missing-column",
        "split-short-row",
        "split-duplicate-column",
        "split-empty",
    ],
)
def test_bad_payloads_name_the_row_and_field(
    classifier: LoadedModel, payload: dict, message: str, field: str | None, row: int | None
) -> None:
    with pytest.raises(ServingInputError, match=message) as caught:
        classifier.predict(payload)
    problem = caught.value.to_problem()
    assert problem["status"] == 400
    assert problem.get("field") == field
    assert problem.get("row") == row


def test_input_schema_lists_columns_types_and_nullability(strict_classifier: LoadedModel) -> None:
    schema = strict_classifier.input_schema()
    assert schema["task"] == "classification"
    assert schema["target"] == "label"
    assert schema["classes"] == ["big", "small"]
    assert [c["name"] for c in schema["columns"]] == FEATURES
    assert schema["columns"][0] == {
        "name": "size",
        "type": "number",
        "dtype": "float64",
        "nullable": False,
    }
    assert schema["columns"][2]["type"] == "string"
    record = schema["record_schema"]
    assert record["required"] == FEATURES and record["additionalProperties"] is False
    assert record["properties"]["weight"] == {"type": "number"}
    assert "dataframe_split" in schema["formats"]


def test_version_given_at_load_is_reported(classifier_path: Path) -> None:
    model = LoadedModel.load(classifier_path, version=4)
    assert model.predict({"inputs": ROWS[0]})["model"] == {
        "name": "toy-classification",
        "version": 4,
    }


def test_a_changed_artifact_is_refused(classifier_path: Path) -> None:
    with pytest.raises(CorruptArtifact, match="does not match its checksum"):
        LoadedModel.load(classifier_path, sha256="0" * 64)


def write_artifact(path: Path, content: Any) -> Path:
    """A model artifact at ``path`` holding ``content``: bytes as they are, else joblib's dump
    of it (the format of a model artifact), whatever it holds."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        joblib.dump(content, path)
    return path


def unfitted_bundle() -> dict[str, Any]:
    pipeline = Pipeline([("estimator", LogisticRegression())])
    return {"pipeline": pipeline, "feature_columns": FEATURES, "task": "classification"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a pickle at all", r"cannot unpickle the model artifact .*rerun the experiment"),
        (["a", "list"], r"holds a list, not an Ontolab model bundle; load the model output"),
        ({"feature_columns": FEATURES}, r"not an Ontolab model bundle \(missing 'pipeline'\)"),
        (unfitted_bundle(), r"not a fitted scikit-learn estimator .*rerun the experiment"),
    ],
    ids=["not-a-pickle", "not-a-dict", "no-pipeline", "unfitted"],
)
def test_an_unusable_artifact_is_a_model_artifact_error_not_a_404(
    tmp_path: Path, content: Any, message: str
) -> None:
    path = write_artifact(tmp_path / "model.joblib", content)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ModelArtifactError, match=message) as caught:
        LoadedModel.load(path, sha256=sha256)
    assert caught.value.status == 500
    assert caught.value.to_problem()["title"] == "Model artifact unusable"


def test_cache_keeps_the_most_recently_used_models(classifier_path: Path, tmp_path: Path) -> None:
    other = write_bundle(tmp_path / "other.joblib", Ridge(), "median", "amount")
    first_sha, other_sha = (
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (classifier_path, other)
    )
    cache = ModelCache(capacity=1)
    first = cache.get(first_sha, classifier_path)
    assert cache.get(first_sha, classifier_path) is first
    second = cache.get(other_sha, other)
    assert second.task == "regression" and len(cache) == 1
    assert cache.get(first_sha, classifier_path) is not first, "evicted, so loaded again"
