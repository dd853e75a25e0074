from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from executor.contract import MEDIA_TYPES, ArtifactRef
from executor.errors import InputError, ParameterError

if TYPE_CHECKING:
    from conftest import Steps

CLASSIFICATION = {"task": "classification"}


def build(**parameters: Any) -> dict[str, Any]:
    return {**CLASSIFICATION, "model_name": "test-model", **parameters}


def load(steps: Steps, ref: ArtifactRef) -> dict[str, Any]:
    return joblib.load(steps.path(ref))


def test_the_model_is_a_pipeline_with_its_provenance(
    steps: Steps, iris_splits: ArtifactRef
) -> None:
    parameters = build(estimator="LogisticRegression", hyperparameters={"C": 2.0})
    result = steps.ok("build", parameters, splits=iris_splits)

    assert result.outputs["model"].media_type == MEDIA_TYPES["model"]
    model = load(steps, result.outputs["model"])
    pipeline = model["pipeline"]
    assert isinstance(pipeline, Pipeline)
    assert list(pipeline.named_steps) == ["preprocess", "estimator"]
    assert model["task"] == "classification"
    assert model["target"] == "target"
    assert model["classes"] == [0, 1, 2]
    assert model["estimator"] == "LogisticRegression"
    assert model["serialization_format"] == "joblib"
    assert model["model_name"] == "test-model"
    assert set(model["library_versions"]) >= {"scikit-learn", "numpy", "pandas", "python"}
    # What an export pins besides: scikit-learn's solvers and the Parquet the steps exchange.
    assert set(model["library_versions"]) >= {"scipy", "pyarrow"}
    assert model["hyperparameters"]["C"] == 2.0
    assert model["hyperparameters"]["random_state"] == 42


