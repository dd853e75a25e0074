from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pytest

from executor.contract import MEDIA_TYPES, ArtifactRef
from executor.errors import InputError, ParameterError

if TYPE_CHECKING:
    from conftest import Steps

CLASSIFICATION = {"task": "classification"}
REGRESSION = {"task": "regression"}
CLASSIFICATION_METRICS = {"accuracy", "precision", "recall", "f1", "roc_auc"}


def threshold(metric: str, low: float | None = None, high: float | None = None) -> dict:
    return {"metric": metric, "min": low, "max": high}


def report(steps: Steps, ref: ArtifactRef) -> dict[str, Any]:
    return json.loads(steps.path(ref).read_text())


@pytest.fixture
def diabetes_model(steps: Steps, diabetes_splits: ArtifactRef) -> ArtifactRef:
    return steps.output(
        "build", {**REGRESSION, "estimator": "LinearRegression"}, splits=diabetes_splits
    )


def test_iris_is_classified_well(
    steps: Steps, iris_model: ArtifactRef, iris_splits: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "thresholds": [threshold("accuracy", 0.8)]}
    result = steps.ok("validate", parameters, model=iris_model, splits=iris_splits)

    assert set(result.metrics) == CLASSIFICATION_METRICS
    assert result.metrics["accuracy"] > 0.8
    assert result.metrics["roc_auc"] > 0.9
    assert result.summary == {
        "thresholds": [
            {**threshold("accuracy", 0.8), "value": result.metrics["accuracy"], "passed": True}
        ],
        "passed": True,
        "test_rows": 38,
    }
    assert result.outputs["report"].media_type == MEDIA_TYPES["report"]
    content = report(steps, result.outputs["report"])
    assert content["metrics"] == result.metrics
    assert content["confusion_matrix"]["labels"] == [0, 1, 2]
    matrix = content["confusion_matrix"]["matrix"]
    assert sum(map(sum, matrix)) == 38
    assert sum(matrix[i][i] for i in range(3)) == round(result.metrics["accuracy"] * 38)


def test_a_binary_task_scores_the_second_class(steps: Steps, mixed_splits: ArtifactRef) -> None:
    model = steps.output(
        "build", {**CLASSIFICATION, "estimator": "LogisticRegression"}, splits=mixed_splits
    )

    result = steps.ok("validate", CLASSIFICATION, model=model, splits=mixed_splits)

    assert set(result.metrics) == CLASSIFICATION_METRICS
    assert result.metrics["roc_auc"] > 0.8
    content = report(steps, result.outputs["report"])
    assert content["confusion_matrix"]["labels"] == ["no", "yes"]
    (_, false_positive), (false_negative, true_positive) = content["confusion_matrix"]["matrix"]
    assert result.metrics["precision"] == pytest.approx(
        true_positive / (true_positive + false_positive)
    )
    assert result.metrics["recall"] == pytest.approx(
        true_positive / (true_positive + false_negative)
    )


@pytest.mark.parametrize("splits", ["iris_splits", "mixed_splits"])
def test_roc_auc_falls_back_to_the_decision_function(
    steps: Steps, splits: str, request: pytest.FixtureRequest
) -> None:
    ref = request.getfixturevalue(splits)
    model = steps.output("build", {**CLASSIFICATION, "estimator": "RidgeClassifier"}, splits=ref)

    result = steps.ok("validate", CLASSIFICATION, model=model, splits=ref)

    assert 0.5 < result.metrics["roc_auc"] <= 1.0


def test_diabetes_is_regressed_well(
    steps: Steps, diabetes_model: ArtifactRef, diabetes_splits: ArtifactRef
) -> None:
    parameters = {**REGRESSION, "thresholds": [threshold("rmse", high=80.0)]}
    result = steps.ok("validate", parameters, model=diabetes_model, splits=diabetes_splits)

    assert set(result.metrics) == {"rmse", "mae", "r2"}
    assert result.metrics["r2"] > 0.3
    assert result.metrics["mae"] < result.metrics["rmse"] < 80.0
    assert "confusion_matrix" not in report(steps, result.outputs["report"])


