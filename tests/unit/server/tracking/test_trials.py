"""An AutoML step's trials: read from its workdir (also after a kill), written as triples."""

from __future__ import annotations

import json
from pathlib import Path

from executor.contract import TRIALS_FILE, StepErrorInfo, StepResult
from server.graph.write_terms import MLS, OL, iri
from server.tracking.shared import _trial_graphs
from server.tracking.trials import (
    best_trial_runs,
    read_trials,
    trial_iri,
    trial_triples,
    with_trials,
)

TRIAL = {
    "number": 0,
    "kind": "baseline",
    "estimator": "RandomForestClassifier",
    "estimator_class": "sklearn.ensemble.RandomForestClassifier",
    "params": {"n_jobs": 1, "random_state": 42},
    "state": "succeeded",
    "started_at": "2026-01-01T00:00:00.000+00:00",
    "ended_at": "2026-01-01T00:00:01.000+00:00",
    "fit_seconds": 1.0,
    "fold_scores": [0.9, 1.0],
    "mean_score": 0.95,
    "error": None,
}


def killed(started: str = "2026-01-01T00:00:00Z") -> StepResult:
    error = StepErrorInfo("StepAborted", "the step exceeded its time-out of 6 s")
    return StepResult("failed", started, started, error=error)


def test_a_torn_last_line_is_left_out(tmp_path: Path) -> None:
    second = {**TRIAL, "number": 1}
    (tmp_path / TRIALS_FILE).write_text(
        json.dumps(TRIAL) + "\n" + json.dumps(second) + "\n" + '{"number": 2, "est'
    )

    assert [t["number"] for t in read_trials(tmp_path)] == [0, 1]


def test_a_killed_step_gets_the_trials_its_workdir_holds(tmp_path: Path) -> None:
    (tmp_path / TRIALS_FILE).write_text(json.dumps(TRIAL) + "\n")

    result = with_trials(killed(), tmp_path)

    assert result.summary["trials"] == [TRIAL]
    assert result.error is not None and result.error.type == "StepAborted"


def test_a_step_without_a_trials_file_is_left_as_it_is(tmp_path: Path) -> None:
    result = killed()
    assert with_trials(result, tmp_path) is result


def test_trials_of_a_failed_step_become_trial_nodes() -> None:
    result = StepResult(
        "failed", "", "", parameters={"search_scoring": "accuracy"}, summary={"trials": [TRIAL]}
    )
    triples = trial_triples("0123456789abcdef", "build", result)

    node = iri(trial_iri("0123456789abcdef", "build", 0))
    assert (node, OL.estimatorName, TRIAL["estimator"]) in {
        (s, p, o.value) for s, p, o in triples if p == OL.estimatorName
    }
    assert sum(1 for s, p, _ in triples if s == node and p == OL.hasFoldScore) == 2
    assert sum(1 for s, p, _ in triples if s == node and p == MLS.hasInput) == 2
    assert not any(p == OL.bestTrial for _, p, _ in triples), "no model: no best trial"
    assert len(_trial_graphs(result)) == 2, "the two settings, shared"


def listed(score: float | None, best: bool = True, scoring: str = "accuracy") -> dict[str, object]:
    return {"step_id": "build", "number": 0, "mean_score": score, "scoring": scoring, "best": best}


def test_compare_names_the_runs_whose_best_trial_scores_highest_per_scoring() -> None:
    trials = {
        "a": [listed(0.9), listed(0.99, best=False)],  # not its step's model: not compared
        "b": [listed(0.95)],
        "c": [listed(0.95)],
        "d": [listed(-3.0, scoring="neg_root_mean_squared_error")],
        "e": [],  # no AutoML step
        "f": [listed(None)],  # a best trial without a score
    }

    assert best_trial_runs(trials) == {
        "accuracy": ["b", "c"],
        "neg_root_mean_squared_error": ["d"],
    }
