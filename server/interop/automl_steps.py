"""Export generator for an AutoML step (``ol:AutoML``): written as the build step of its best
trial, i.e. ``build_code`` with that trial's estimator and the hyperparameters the run recorded
for the model it refitted. The search itself is not repeated (``params.json`` says so), so
verify.py reproduces the validate step's metrics exactly. Registered in
``generators.GENERATORS`` under ``automl`` (``run_facts`` names an ``ol:AutoML`` step so).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.errors import ExportError
from server.interop.generators import (
    GENERATORS,
    ExportContext,
    StepCode,
    _names,
    build_code,
    estimator_import,
)
from server.interop.run_facts import StepFacts


def automl_code(context: ExportContext, step: StepFacts) -> StepCode:
    """The build of the best trial: its estimator (which must be the class the run recorded
    for the step's model, and one of the step's candidates when it names them) with the
    trial's settings, overridden by every scalar the refitted estimator held."""
    best = step.best_trial
    if best is None or not best.get("estimator"):
        raise ExportError(
            f"run {context.run.run_id} recorded no best trial for AutoML step {step.id!r}, so "
            "export cannot tell which model it kept; rerun the experiment and export the new run"
        )
    name = str(best["estimator"])
    candidates = _names(step.parameters, "candidate_estimator")
    if candidates and name not in candidates:
        raise ExportError(
            f"the best trial of AutoML step {step.id!r} names {name!r}, which is not one of its "
            f"candidates ({', '.join(candidates)}); rerun the experiment and export the new run"
        )
    recorded = step.estimator_class or best.get("estimator_class")
    as_build = replace(step, parameters={**step.parameters, "estimator": name})
    estimator = estimator_import(replace(as_build, estimator_class=recorded))
    hyperparameters: dict[str, Any] = {**best.get("params", {}), **step.hyperparameters}
    code = build_code(context, as_build, estimator, hyperparameters)
    code.parameters["automl"] = {
        "best_trial": best.get("number"),
        "candidates": candidates or "the platform's default list",
        "note": "the run's AutoML search chose this trial; it is not repeated",
    }
    return code


GENERATORS["automl"] = automl_code