def test_a_missed_threshold_fails_the_step_but_reports_the_metrics(
    steps: Steps, iris_model: ArtifactRef, iris_splits: ArtifactRef
) -> None:
    thresholds = [threshold("accuracy", 0.999), threshold("f1", 0.5), threshold("recall", high=0.1)]
    parameters = {**CLASSIFICATION, "thresholds": thresholds}

    result = steps.run("validate", parameters, model=iris_model, splits=iris_splits)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.type == "ThresholdError"
    accuracy, recall = result.metrics["accuracy"], result.metrics["recall"]
    assert result.error.message == (
        f"accuracy {accuracy:.3f} is below the minimum 0.999; "
        f"recall {recall:.3f} is above the maximum 0.1; "
        "improve the model or change the ol:threshold"
    )
    assert set(result.metrics) == CLASSIFICATION_METRICS
    assert [check["passed"] for check in result.summary["thresholds"]] == [False, True, False]
    assert result.summary["passed"] is False
    assert report(steps, result.outputs["report"])["passed"] is False


def test_a_regression_threshold_miss_names_metric_value_and_bound(
    steps: Steps, diabetes_model: ArtifactRef, diabetes_splits: ArtifactRef
) -> None:
    parameters = {**REGRESSION, "thresholds": [threshold("r2", 0.95)]}
    result = steps.run("validate", parameters, model=diabetes_model, splits=diabetes_splits)

    assert result.error is not None
    assert re.fullmatch(r"r2 0\.\d{3} is below the minimum 0\.95; .*", result.error.message)
    assert "rmse" in result.metrics


def test_a_metric_of_the_other_task_lists_the_valid_ones(
    steps: Steps, iris_model: ArtifactRef, iris_splits: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "thresholds": [threshold("rmse", high=1.0)]}
    expected = (
        "threshold metric 'rmse' is not computed for classification; "
        "set ol:metricName to one of accuracy, precision, recall, f1, roc_auc"
    )

    with pytest.raises(ParameterError, match=f"^{re.escape(expected)}$"):
        steps.call("validate", parameters, model=iris_model, splits=iris_splits)


def test_a_threshold_without_bounds_is_refused(
    steps: Steps, iris_model: ArtifactRef, iris_splits: ArtifactRef
) -> None:
    parameters = {**CLASSIFICATION, "thresholds": [threshold("accuracy")]}

    with pytest.raises(ParameterError, match="threshold on accuracy needs a numeric minimum"):
        steps.call("validate", parameters, model=iris_model, splits=iris_splits)


def test_a_missing_model_is_an_input_error(steps: Steps, iris_splits: ArtifactRef) -> None:
    with pytest.raises(InputError, match="the validate step needs a model input"):
        steps.call("validate", CLASSIFICATION, splits=iris_splits)


def test_splits_given_as_the_model_are_refused(steps: Steps, iris_splits: ArtifactRef) -> None:
    with pytest.raises(InputError, match="model artifact .* lacks pipeline, estimator"):
        steps.call("validate", CLASSIFICATION, model=iris_splits, splits=iris_splits)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_report_holds_the_predictions_checksum(
    steps: Steps,
    task: str,
    iris_model: ArtifactRef,
    iris_splits: ArtifactRef,
    diabetes_model: ArtifactRef,
    diabetes_splits: ArtifactRef,
) -> None:
    """What an export's verify.py checks: the sha256 of the predictions as compact JSON."""
    model, splits = (
        (iris_model, iris_splits)
        if task == "classification"
        else (
            diabetes_model,
            diabetes_splits,
        )
    )
    result = steps.ok("validate", {"task": task}, model=model, splits=splits)
    bundle, held_out = joblib.load(steps.path(model)), joblib.load(steps.path(splits))
    test = held_out["test"]
    predicted = bundle["pipeline"].predict(test[bundle["feature_columns"]])
    text = json.dumps(np.asarray(predicted).tolist(), separators=(",", ":"))
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert report(steps, result.outputs["report"])["predictions_sha256"] == expected
