"""Export of an AutoML step: the build of its best trial (estimator and hyperparameters as the
run recorded them), the search not repeated; refusals name the step and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.errors import ExportError
from server.interop.generators import ExportContext, generate
from server.interop.run_facts import KIND_OF_CLASS, RunFacts, StepFacts, _kind
from server.tracking.artifacts import ArtifactStore


def automl_step(best: dict[str, Any] | None, **parameters: Any) -> StepFacts:
    return StepFacts(
        "automl",
        "automl",
        {"time_budget": 30, **parameters},
        {"splits": "process"},
        hyperparameters={"C": 3.5, "probability": True, "random_state": 7},
        estimator_class="sklearn.svm.SVC",
        best_trial=best,
    )


def context(tmp_path: Path, step: StepFacts) -> ExportContext:
    run = RunFacts("0123456789abcdef", "succeeded", "demo", 1, "classification", (step,))
    return ExportContext(run, ArtifactStore(tmp_path), {step.id: "step_automl"})


BEST = {"number": 12, "estimator": "SVC", "estimator_class": "sklearn.svm.SVC"}


def test_an_automl_step_is_the_build_of_its_best_trial(tmp_path: Path) -> None:
    best = BEST | {"params": {"C": 3.5, "gamma": "scale", "random_state": 7}}
    step = automl_step(best, candidate_estimator=["SVC", "LogisticRegression"])
    code = generate(context(tmp_path, step), step)
    assert code.imports[0] == "from sklearn.svm import SVC"
    assert 'fit_model(splits, SVC(**params["hyperparameters"]))' in code.function
    assert code.parameters["estimator"] == "SVC"
    assert code.parameters["hyperparameters"] == {
        "C": 3.5,
        "gamma": "scale",
        "probability": True,
        "random_state": 7,
    }
    assert code.parameters["automl"]["best_trial"] == 12
    assert "not repeated" in code.parameters["automl"]["note"]


def test_an_automl_class_exports_as_its_own_kind() -> None:
    (automl,) = KIND_OF_CLASS
    assert _kind("build", ("https://w3id.org/ontolab/ns#ModelBuilding", automl)) == "automl"
    assert _kind("build", ("https://w3id.org/ontolab/ns#ModelBuilding",)) == "build"


@pytest.mark.parametrize(
    ("best", "parameters", "message"),
    [
        (None, {}, "recorded no best trial for AutoML step 'automl'"),
        (BEST, {"candidate_estimator": ["Ridge"]}, "names 'SVC', which is not one of its cand"),
        (BEST | {"estimator": "LogisticRegression"}, {}, "step 'automl' records estimator"),
    ],
)
def test_an_automl_step_export_cannot_tell_is_refused(
    tmp_path: Path, best: dict[str, Any] | None, parameters: dict[str, Any], message: str
) -> None:
    step = automl_step(best, **parameters)
    with pytest.raises(ExportError, match=message) as refused:
        generate(context(tmp_path, step), step)
    assert refused.value.status == 409
