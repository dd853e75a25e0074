"""build, for an ol:AutoML step: search estimators and hyperparameters, keep the best.

Every parameter is checked before the first fit (a budget of 0, a candidate the allow-list
does not hold or that does not fit the task, a scorer scikit-learn does not know). The search
(``executor.automl``) appends each finished trial to ``trials.jsonl`` in the workdir; the best
trial's estimator is refitted on the whole train split behind a clone of the process step's
preprocessor, exactly as the build phase makes its Pipeline, and becomes the step's model.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from sklearn.base import clone
from sklearn.metrics import get_scorer_names
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from executor import automl, estimators, search_spaces
from executor.artifacts import write_joblib
from executor.context import PhaseOutput, StepContext
from executor.contract import AUTOML_CANDIDATES, TRIALS_FILE, trial_line
from executor.errors import InputError, ParameterError
from executor.params import Params
from executor.phases import build

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to


def time_budget(params: Params) -> float | None:
    value = params.scalar("time_budget")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParameterError(
            f"time_budget must be a number of seconds above 0, got {value!r}; "
            "set ol:timeBudget to e.g. 60"
        )
    return float(value)


def budget_settings(params: Params) -> tuple[float | None, int | None]:
    """(seconds, trials); at least one is given and each is above 0."""
    seconds = time_budget(params)
    trials = None
    if "trial_budget" in params:
        trials = params.integer("trial_budget", 0)
        if trials < 1:
            raise ParameterError(
                f"trial_budget must be a whole number of trials, 1 or more, got {trials}; "
                "set ol:trialBudget to e.g. 50"
            )
    if seconds is None and trials is None:
        raise ParameterError(
            "an AutoML step needs a budget; add ol:timeBudget (seconds) and/or ol:trialBudget"
        )
    return seconds, trials


def candidates(params: Params, task: str) -> dict[str, str | None]:
    """The candidate estimators by name with their allow-list entries, each checked to import
    and to fit ``task``. The platform resolves them (``automl_candidates``); a spec written by
    hand gets scikit-learn's of ``ol:candidateEstimator``, or of the default list."""
    resolved = params.mapping("automl_candidates")
    named = params.names("candidate_estimator")
    if resolved:
        chosen: dict[str, str | None] = {str(k): str(v) for k, v in resolved.items()}
    elif named:
        chosen = dict.fromkeys(named)
    else:
        allowed = estimators.ALLOWED[task]
        chosen = dict.fromkeys(n for n in AUTOML_CANDIDATES[task] if n in allowed)
    for name, entry in chosen.items():
        try:
            estimators.estimator_class(name, task, entry)
        except ParameterError as exc:
            raise ParameterError(f"ol:candidateEstimator: {exc}") from exc
    return chosen


def metric(params: Params, task: str) -> str:
    scoring = params.text("search_scoring") or automl.DEFAULT_METRIC[task]
    if scoring not in get_scorer_names():
        raise ParameterError(
            f"search_scoring {scoring!r} is not a scikit-learn scorer; set ol:searchScoring "
            f"to one of {', '.join(sorted(get_scorer_names()))}"
        )
    return scoring


def cores(ctx: StepContext) -> int:
    """The cores the step may use (``ol:cpus``, whole, at least 1)."""
    cpus = ctx.spec.resources.get("cpus")
    return max(1, int(cpus)) if isinstance(cpus, int | float) else 1


class TrialLog:
    """Appends each finished trial to ``trials.jsonl``, flushed at once, so a killed step
    leaves the trials it finished. A step whose workdir the platform does not see (``remote``:
    a swarm job) also prints each one as a marked line on stdout, which reaches the platform
    in the job's log even when the job is removed before it ends."""

    def __init__(self, path: Path, remote: bool = False) -> None:
        self.path = path
        self.remote = remote
        path.write_text("")

    def __call__(self, trial: Any) -> None:
        with self.path.open("a") as out:
            out.write(json.dumps(trial.to_json(), sort_keys=True) + "\n")
            out.flush()
        if self.remote:
            # The real stdout, whatever a library did to sys.stdout: the job's log.
            print(trial_line(trial.to_json()), file=sys.__stdout__ or sys.stdout, flush=True)


