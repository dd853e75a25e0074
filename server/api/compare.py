"""GET /api/compare?runs=A,B,…: runs side by side, the best value per metric marked, and the
trials of their AutoML steps (each run's ``trials``, the best trials' winner per scoring)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request

from server.api.common import PROBLEM_RESPONSE, get_platform, object_schema
from server.api.trials import TRIAL_SCHEMA
from server.auth.visibility import require_visible
from server.errors import BadRequest, NotFoundError
from server.tracking import run_index, run_notes
from server.tracking.catalog import measure_directions
from server.tracking.param_defaults import param_defaults
from server.tracking.trials import best_trial_runs, run_trials

blueprint = Blueprint("compare", __name__)
#: Metrics without a recorded direction (logged from code) where smaller wins, by name.
_LOWER_IS_BETTER = re.compile(r"(^|_)(loss|error|rmse|mse|mae|mape)$")


@blueprint.get("/api/compare")
def compare() -> dict[str, Any]:
    wanted = [r for r in request.args.get("runs", "").split(",") if r]
    if len(wanted) < 2:
        raise BadRequest("give at least two runs: /api/compare?runs=RUN_ID,RUN_ID")
    platform = get_platform()
    store = platform.store
    by_id = {s.run_id: s for s in run_index.summaries(store, wanted)}
    require_visible((s.experiment for s in by_id.values()), "this comparison")
    missing = [r for r in wanted if r not in by_id]
    if missing:
        raise NotFoundError(f"no run(s) {', '.join(missing)}; list runs with GET /api/runs")
    runs = [by_id[r] for r in dict.fromkeys(wanted)]
    metrics = sorted({m for r in runs for m in r.metrics if "." in m})
    params = sorted({p for r in runs for p in r.params if "." in p})
    trials = {r.run_id: run_trials(store, r.run_id) for r in runs}
    notes = run_notes.of_runs(store, [r.run_id for r in runs])
    defaults = param_defaults(store, [r.run_id for r in runs], platform.estimators)
    return {
        "runs": [
            r.to_json() | {"trials": trials[r.run_id]} | notes[r.run_id].to_json() for r in runs
        ],
        "metrics": metrics,
        "params": params,
        "differing_params": [p for p in params if len({repr(r.params.get(p)) for r in runs}) > 1],
        "best": _best(runs, metrics, measure_directions(store)),
        "best_trials": best_trial_runs(trials),
        "param_defaults": {p: v for p, v in defaults.items() if p in params},
    }


def _best(
    runs: list[run_index.RunSummary], metrics: list[str], higher: dict[str, bool]
) -> dict[str, list[str]]:
    best = {}
    for metric in metrics:
        values = {r.run_id: r.metrics[metric] for r in runs if metric in r.metrics}
        if not values:
            continue
        name = metric.rsplit(".", 1)[-1]
        pick = max if higher.get(name, not _LOWER_IS_BETTER.search(name)) else min
        target = pick(values.values())
        best[metric] = [run for run, value in values.items() if value == target]
    return best


_NAMES = {"type": "array", "items": {"type": "string"}}
_COMPARED = object_schema(
    {
        "runs": {
            "type": "array",
            "description": "the run summaries of GET /api/runs, in the order asked",
            "items": object_schema(
                {
                    "run_id": {"type": "string"},
                    "experiment": {"type": "string"},
                    "version": {"type": "integer"},
                    "status": {"type": "string"},
                    "started": {"type": "string"},
                    "ended": {"type": ["string", "null"]},
                    "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                    "params": {"type": "object"},
                    "trials": {
                        "type": "array",
                        "description": "the trials of the run's AutoML steps, as GET "
                        "/api/runs/ID/trials lists them (empty without AutoML steps); `best` "
                        "marks each step's chosen trial",
                        "items": TRIAL_SCHEMA,
                    },
                    "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                    "note": {"type": "string"},
                },
                ["run_id", "experiment", "version", "status", "metrics", "params", "trials"],
            ),
        },
        "metrics": _NAMES,
        "params": _NAMES,
        "differing_params": _NAMES,
        "best": {
            "type": "object",
            "description": "per STEP.METRIC, the run(s) with the best value",
            "additionalProperties": _NAMES,
        },
        "best_trials": {
            "type": "object",
            "description": "per scoring (e.g. accuracy), the run(s) whose best AutoML trial has "
            "the highest mean score (greater is better); empty when no run has a best trial",
            "additionalProperties": _NAMES,
        },
        "param_defaults": {
            "type": "object",
            "description": "per STEP.NAME param, the default of the estimator that step fitted "
            "(when all the runs fitted the same allow-listed class)",
        },
    },
    ["runs", "metrics", "params", "differing_params", "best", "best_trials", "param_defaults"],
)

OPENAPI: dict[str, Any] = {
    "/api/compare": {
        "get": {
            "summary": "Runs side by side: params, metrics, the best run per metric, AutoML trials",
            "parameters": [
                {
                    "name": "runs",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "comma-separated run ids (two or more)",
                }
            ],
            "responses": {
                "200": {
                    "description": "runs (with their AutoML trials), metric and param names, "
                    "differing params, best, best_trials",
                    "content": {"application/json": {"schema": _COMPARED}},
                },
                "400": PROBLEM_RESPONSE,
                "404": PROBLEM_RESPONSE,
            },
        }
    }
}
