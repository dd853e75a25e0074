"""Runs: start, list (filter, sort), details, step logs, cancel, resume, rerun (live events:
``server.api.events``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from server import definitions
from server.api.common import (
    PROBLEM_CONTENT,
    PROBLEM_RESPONSE,
    array_schema,
    get_platform,
    json_body,
    json_request,
    json_response,
    object_schema,
    path_parameter,
)
from server.auth.check import current_agent, visible_experiments
from server.errors import BadRequest, NotFoundError
from server.tracking import catalog, run_index, run_notes
from server.tracking.records import RunRecord

blueprint = Blueprint("runs", __name__)


def _started(record: RunRecord) -> tuple[dict[str, Any], int]:
    body = {
        "run_id": record.run_id,
        "status": record.status,
        "experiment": record.pipeline.identifier,
        "version": record.pipeline.version.number,
        "steps": [
            {"id": s.id, "phase": s.phase, "status": s.status} for s in record.steps.values()
        ],
        "url": f"/api/runs/{record.run_id}",
    }
    return body, 202


@blueprint.post("/api/runs")
def start() -> tuple[dict[str, Any], int]:
    body = json_body()
    experiment = body.get("experiment")
    if not isinstance(experiment, str):
        raise BadRequest('give the experiment to run: {"experiment": "ID", "version": N}')
    version_number = body.get("version")
    if version_number is not None and not isinstance(version_number, int):
        raise BadRequest('"version" must be an integer version number')
    use_cache = body.get("use_cache")
    platform = get_platform()
    version = definitions.get_version(platform.store, experiment, version_number)
    return _started(platform.runs.start(version, use_cache=use_cache, started_by=current_agent()))


@blueprint.get("/api/runs")
def list_runs() -> dict[str, Any]:
    args = request.args
    limit, offset = _whole_number("limit"), _whole_number("offset") or 0
    selection = run_index.Selection(
        experiment=args.get("experiment") or None,
        status=args.get("status") or None,
        filter=args.get("filter") or None,
        sort=args.get("sort") or None,
        limit=limit,
        offset=offset,
        experiments=visible_experiments(),  # auth on, experiment grants only: theirs
    )
    store = get_platform().store
    total, runs = run_index.select(store, selection)
    notes = run_notes.of_runs(store, [r.run_id for r in runs])
    return {
        "total": total,
        "offset": offset,
        "runs": [r.to_json() | notes[r.run_id].to_json() for r in runs],
    }


def _whole_number(name: str) -> int | None:
    text = request.args.get(name)
    if text is None:
        return None
    if not text.isdigit():
        raise BadRequest(f"{name} must be a whole number, 0 or more (got {text!r})")
    return int(text)


@blueprint.get("/api/runs/<run_id>")
def get(run_id: str) -> dict[str, Any]:
    return catalog.run_details(get_platform().store, run_id)


@blueprint.get("/api/runs/<run_id>/steps/<step_id>/log")
def step_log(run_id: str, step_id: str) -> Response:
    details = catalog.run_details(get_platform().store, run_id)
    step = next((s for s in details["steps"] if s["step_id"] == step_id), None)
    if step is None:
        steps = ", ".join(s["step_id"] for s in details["steps"])
        raise NotFoundError(f"run {run_id} has no step {step_id!r}; its steps: {steps}")
    path = get_platform().settings.runs_dir / run_id / step_id / "step.log"
    if not path.is_file():
        reason = (
            f"it was served from the step cache ({step['reused_from']})"
            if step.get("cache_hit")
            else f"it is {step['status']} and wrote no log"
        )
        raise NotFoundError(f"step {step_id!r} of run {run_id} has no log: {reason}")
    return Response(path.read_bytes(), mimetype="text/plain")


@blueprint.post("/api/runs/<run_id>/cancel")
def cancel(run_id: str) -> tuple[dict[str, Any], int]:
    """404 for an unknown run; 409 saying how it ended (and how to resume it) for one that
    is not running."""
    record = get_platform().runs.cancel(run_id)
    return {"run_id": record.run_id, "status": "cancelling"}, 202


@blueprint.post("/api/runs/<run_id>/resume")
def resume(run_id: str) -> tuple[dict[str, Any], int]:
    """A new run of the same version that reuses the finished steps from the step cache."""
    record = get_platform().runs.resume(run_id, started_by=current_agent())
    body, status = _started(record)
    return body | {"resumes": run_id}, status


@blueprint.post("/api/runs/<run_id>/rerun")
def rerun(run_id: str) -> tuple[dict[str, Any], int]:
    platform = get_platform()
    details = catalog.run_details(platform.store, run_id)
    version = definitions.get_version(platform.store, details["identifier"], details["version"])
    options = request.get_json(silent=True)
    if options is not None and not isinstance(options, dict):
        raise BadRequest('the body, if any, must be a JSON object such as {"use_cache": false}')
    use_cache = (options or {}).get("use_cache")
    return _started(platform.runs.start(version, use_cache=use_cache, started_by=current_agent()))


_RUN_ID = path_parameter("run_id")
_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_VALUE: dict[str, Any] = {"description": "any JSON value the estimator took"}


_STARTED = json_response(
    "the run started; poll its url or follow /api/events",
    object_schema(
        {
            "run_id": _STRING,
            "status": _STRING,
            "experiment": _STRING,
            "version": {"type": "integer"},
            "steps": array_schema(
                {"id": _STRING, "phase": _STRING, "status": _STRING}, ["id", "phase", "status"]
            ),
            "url": _STRING,
        },
        ["run_id", "status", "experiment", "version", "steps", "url"],
    ),
)
_SUMMARY = object_schema(
    {
        "run_id": _STRING,
        "number": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "the run's number in the store (null until `store upgrade` for "
            "a run stored before runs were numbered)",
        },
        "experiment": _STRING,
        "version": {"type": "integer"},
        "status": _STRING,
        "started": _STRING,
        "ended": _NULLABLE_STRING,
        "metrics": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "NAME and STEP.NAME",
        },
        "params": {"type": "object", "description": "hyperparameters: NAME and STEP.NAME"},
        "tags": {
            "type": "object",
            "additionalProperties": _STRING,
            "description": "the tags people gave the run (PUT /api/runs/ID/annotations)",
        },
        "note": {"type": "string", "description": "the note people wrote on the run"},
        "started_by": {
            **_NULLABLE_STRING,
            "description": "the user who started it (auth on); null when not known",
        },
        "trigger": {**_NULLABLE_STRING, "description": "the IRI of the trigger that fired it"},
    },
    ["run_id", "experiment", "version", "status", "started", "ended", "metrics", "params"],
)
_RUN_LIST = object_schema(
    {
        "total": {"type": "integer", "minimum": 0},
        "offset": {"type": "integer", "minimum": 0},
        "runs": {"type": "array", "items": _SUMMARY},
    },
    ["total", "offset", "runs"],
)
# The run's own details come straight from SPARQL rows: optional values are left out.
_RUN = object_schema(
    {
        "run_id": _STRING,
        "status": _STRING,
        "started": _STRING,
        "ended": _STRING,
        "identifier": _STRING,
        "version": {"type": "integer"},
        "provisioner": _STRING,
        "error": _STRING,
        "started_by": {**_STRING, "description": "the user who started it (auth on)"},
        "started_by_agent": {
            **_STRING,
            "description": "the agent that started it (prov:wasAssociatedWith): a user's, or "
            "the platform's for a trigger",
        },
        "trigger": {**_STRING, "description": "the trigger that fired it (prov:wasStartedBy)"},
        "steps": array_schema(
            {
                "step_run": _STRING,
                "step_id": _STRING,
                "phase": _STRING,
                "status": _STRING,
                "started": _STRING,
                "ended": _STRING,
                "duration": {"type": "number"},
                "cache_hit": {"type": "boolean"},
                "reused_from": _STRING,
                "worker": _STRING,
                "error_type": _STRING,
                "error_message": _STRING,
                "depends_on": {
                    "type": "array",
                    "items": _STRING,
                    "description": "the ids of the steps this step waits for (its plan's edges)",
                },
            },
            ["step_run", "step_id", "status", "cache_hit", "depends_on"],
        ),
        "metrics": array_schema(
            {"step_id": _STRING, "metric": _STRING, "value": {"type": "number"}, "model": _STRING},
            ["step_id", "metric", "value"],
        ),
        "hyperparameters": array_schema(
            {"step_id": _STRING, "name": _STRING, "value": _VALUE}, ["step_id", "name", "value"]
        ),
        "artifacts": array_schema(
            {
                "step_id": _STRING,
                "artifact": _STRING,
                "kind": _STRING,
                "sha256": _STRING,
                "size": {"type": "integer"},
                "media_type": _STRING,
            },
            ["step_id", "artifact", "kind", "sha256", "size", "media_type"],
        ),
        "models": array_schema({"model": _STRING, "name": _STRING}, ["model", "name"]),
        "thresholds": array_schema(
            {
                "step_id": _STRING,
                "metric": _STRING,
                "min": {"type": "number"},
                "max": {"type": "number"},
                "value": {"type": "number"},
                "passed": {"type": "boolean"},
            },
            ["step_id", "metric"],
        ),
        "model_versions": array_schema(
            {"name": _STRING, "number": {"type": "integer"}, "passed": {"type": "boolean"}},
            ["name", "number"],
        ),
        "warnings": {
            "type": "array",
            "items": _STRING,
            "description": "what did not stop the run but its user should know, with the fix "
            "(e.g. ol:cpus or ol:memory its provisioner cannot enforce)",
        },
    },
    [
        "run_id",
        "status",
        "started",
        "identifier",
        "version",
        "provisioner",
        "steps",
        "metrics",
        "hyperparameters",
        "artifacts",
        "models",
        "warnings",
    ],
)
_CANCELLING = json_response(
    "cancelling",
    object_schema({"run_id": _STRING, "status": {"const": "cancelling"}}, ["run_id", "status"]),
)

OPENAPI: dict[str, Any] = {
    "/api/runs": {
        "post": {
            "summary": "Start a run of an experiment version (newest if no version)",
            "description": (
                "400 before the run exists when the version reads a file outside the data roots "
                "or names an ol:estimator the platform's allow-list (ONTOLAB_ESTIMATORS) does "
                "not hold."
            ),
            "requestBody": json_request(
                object_schema(
                    {
                        "experiment": {"type": "string"},
                        "version": {"type": "integer"},
                        "use_cache": {"type": "boolean"},
                    },
                    ["experiment"],
                )
            ),
            "responses": {"202": _STARTED, "400": PROBLEM_RESPONSE, "404": PROBLEM_RESPONSE},
        },
        "get": {
            "summary": "Runs, newest first, with metrics and hyperparameters",
            "description": "Each run has a `number`: 1 for the store's first run, one more for "
            "each after it. Without `sort` runs come newest first (by number); sorted on a "
            "field, runs with equal values come newest first and runs without the field last.",
            "parameters": [
                {"name": "experiment", "in": "query", "schema": {"type": "string"}},
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "filter",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "e.g. `status = succeeded and metrics.accuracy >= 0.9 or "
                    "experiment = iris` (fields: number, status, experiment, version, "
                    "started, metrics.NAME, params.NAME; operators = != > >= < <=)",
                },
                {
                    "name": "sort",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "a field; `-field` or `field desc` for descending",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "at most this many runs (`total` counts every match)",
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "default": 0},
                    "description": "skip this many matching runs first (pages)",
                },
            ],
            "responses": {"200": json_response("runs", _RUN_LIST), "400": PROBLEM_RESPONSE},
        },
    },
    "/api/runs/{run_id}": {
        "get": {
            "summary": "A run with its steps, states, timings, metrics, parameters, artifacts",
            "description": "status: running, succeeded, failed, cancelled or interrupted (the "
            "platform stopped while the run was in flight; `error` says so and how to "
            "resume it); `resumes` / `resumed_by`: the run it resumes / that resumed it.",
            "parameters": [_RUN_ID],
            "responses": {"200": json_response("the run", _RUN), "404": PROBLEM_RESPONSE},
        }
    },
    "/api/runs/{run_id}/steps/{step_id}/log": {
        "get": {
            "summary": "The captured output of one step",
            "parameters": [
                _RUN_ID,
                path_parameter("step_id"),
            ],
            "responses": {
                "200": {"description": "the log", "content": {"text/plain": {"schema": _STRING}}},
                "404": PROBLEM_RESPONSE,
            },
        }
    },
    "/api/runs/{run_id}/cancel": {
        "post": {
            "summary": "Cancel a running run: no new steps start, running ones are killed",
            "parameters": [_RUN_ID],
            "responses": {
                "202": _CANCELLING,
                "404": PROBLEM_RESPONSE,
                "409": {
                    "description": "problem JSON: the run is not running; `detail` says how "
                    "it ended and, if it did not succeed, how to resume it",
                    "content": PROBLEM_CONTENT,
                },
            },
        }
    },
    "/api/runs/{run_id}/resume": {
        "post": {
            "summary": "Resume an interrupted, failed or cancelled run as a new run",
            "description": "Starts a new run of the same experiment version with the step "
            "cache on: the steps the run finished are reused (`cache_hit`), the others run. "
            "The new run links back with ol:resumes (`resumes` in its details).",
            "parameters": [_RUN_ID],
            "responses": {
                "202": _STARTED,
                "404": PROBLEM_RESPONSE,
                "409": {
                    "description": "problem JSON: the run still runs, succeeded, or was "
                    "resumed already",
                    "content": PROBLEM_CONTENT,
                },
            },
        }
    },
    "/api/runs/{run_id}/rerun": {
        "post": {
            "summary": "Run the same experiment version again",
            "parameters": [_RUN_ID],
            # 400: e.g. the version reads a file outside the data roots or names an estimator
            # the allow-list does not hold (refused before a run)
            "requestBody": json_request(
                {"type": "object", "properties": {"use_cache": {"type": "boolean"}}}, required=False
            ),
            "responses": {"202": _STARTED, "400": PROBLEM_RESPONSE, "404": PROBLEM_RESPONSE},
        }
    },
}