def test_the_summary_describes_the_fitted_estimator(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(estimator="RandomForestClassifier", hyperparameters={"n_estimators": 10})
    result = steps.ok("build", parameters, splits=iris_splits)

    summary = result.summary
    assert summary["estimator"] == "RandomForestClassifier"
    assert summary["estimator_class"] == "sklearn.ensemble.RandomForestClassifier"
    assert summary["hyperparameters"]["n_estimators"] == 10
    assert summary["hyperparameters"]["random_state"] == 42
    assert all(
        value is None or isinstance(value, bool | int | float | str)
        for value in summary["hyperparameters"].values()
    )
    assert summary["target_column"] == "target"
    assert len(summary["feature_columns"]) == 4
    assert summary["serialization_format"] == "joblib"
    assert "best_params" not in summary
    assert result.parameters == {
        "estimator": "RandomForestClassifier",
        "hyperparameters": {"n_estimators": 10},
        "random_seed": 42,
        "model_name": "test-model",
    }


def test_a_given_random_state_wins_over_the_seed(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(
        estimator="DecisionTreeClassifier", hyperparameters={"random_state": 3}, random_seed=9
    )
    result = steps.ok("build", parameters, splits=iris_splits)

    assert result.summary["hyperparameters"]["random_state"] == 3


def test_the_model_predicts_raw_rows_with_gaps_and_unseen_categories(
    steps: Steps, mixed_splits: ArtifactRef
) -> None:
    ref = steps.output("build", build(estimator="LogisticRegression"), splits=mixed_splits)

    pipeline = load(steps, ref)["pipeline"]
    raw = pd.DataFrame(
        {
            "size": [np.nan, 12.0, 8.0],
            "weight": [50.0, np.nan, 10.0],
            "colour": ["purple", np.nan, "red"],
            "flag": [True, np.nan, False],
        },
    ).astype({"colour": object, "flag": object})
    assert set(pipeline.predict(raw)) <= {"yes", "no"}
    assert pipeline.predict_proba(raw).shape == (3, 2)


def test_a_regressor_fits_the_diabetes_splits(steps: Steps, diabetes_splits: ArtifactRef) -> None:
    parameters = {"task": "regression", "estimator": "Ridge", "hyperparameters": {"alpha": 0.5}}
    result = steps.ok("build", parameters, splits=diabetes_splits)

    model = load(steps, result.outputs["model"])
    assert "classes" not in model
    assert model["pipeline"].named_steps["estimator"].alpha == 0.5
    assert result.summary["model_name"] == "build"


def test_a_grid_search_picks_one_of_the_candidates(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(
        estimator="DecisionTreeClassifier",
        search_strategy="grid",
        search_space={"max_depth": [1, 3], "criterion": ["gini", "entropy"]},
        search_folds=3,
    )
    result = steps.ok("build", parameters, splits=iris_splits)

    summary = result.summary
    assert summary["candidates"] == 4
    assert summary["best_params"]["max_depth"] == 3
    assert summary["best_params"]["criterion"] in ("gini", "entropy")
    assert summary["cv_scoring"] == "accuracy"
    assert 0.8 < summary["cv_best_score"] <= 1.0
    assert summary["hyperparameters"]["max_depth"] == 3
    model = load(steps, result.outputs["model"])
    assert model["pipeline"].named_steps["estimator"].max_depth == 3
    assert result.parameters["search_folds"] == 3


def test_a_random_search_draws_no_more_than_the_grid_holds(
    steps: Steps, diabetes_splits: ArtifactRef
) -> None:
    parameters = {
        "task": "regression",
        "estimator": "Ridge",
        "search_strategy": "random",
        "search_space": {"alpha": [0.1, 1.0, 10.0]},
        "search_scoring": "neg_mean_absolute_error",
        "search_folds": 3,
    }
    result = steps.ok("build", parameters, splits=diabetes_splits)

    assert result.summary["candidates"] == 3
    assert result.summary["best_params"]["alpha"] in (0.1, 1.0, 10.0)
    assert result.summary["cv_scoring"] == "neg_mean_absolute_error"
    assert result.parameters["search_iterations"] == 10


def test_an_unknown_estimator_lists_the_allowed_ones(
    steps: Steps, iris_splits: ArtifactRef
) -> None:
    with pytest.raises(ParameterError, match="'XGBClassifier' is not in the allow-list") as caught:
        steps.call("build", build(estimator="XGBClassifier"), splits=iris_splits)

    assert "LogisticRegression, RandomForestClassifier" in str(caught.value)
    assert "RidgeClassifier" in str(caught.value)


def test_an_estimator_of_the_other_task_is_refused(steps: Steps, iris_splits: ArtifactRef) -> None:
    with pytest.raises(ParameterError, match="'SVR' is a regression estimator; for classification"):
        steps.call("build", build(estimator="SVR"), splits=iris_splits)


def test_an_unknown_hyperparameter_is_named(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(estimator="LogisticRegression", hyperparameters={"depth": 3})

    with pytest.raises(ParameterError, match="'depth' is not a parameter of LogisticRegression"):
        steps.call("build", parameters, splits=iris_splits)


def test_a_rejected_hyperparameter_value_is_named(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(estimator="LogisticRegression", hyperparameters={"C": -1.0})
    result = steps.run("build", parameters, splits=iris_splits)

    assert result.error is not None
    assert result.error.type == "ParameterError"
    assert result.error.message.startswith(
        "hyperparameter 'C' of LogisticRegression is invalid: The 'C' parameter"
    )
    assert result.error.message.endswith("fix its ol:parameterValue")


def test_a_rejected_search_candidate_is_named(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = build(
        estimator="KNeighborsClassifier",
        search_strategy="grid",
        search_space={"n_neighbors": [3, 0]},
        search_folds=2,
    )

    with pytest.raises(ParameterError, match="hyperparameter 'n_neighbors' of KNeighbors"):
        steps.call("build", parameters, splits=iris_splits)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"search_space": {"C": [1.0]}}, "search_space is given but no search_strategy"),
        ({"search_strategy": "grid"}, "search_strategy 'grid' needs a search_space"),
        ({"search_strategy": "bayes", "search_space": {"C": [1.0]}}, "one of grid, random"),
        (
            {"search_strategy": "grid", "search_space": {"gamma": [1.0]}},
            "'gamma' is not a parameter of LogisticRegression",
        ),
        (
            {"search_strategy": "grid", "search_space": {"C": [1.0]}, "search_scoring": "best"},
            "search_scoring 'best' is not a scikit-learn scorer",
        ),
        (
            {"search_strategy": "grid", "search_space": {"C": [1.0]}, "search_folds": 1},
            "search_folds must be at least 2",
        ),
        ({"model_name": "My Model"}, "model_name 'My Model' must match"),
        ({"estimator": None}, "estimator is required; add ol:estimator"),
    ],
)
def test_bad_search_and_name_parameters_are_refused(
    steps: Steps, iris_splits: ArtifactRef, parameters: dict[str, Any], message: str
) -> None:
    given = {**build(estimator="LogisticRegression"), **parameters}

    with pytest.raises(ParameterError, match=re.escape(message)):
        steps.call("build", given, splits=iris_splits)


def test_missing_splits_are_an_input_error(steps: Steps) -> None:
    with pytest.raises(InputError, match="the build step needs a splits input"):
        steps.call("build", build(estimator="LogisticRegression"))


def test_splits_of_the_other_task_are_refused(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = {"task": "regression", "estimator": "Ridge"}

    with pytest.raises(InputError, match="splits were made for classification but this step"):
        steps.call("build", parameters, splits=iris_splits)


def test_a_lightgbm_entry_fits_and_records_its_library(
    steps: Steps, iris_splits: ArtifactRef
) -> None:
    parameters = build(
        estimator="LGBMClassifier",
        estimator_import="lightgbm:LGBMClassifier",
        hyperparameters={"n_estimators": 10},
    )
    result = steps.ok("build", parameters, splits=iris_splits)

    assert result.summary["estimator_class"] == "lightgbm.sklearn.LGBMClassifier"
    assert result.summary["hyperparameters"]["n_estimators"] == 10
    assert result.summary["hyperparameters"]["random_state"] == 42
    assert "lightgbm" in result.summary["library_versions"]
    model = load(steps, result.outputs["model"])
    assert set(model["pipeline"].predict(pd.DataFrame(model_rows(iris_splits, steps)))) <= {0, 1, 2}


def model_rows(ref: ArtifactRef, steps: Steps) -> list[dict[str, float]]:
    splits = load(steps, ref)
    return splits["test"][splits["feature_columns"]].head(5).to_dict("records")


def test_a_lightgbm_name_without_the_platforms_entry_is_refused(
    steps: Steps, iris_splits: ArtifactRef
) -> None:
    with pytest.raises(ParameterError, match="'LGBMClassifier' is not in the allow-list"):
        steps.call("build", build(estimator="LGBMClassifier"), splits=iris_splits)


def test_the_build_stores_the_reference_profile_of_its_training_rows(
    steps: Steps, mixed_splits: ArtifactRef
) -> None:
    result = steps.ok("build", build(estimator="LogisticRegression"), splits=mixed_splits)

    ref = result.outputs["reference_profile"]
    assert ref.media_type == MEDIA_TYPES["reference_profile"] == "application/json"
    profile = json.loads(steps.path(ref).read_text())
    model = load(steps, result.outputs["model"])
    assert sorted(profile["features"]) == sorted(model["feature_columns"])
    assert profile["rows"] == 177  # the training rows, not the test rows
    for feature in profile["features"].values():
        assert sum(feature["counts"]) + feature["missing"] == 177
