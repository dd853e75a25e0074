from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer

from executor.contract import ArtifactRef
from executor.errors import ParameterError

if TYPE_CHECKING:
    from conftest import Steps

CLASSIFICATION = {"task": "classification"}


def load(steps: Steps, ref: ArtifactRef) -> dict[str, Any]:
    return joblib.load(steps.path(ref))


def test_iris_splits_hold_raw_rows_and_a_fitted_preprocessor(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    result = steps.ok("process", CLASSIFICATION, dataset=iris_dataset)

    splits = load(steps, result.outputs["splits"])
    assert splits["train"].shape == (112, 5)
    assert splits["test"].shape == (38, 5)
    assert splits["target"] == "target"
    assert splits["task"] == "classification"
    assert splits["classes"] == [0, 1, 2]
    assert len(splits["feature_columns"]) == 4
    assert set(splits["feature_dtypes"].values()) == {"float64"}
    preprocessor = splits["preprocessor"]
    assert isinstance(preprocessor, ColumnTransformer)
    scaled = preprocessor.transform(splits["train"][splits["feature_columns"]])
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, atol=1e-9)


def test_defaults_are_reported_as_the_parameters_used(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    result = steps.ok("process", CLASSIFICATION, dataset=iris_dataset)

    assert result.parameters == {
        "task": "classification",
        "target_column": "target",
        "imputation": "median",
        "scaling": "standard",
        "one_hot_encoding": True,
        "test_size": 0.25,
        "random_seed": 42,
        "stratify": True,
    }
    assert result.summary == {
        "train_rows": 112,
        "test_rows": 38,
        "dropped_rows": 0,
        "features_in": 4,
        "features_out": 4,
        "numeric_columns": result.summary["numeric_columns"],
        "categorical_columns": [],
    }


def test_stratification_keeps_the_class_proportions(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "test_size": 0.2}
    splits = load(steps, steps.output("process", parameters, dataset=iris_dataset))

    assert splits["test"]["target"].value_counts().to_dict() == {0: 10, 1: 10, 2: 10}
    assert splits["train"]["target"].value_counts().to_dict() == {0: 40, 1: 40, 2: 40}


def test_the_same_seed_gives_the_same_split(steps: Steps, iris_dataset: ArtifactRef) -> None:
    def test_rows(seed: int) -> list[int]:
        parameters = {**CLASSIFICATION, "random_seed": seed}
        ref = steps.output("process", parameters, dataset=iris_dataset)
        return load(steps, ref)["test"].index.tolist()

    assert test_rows(7) == test_rows(7)
    assert test_rows(7) != test_rows(8)


def test_mixed_data_is_imputed_and_one_hot_encoded(
    steps: Steps, mixed_dataset: ArtifactRef
) -> None:
    result = steps.ok("process", CLASSIFICATION, dataset=mixed_dataset)

    summary = result.summary
    assert summary["dropped_rows"] == 3
    assert summary["train_rows"] + summary["test_rows"] == 237
    assert summary["numeric_columns"] == ["size", "weight"]
    assert summary["categorical_columns"] == ["colour", "flag"]
    assert summary["features_out"] == 2 + 3 + 2
    splits = load(steps, result.outputs["splits"])
    assert splits["classes"] == ["no", "yes"]
    train = splits["train"]
    assert train["size"].isna().any() and train["colour"].isna().any()
    encoded = splits["preprocessor"].transform(train[splits["feature_columns"]])
    assert not np.isnan(encoded).any()
    np.testing.assert_allclose(encoded[:, 2:5].sum(axis=1), 1.0)


def test_without_imputation_missing_categories_get_their_own_column(
    steps: Steps, mixed_dataset: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "imputation": "none", "scaling": "none"}
    result = steps.ok("process", parameters, dataset=mixed_dataset)

    assert result.summary["features_out"] == 2 + 4 + 3
    splits = load(steps, result.outputs["splits"])
    encoded = splits["preprocessor"].transform(splits["train"][splits["feature_columns"]])
    assert np.isnan(encoded[:, 0]).any()


def test_minmax_scaling_maps_train_features_into_the_unit_interval(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "scaling": "minmax"}
    splits = load(steps, steps.output("process", parameters, dataset=iris_dataset))

    scaled = splits["preprocessor"].transform(splits["train"][splits["feature_columns"]])
    np.testing.assert_allclose(scaled.min(axis=0), 0.0)
    np.testing.assert_allclose(scaled.max(axis=0), 1.0)


def test_regression_splits_are_not_stratified(steps: Steps, diabetes_splits: ArtifactRef) -> None:
    splits = load(steps, diabetes_splits)

    assert splits["task"] == "regression"
    assert "classes" not in splits
    assert len(splits["train"]) + len(splits["test"]) == 442


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"imputation": "knn"},
            "imputation 'knn' is not one of mean, median, most_frequent, none; "
            "set ol:imputation to one of them",
        ),
        ({"scaling": "log"}, "scaling 'log' is not one of standard, minmax, robust, none"),
        ({"test_size": 1.5}, "test_size must be a number between 0 and 1"),
        ({"random_seed": "seven"}, "random_seed must be an integer"),
        ({"stratify": "maybe"}, "stratify must be true or false"),
        ({"test_size": 0.01}, "cannot split 150 rows with test_size 0.01 and stratify True"),
        ({"target_column": "species"}, "target column 'species' is not in the dataset"),
        ({"scaling": ["standard", "robust"]}, "scaling has 2 values (standard, robust)"),
    ],
)
def test_bad_parameters_name_the_parameter(
    steps: Steps, iris_dataset: ArtifactRef, parameters: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        steps.call("process", {**CLASSIFICATION, **parameters}, dataset=iris_dataset)


def test_a_bad_parameter_fails_the_step_without_output(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    result = steps.run("process", {**CLASSIFICATION, "imputation": "knn"}, dataset=iris_dataset)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.type == "ParameterError"
    assert result.outputs == {}


def test_categories_without_one_hot_encoding_are_refused(
    steps: Steps, mixed_dataset: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "one_hot_encoding": False}

    with pytest.raises(ParameterError, match="^columns colour, flag are not numeric and one_hot"):
        steps.call("process", parameters, dataset=mixed_dataset)


def test_date_columns_are_refused(
    steps: Steps, tmp_path: Path, make_mixed_frame: Callable[..., pd.DataFrame]
) -> None:
    frame = make_mixed_frame(rows=40)
    frame["seen"] = pd.date_range("2024-01-01", periods=40, freq="D")
    path = tmp_path / "dated.parquet"
    frame.to_parquet(path)
    extract = {**CLASSIFICATION, "source": str(path), "target_column": "label"}
    dataset = steps.output("extract", extract)

    with pytest.raises(ParameterError, match="^columns seen hold dates or durations"):
        steps.call("process", CLASSIFICATION, dataset=dataset)


def test_stratify_is_refused_for_regression(steps: Steps, iris_dataset: ArtifactRef) -> None:
    parameters = {"task": "regression", "stratify": True}

    with pytest.raises(ParameterError, match="stratify applies to classification only"):
        steps.call("process", parameters, dataset=iris_dataset)


def test_a_target_with_single_row_classes_suggests_regression(steps: Steps) -> None:
    extract = {"task": "classification", "source": "sklearn:diabetes", "target_column": "target"}
    dataset = steps.output("extract", extract)
    expected = (
        "cannot stratify: 84 of the 214 classes of 'target' have a single row; "
        'set ol:stratify false, or ol:task "regression" if the target is a quantity'
    )

    with pytest.raises(ParameterError, match=f"^{re.escape(expected)}$"):
        steps.call("process", {"task": "classification"}, dataset=dataset)


def test_an_unknown_task_lists_the_tasks(steps: Steps, iris_dataset: ArtifactRef) -> None:
    expected = "task 'clustering' is not one of classification, regression; set ol:task to one"

    with pytest.raises(ParameterError, match=expected):
        steps.call("process", {"task": "clustering"}, dataset=iris_dataset)