def run(ctx: StepContext) -> PhaseOutput:
    task = build.check_task(ctx)
    params, splits = ctx.params, ctx.inputs["splits"]
    seconds, trials = budget_settings(params)
    chosen = candidates(params, task)
    train = splits["train"]
    if not params.names("candidate_estimator") and len(train) > automl.HOLDOUT_ROWS:
        # The default list on large data: no kernel or neighbour method, whose one fit grows
        # with the square of the rows and could take the whole budget.
        chosen = {n: e for n, e in chosen.items() if n not in search_spaces.QUADRATIC}
    scoring = metric(params, task)
    used: dict[str, Any] = {
        "time_budget": seconds,
        "trial_budget": trials,
        "candidate_estimator": list(chosen),
        "search_scoring": scoring,
        "random_seed": params.integer("random_seed", 42),
        "model_name": build.model_name(ctx),
    }
    search = automl.Search(
        task=task,
        x=train[splits["feature_columns"]],
        y=train[splits["target"]],
        preprocessor=splits["preprocessor"],
        candidates=chosen,
        budget=automl.Budget(seconds, trials),
        metric=scoring,
        seed=used["random_seed"],
        jobs=cores(ctx),
        on_trial=TrialLog(ctx.workdir / TRIALS_FILE, remote=bool(ctx.spec.artifact_url)),
    )
    log.info(
        "AutoML on %d rows (%s), %s over %s; budget %s s, %s trials",
        len(train),
        automl.validation_scheme(len(train)),
        scoring,
        ", ".join(chosen),
        seconds,
        trials,
    )
    try:
        outcome = automl.run_search(search)
    except RuntimeError as exc:
        raise InputError(
            f"the AutoML search found no working model ({exc}); check the data, or name "
            "other ol:candidateEstimator values",
            parameters=used,
        ) from exc
    pipeline = refit(search, outcome.best, splits)
    return output(ctx, search, pipeline, outcome, used | {"validation": outcome.validation})


def refit(search: automl.Search, best: automl.Trial, splits: dict[str, Any]) -> Pipeline:
    """The best trial's estimator behind a clone of the preprocessor, fitted on all train rows."""
    estimator = automl.make(search, best.estimator, best.params)
    pipeline = Pipeline([("preprocess", clone(splits["preprocessor"])), ("estimator", estimator)])
    log.info("refitting trial %d (%s) on %d rows", best.number, best.estimator, len(search.x))
    with threadpool_limits(limits=automl.threads(search)):
        estimators.fit_checked(
            best.estimator, best.params, lambda: pipeline.fit(search.x, search.y)
        )
    return pipeline


def implementations(search: automl.Search, trials: list[automl.Trial]) -> dict[str, list[str]]:
    """Each estimator class tried, with the names of its scalar parameters (as a build's
    summary lists a model's), for the graph's implementation nodes."""
    found: dict[str, list[str]] = {}
    for trial in trials:
        if trial.estimator_class and trial.estimator_class not in found:
            made = automl.make(search, trial.estimator, trial.params)
            found[trial.estimator_class] = sorted(build.scalar_params(made))
    return found


def output(
    ctx: StepContext,
    search: Any,
    pipeline: Pipeline,
    outcome: Any,
    used: dict[str, Any],
) -> PhaseOutput:
    best, splits = outcome.best, ctx.inputs["splits"]
    fitted = pipeline.named_steps["estimator"]
    provenance = {
        "estimator": best.estimator,
        "hyperparameters": build.scalar_params(fitted),
        "library_versions": build.library_versions(type(fitted)),
        "serialization_format": build.SERIALIZATION_FORMAT,
        "model_name": used["model_name"],
        "feature_columns": splits["feature_columns"],
    }
    bundle = build.model_bundle(pipeline, splits, provenance)
    outputs = ctx.save("model.joblib", lambda p: write_joblib(p, bundle))
    outputs |= build.save_reference(ctx, splits)
    baseline = outcome.trials[0]
    summary = {
        **provenance,
        "estimator_class": build.public_name(type(fitted)),
        "target_column": splits["target"],
        "best_params": best.params,
        "cv_best_score": best.mean_score,
        "cv_scoring": used["search_scoring"],
        "candidates": len(outcome.trials),
        "best_trial": best.number,
        "baseline_score": baseline.mean_score,
        "validation": outcome.validation,
        "trials": [t.to_json() for t in outcome.trials],
        "implementations": implementations(search, outcome.trials),
    }
    log.info(
        "best: trial %d %s, %s %.4f (default baseline %s)",
        best.number,
        best.estimator,
        used["search_scoring"],
        best.mean_score,
        baseline.mean_score,
    )
    return PhaseOutput(outputs=outputs, parameters=used, summary=summary)
