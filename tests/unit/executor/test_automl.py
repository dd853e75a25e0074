"""The AutoML build: budgets, candidates, the baselines as trials 0 and 1, the trials file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import joblib
import pytest
from sklearn.pipeline import Pipeline

from executor import automl
from executor.contract import TRIALS_FILE, ArtifactRef
from executor.errors import ParameterError

if TYPE_CHECKING:
    from conftest import Steps


def automl_step(task: str = "classification", **parameters: Any) -> dict[str, Any]:
    return {"task": task, "automl": True, "model_name": "auto", **parameters}


def test_a_trial_budget_of_6_on_iris_runs_6_trials_and_keeps_the_best(
    steps: Steps, iris_splits: ArtifactRef
) -> None:
    result = steps.ok("build", automl_step(trial_budget=6), splits=iris_splits)

    trials = result.summary["trials"]
    assert [t["number"] for t in trials] == list(range(6))
    assert [t["estimator"] for t in trials[:2]] == [
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
    ]
    assert [t["kind"] for t in trials[:2]] == ["baseline", "baseline"]
    assert all(len(t["fold_scores"]) == 5 for t in trials if t["state"] == "succeeded")
    best = max(
        (t for t in trials if t["state"] == "succeeded"),
        key=lambda t: (t["mean_score"], -t["number"]),
    )
    assert result.summary["best_trial"] == best["number"]
    assert result.summary["cv_best_score"] >= trials[0]["mean_score"]
    assert result.summary["estimator"] == best["estimator"]
    assert result.parameters["validation"] == "5-fold"
    model = joblib.load(steps.path(result.outputs["model"]))
    assert isinstance(model["pipeline"], Pipeline)
    assert list(model["pipeline"].named_steps) == ["preprocess", "estimator"]
    assert type(model["pipeline"].named_steps["estimator"]).__name__ == best["estimator"]


def test_each_finished_trial_is_in_the_trials_file(
    steps: Steps, iris_splits: ArtifactRef, tmp_path: Any
) -> None:
    steps.ok("build", automl_step(trial_budget=3), splits=iris_splits)

    (path,) = tmp_path.glob(f"step-*-build/{TRIALS_FILE}")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [t["number"] for t in lines] == [0, 1, 2]
    assert all(t["state"] == "succeeded" and t["fit_seconds"] >= 0 for t in lines)


def test_a_small_time_budget_still_runs_the_default_baseline(
    steps: Steps, diabetes_splits: ArtifactRef
) -> None:
    parameters = automl_step("regression", time_budget=0.5, candidate_estimator=["Ridge"])
    result = steps.ok("build", parameters, splits=diabetes_splits)

    trials = result.summary["trials"]
    assert trials[0]["estimator"] == "RandomForestRegressor"
    assert result.parameters["search_scoring"] == "r2"
    assert result.summary["cv_best_score"] >= trials[0]["mean_score"]


def test_the_search_is_seeded(steps: Steps, iris_splits: ArtifactRef) -> None:
    parameters = automl_step(trial_budget=5, candidate_estimator=["LogisticRegression", "SVC"])
    first = steps.ok("build", parameters, splits=iris_splits).summary["trials"]
    second = steps.ok("build", parameters, splits=iris_splits).summary["trials"]

    assert [(t["estimator"], t["params"]) for t in first] == [
        (t["estimator"], t["params"]) for t in second
    ]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"time_budget": 0}, r"time_budget must be a number of seconds above 0.*ol:timeBudget"),
        ({"trial_budget": 0}, r"trial_budget must be .* 1 or more, got 0.*ol:trialBudget"),
        ({}, r"needs a budget; add ol:timeBudget"),
        (
            {"trial_budget": 3, "candidate_estimator": ["NoSuchModel"]},
            r"'NoSuchModel' is not in the allow-list; for classification .*LogisticRegression",
        ),
        (
            {"trial_budget": 3, "candidate_estimator": ["Ridge"]},
            r"'Ridge' is a regression estimator; for classification",
        ),
        ({"trial_budget": 3, "search_scoring": "nope"}, r"'nope' is not a scikit-learn scorer"),
    ],
)
def test_bad_parameters_are_refused_before_any_trial(
    steps: Steps, iris_splits: ArtifactRef, parameters: dict[str, Any], message: str, tmp_path: Any
) -> None:
    with pytest.raises(ParameterError, match=message):
        steps.call("build", automl_step(**parameters), splits=iris_splits)
    assert not list(tmp_path.glob(f"call-*/{TRIALS_FILE}"))


def test_large_data_is_validated_on_a_holdout() -> None:
    assert automl.validation_scheme(automl.HOLDOUT_ROWS) == "5-fold"
    assert automl.validation_scheme(automl.HOLDOUT_ROWS + 1) == "holdout"
