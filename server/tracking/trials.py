"""An AutoML step run's trials: read from its workdir, written as triples, read back.

The executor appends each finished trial to ``trials.jsonl`` in the step's workdir as the search
goes (``executor.contract.TRIALS_FILE``). ``with_trials`` puts the trials it finds there into the
step's result summary, also when the step failed, was cancelled or timed out, so the trials that
finished are recorded whatever happened after them. ``trial_triples`` turns them into nodes of
the run graph: each trial is an ``ol:Trial`` (a ``prov:Activity`` and ``mls:Run``) linked from its
step run by ``ol:hasTrial``, executing an ``mls:Implementation``, with ``mls:hasInput`` the same
shared hyperparameter settings a build's step run links (so a trial's settings read like a run's),
its fold scores and its mean as ``mls:ModelEvaluation`` nodes. ``run_trials`` reads them back.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.contract import TRIALS_FILE, StepResult
from server.errors import NotFoundError
from server.graph import queries
from server.graph.namespaces import (
    implementation_iri,
    measure_iri,
    run_iri,
    step_run_iri,
    sub_iri,
)
from server.graph.terms import plain_row
from server.graph.write_terms import MLS, OL, PROV, RDF, date_time, double, iri, plain, string
from server.store.base import ReadableStore, WriteTriple
from server.tracking.shared import hyperparameter_settings, optional, trial_builds

log = logging.getLogger(__name__)
_RUN_ID = re.compile(r"[0-9a-f]{16}(?:[0-9a-f]{16})?")  # 32: a tracked run's (MLflow's)


def read_trials(workdir: Path) -> list[dict[str, Any]]:
    """The trials a step appended to its trials file; a torn last line (the step was killed
    while writing it) is left out."""
    path = workdir / TRIALS_FILE
    if not path.is_file():
        return []
    trials = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            trial = json.loads(line)
        except json.JSONDecodeError:
            log.warning("left out a torn line of %s", path)
            continue
        if isinstance(trial, dict) and isinstance(trial.get("number"), int):
            trials.append(trial)
    return trials


def with_trials(result: StepResult, workdir: Path) -> StepResult:
    """``result`` with the trials of its workdir's trials file in its summary, when the step
    wrote one and its result does not list them (it failed, was cancelled or timed out)."""
    if "trials" in result.summary:
        return result
    found = read_trials(workdir)
    if not found:
        return result
    return replace(result, summary={**result.summary, "trials": found})


def trial_iri(run_id: str, step_id: str, number: int) -> Any:
    return sub_iri(step_run_iri(run_id, step_id), "trial", str(number))


def trial_triples(run_id: str, step_id: str, result: StepResult) -> list[WriteTriple]:
    """The trials of one step run's result as nodes of the run graph."""
    step_run = iri(step_run_iri(run_id, step_id))
    metric = str(result.summary.get("cv_scoring") or result.parameters.get("search_scoring", ""))
    out: list[WriteTriple] = []
    for trial in result.summary.get("trials", []):
        out += _trial(step_run, trial_iri(run_id, step_id, trial["number"]), trial, metric)
    best = result.summary.get("best_trial")
    if isinstance(best, int) and result.outputs:
        out.append((step_run, OL.bestTrial, iri(trial_iri(run_id, step_id, best))))
    if result.summary.get("validation"):
        out.append((step_run, OL.validationScheme, string(result.summary["validation"])))
    return out


def _trial(step_run: Any, name: Any, trial: dict[str, Any], metric: str) -> list[WriteTriple]:
    node = iri(name)
    out: list[WriteTriple] = [
        (step_run, OL.hasTrial, node),
        (node, RDF.type, OL.Trial),
        (node, OL.trialNumber, plain(int(trial["number"]))),
        (node, PROV.wasInformedBy, step_run),
    ]
    out += optional(
        node,
        [
            (OL.trialKind, trial.get("kind"), string),
            (OL.estimatorName, trial.get("estimator"), string),
            (OL.status, trial.get("state"), string),
            (OL.fitSeconds, trial.get("fit_seconds"), double),
            (OL.meanScore, trial.get("mean_score"), double),
            (OL.errorMessage, trial.get("error"), string),
            (OL.scoring, metric or None, string),
            (PROV.startedAtTime, trial.get("started_at"), date_time),
            (PROV.endedAtTime, trial.get("ended_at"), date_time),
        ],
    )
    if trial.get("estimator_class"):
        out.append((node, MLS.executes, iri(implementation_iri(trial["estimator_class"]))))
        for build in trial_builds([trial]):
            out += [(node, MLS.hasInput, iri(s)) for s in hyperparameter_settings(build)]
    measure = iri(measure_iri(metric)) if metric else None
    for index, score in enumerate(trial.get("fold_scores") or []):
        fold = iri(sub_iri(name, "fold", str(index)))
        out += [
            (node, OL.hasFoldScore, fold),
            (fold, RDF.type, MLS.ModelEvaluation),
            (fold, OL.foldIndex, plain(index)),
            (fold, MLS.hasValue, double(score)),
        ]
        if measure is not None:
            out.append((fold, MLS.specifiedBy, measure))
    if trial.get("mean_score") is not None and measure is not None:
        evaluation = iri(sub_iri(name, "evaluation", metric))
        out += [
            (node, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, measure),
            (evaluation, MLS.hasValue, double(trial["mean_score"])),
            (evaluation, PROV.wasGeneratedBy, node),
        ]
    return out


def run_trials(store: ReadableStore, run_id: str) -> list[dict[str, Any]]:
    """The trials of every AutoML step run of a run, by step and number, each with its
    hyperparameters and fold scores (in fold order)."""
    run = str(run_iri(run_id))
    if not _RUN_ID.fullmatch(run_id) or not queries.select(store, "run_summary", run=run):
        raise NotFoundError(f"no run {run_id!r}; list runs with `ontolab runs list`")
    params: dict[str, dict[str, Any]] = {}
    for row in queries.select(store, "run_trial_settings", run=run):
        params.setdefault(str(row["trial"]), {})[str(row["name"])] = plain_row(row)["value"]
    folds: dict[str, list[tuple[int, float]]] = {}
    for row in queries.select(store, "run_trial_folds", run=run):
        values = plain_row(row)
        folds.setdefault(str(row["trial"]), []).append((values["index"], values["value"]))
    trials = []
    for row in queries.select(store, "run_trials", run=run):
        trial = plain_row(row)
        name = trial.pop("trial")
        trial["best"] = bool(trial.get("best", False))
        trial["params"] = params.get(name, {})
        trial["fold_scores"] = [score for _, score in sorted(folds.get(name, []))]
        trials.append(trial)
    return trials
