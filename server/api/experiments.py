"""Experiments: create (Turtle, JSON-LD or a JSON pipeline document), validate, get, delete,
and the leaderboard of an experiment's runs by one metric."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request
from rdflib import Graph
from werkzeug.routing import BaseConverter

from server import definitions
from server.api.code_bundles import PICK_FIELD, picked
from server.api.common import (
    PROBLEM_CONTENT,
    QueryLimit,
    array_schema,
    get_platform,
    json_response,
    object_schema,
    path_parameter,
    problem_response,
)
from server.auth.check import visible_experiments
from server.definitions import code_bundles
from server.definitions.planner import Plan
from server.definitions.reasoning import OwlReasoner
from server.definitions.ui_document import to_graph
from server.errors import BadRequest
from server.http_guard import check_json_depth
from server.runs.service import check_definition
from server.tracking import catalog

blueprint = Blueprint("experiments", __name__)
LEADERBOARD_LIMIT = QueryLimit(10, 1000)


class ExperimentId(BaseConverter):
    """An experiment identifier in ``/api/experiments/<id>``: any segment but ``validate``.

    Without it ``GET``/``DELETE /api/experiments/validate`` would reach the experiment routes
    and read or delete an experiment named ``validate``; with it they answer 405, Allow: POST.
    """

    regex = r"(?!validate$)[^/]+"


# Registered before the routes below are added to the app (deferred functions run in order).
blueprint.record_once(lambda state: state.app.url_map.converters.update(experiment=ExperimentId))

_RDF_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
}


def _definition_from_request() -> Graph:
    """The posted definition, by its Content-Type; multipart: with its code bundle attached."""
    if request.mimetype == "multipart/form-data":
        return _multipart_definition()
    if request.mimetype == "application/json":
        return _pipeline_document(request.get_json(silent=True))
    return _parse_definition(request.mimetype, request.get_data(as_text=True))


def _pipeline_document(document: Any) -> Graph:
    if not isinstance(document, dict):
        raise BadRequest("the body is not a JSON object; send a pipeline document")
    return to_graph(document)


def _parse_definition(media_type: str, text: str) -> Graph:
    if media_type in _RDF_TYPES:
        if _RDF_TYPES[media_type] == "json-ld":  # rdflib's JSON-LD parser recurses too
            check_json_depth(text, get_platform().settings.max_json_depth)
        return definitions.parse(text, _RDF_TYPES[media_type])
    if media_type == "application/json":  # a multipart part: parsed here, depth checked
        check_json_depth(text, get_platform().settings.max_json_depth)
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        return _pipeline_document(document)
    raise BadRequest(
        f"cannot read a definition sent as {media_type or 'no Content-Type'}; send "
        "text/turtle, application/ld+json, or application/json (a pipeline document)"
    )


# A multipart definition part's type, from its file name when its own type says nothing.
_SUFFIX_TYPES = {
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
}


def _multipart_definition() -> Graph:
    """Parts ``definition`` (a file: Turtle, JSON-LD or a pipeline document) and ``code`` (the
    code folder as a zip, optional): the zip is checked, stored by its sha256, and named in
    the definition (ol:codeBundle) before it is validated. Instead of ``code``, the field
    ``code_sha256`` reuses a bundle an earlier version of the experiment brought."""
    part = request.files.get("definition")
    if part is None:
        raise BadRequest(
            "the multipart body has no part named definition; send the definition as the "
            "file part `definition` (and the zipped code folder as `code`)"
        )
    suffix = "." + (part.filename or "").rsplit(".", 1)[-1].lower()
    media_type = _SUFFIX_TYPES.get(suffix) or part.mimetype
    graph = _parse_definition(media_type, part.read().decode("utf-8", errors="replace"))
    code = request.files.get("code")
    pick = request.form.get(PICK_FIELD)
    if code is not None and pick is not None:
        raise BadRequest(
            f"the multipart body has both a part `code` and a field `{PICK_FIELD}`; send the "
            "zip to store new code, or the sha256 of a stored bundle to reuse it, not both"
        )
    if pick is not None:
        code_bundles.attach(graph, picked(graph, pick.strip()))
    if code is not None:
        artifacts = get_platform().artifacts
        with artifacts.temp_file(".zip") as sent, tempfile.TemporaryDirectory() as scratch:
            code.save(sent)
            path = code_bundles.normalised_bundle(sent, Path(scratch))
            bundle = code_bundles.checked_bundle(path)
            if request.endpoint == "experiments.create":  # validation only checks it
                artifacts.put(path, bundle.media_type)
        code_bundles.attach(graph, bundle)
    return graph


def _version_json(version: definitions.ExperimentVersion) -> dict[str, Any]:
    return {
        "identifier": version.identifier,
        "version": version.number,
        "iri": str(version.iri),
        "experiment": str(version.experiment),
        "content_hash": version.content_hash,
        "created": version.created.isoformat(),
    }


@blueprint.post("/api/experiments")
def create() -> tuple[dict[str, Any], int]:
    graph = _definition_from_request()
    platform = get_platform()
    roots = platform.settings.source_roots
    submission = definitions.submit(platform.store, graph, roots, platform.estimators)
    body = _version_json(submission.version) | {"created_new_version": submission.created}
    return body, 201 if submission.created else 200


def _reason_flag() -> bool:
    text = request.args.get("reason", "false").strip().lower()
    if text not in _FLAGS:
        raise BadRequest(f"reason={text!r} is not true or false; send ?reason=true or leave it out")
    return _FLAGS[text]


_FLAGS = {"true": True, "1": True, "false": False, "0": False, "": False}


def _reasoner() -> OwlReasoner:
    """The app's one reasoner (one check at a time), made on first use."""
    extensions = current_app.extensions
    if "ontolab.reasoner" not in extensions:
        timeout = get_platform().settings.reasoner_timeout
        extensions.setdefault("ontolab.reasoner", OwlReasoner(timeout))
    reasoner: OwlReasoner = extensions["ontolab.reasoner"]
    return reasoner


@blueprint.post("/api/experiments/validate")
def validate() -> dict[str, Any]:
    reason = _reason_flag()
    platform = get_platform()
    graph = _definition_from_request()
    version, pipeline, plan = check_definition(
        graph, platform.settings.source_roots, platform.estimators
    )
    body = _plan_json(version.identifier, pipeline.task, plan)
    if reason:  # after SHACL: the reasoner only sees well-formed definitions
        report = _reasoner().check(graph)
        report.raise_if_contradictory()
        body["reasoning"] = report.to_json()
    return body


def _plan_json(identifier: str, task: str, plan: Plan) -> dict[str, Any]:
    return {
        "valid": True,
        "identifier": identifier,
        "task": task,
        "steps": [
            {
                "id": s.id,
                "phase": s.phase,
                "depends_on": list(s.depends_on),
                "inputs": dict(s.inputs),
            }
            for s in plan.steps.values()
        ],
        "waves": [list(wave) for wave in plan.waves],
    }


@blueprint.get("/api/experiments")
def list_experiments() -> dict[str, Any]:
    rows = definitions.list_experiments(get_platform().store)
    visible = visible_experiments()  # auth on, experiment grants only: those experiments
    return {"experiments": [r for r in rows if visible is None or r["identifier"] in visible]}


@blueprint.get("/api/experiments/<experiment:identifier>")
def get(identifier: str) -> dict[str, Any]:
    store = get_platform().store
    found = definitions.versions(store, identifier)
    if not found:
        definitions.get_version(store, identifier)  # raises NotFoundError with the fix
    return {
        "identifier": identifier,
        "versions": [
            _version_json(v) | {"turtle": definitions.version_turtle(store, v)} for v in found
        ],
    }


@blueprint.get("/api/experiments/<identifier>/leaderboard")
def leaderboard(identifier: str) -> dict[str, Any]:
    store = get_platform().store
    metric = request.args.get("metric", "")
    limit = LEADERBOARD_LIMIT.read()
    if not definitions.versions(store, identifier):
        definitions.get_version(store, identifier)  # raises NotFoundError with the fix
    order = request.args.get("order")
    if order not in (None, "asc", "desc"):
        raise BadRequest(f"order must be asc (lower is better) or desc, not {order!r}")
    directions = catalog.measure_directions(store)
    higher = directions.get(metric) if order is None else order == "desc"
    runs = catalog.leaderboard(store, identifier, metric, limit, directions, higher)
    return {"experiment": identifier, "metric": metric, "higher_is_better": higher, "runs": runs}


@blueprint.get("/api/experiments/<identifier>/versions/<int:number>")
def get_version(identifier: str, number: int) -> Response | dict[str, Any]:
    store = get_platform().store
    version = definitions.get_version(store, identifier, number)
    turtle = definitions.version_turtle(store, version)
    if request.accept_mimetypes.best_match(["application/json", "text/turtle"]) == "text/turtle":
        return Response(turtle, mimetype="text/turtle")
    return _version_json(version) | {"turtle": turtle}


@blueprint.delete("/api/experiments/<experiment:identifier>")
def delete(identifier: str) -> dict[str, Any]:
    """Runs of the experiment in flight are cancelled and waited for first (see
    ``Platform.delete_experiment``); the answer lists them."""
    return get_platform().delete_experiment(identifier)


_DEFINITION_BODY = {
    "required": True,
    "content": {
        "text/turtle": {"schema": {"type": "string"}},
        "application/ld+json": {"schema": {"type": "object"}},
        "application/json": {
            "schema": {"$ref": "#/components/schemas/PipelineDocument"},
            "description": "a JSON pipeline document (see docs/definitions.md)",
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "definition": {
                        "type": "string",
                        "format": "binary",
                        "description": "the definition file (.ttl, .jsonld, or .json for a "
                        "pipeline document; else its part's Content-Type decides)",
                    },
                    "code": {
                        "type": "string",
                        "format": "binary",
                        "description": "the code folder as a zip (for ol:CodeStep): stored by "
                        "its sha256 and named in the version (ol:codeBundle); refused with a "
                        "400 when it is not a zip or holds absolute paths, `..`, symbolic "
                        "links, or too many or too large files",
                    },
                    "code_sha256": {
                        "type": "string",
                        "description": "instead of `code`: the sha256 of a code bundle an "
                        "earlier version of this experiment brought (GET /api/experiments/ID/"
                        "code-bundles), reused without sending it again; any other value is "
                        "a 400 naming it",
                    },
                },
                "required": ["definition"],
            },
            "description": "a definition with its code bundle",
        },
    },
}
_PROBLEM = problem_response("problem JSON (RFC 7807); invalid definitions list `violations`")
_ID = path_parameter("identifier")
_STRING = {"type": "string"}
_VERSION_FIELDS = {
    "identifier": _STRING,
    "version": {"type": "integer", "minimum": 1},
    "iri": _STRING,
    "experiment": _STRING,
    "content_hash": _STRING,
    "created": {"type": "string", "description": "ISO 8601"},
}
_REQUIRED = list(_VERSION_FIELDS)


_STORED = object_schema(
    _VERSION_FIELDS | {"created_new_version": {"type": "boolean"}},
    [*_REQUIRED, "created_new_version"],
)
_WITH_TURTLE = object_schema(_VERSION_FIELDS | {"turtle": _STRING}, [*_REQUIRED, "turtle"])
_VALID = object_schema(
    {
        "valid": {"const": True},
        "identifier": _STRING,
        "task": _STRING,
        "steps": array_schema(
            {
                "id": _STRING,
                "phase": _STRING,
                "depends_on": {"type": "array", "items": _STRING},
                "inputs": {"type": "object", "additionalProperties": _STRING},
            },
            ["id", "phase", "depends_on", "inputs"],
        ),
        "waves": {"type": "array", "items": {"type": "array", "items": _STRING}},
        "reasoning": object_schema(
            {
                "reasoner": _STRING,
                "consistent": {"type": "boolean"},
                "unsatisfiable_classes": {"type": "array", "items": _STRING},
                "inconsistent_nodes": {"type": "array", "items": _STRING},
                "seconds": {"type": "number"},
                "note": _STRING,
            },
            ["reasoner", "consistent", "unsatisfiable_classes", "inconsistent_nodes"],
        ),
    },
    ["valid", "identifier", "task", "steps", "waves"],
)
_LISTED = object_schema(
    {
        "experiments": array_schema(
            {
                "identifier": _STRING,
                "versions": {"type": "integer", "description": "the newest version number"},
                "label": _STRING,
                "task": _STRING,
                "updated": {"type": "string", "description": "when the newest was stored"},
            },
            ["identifier", "versions", "task", "updated"],
        )
    },
    ["experiments"],
)
_VERSIONS = object_schema(
    {"identifier": _STRING, "versions": {"type": "array", "items": _WITH_TURTLE}},
    ["identifier", "versions"],
)
_DELETED = object_schema(
    {
        "identifier": _STRING,
        "deleted_versions": {"type": "integer", "minimum": 0},
        "deleted_runs": {"type": "integer", "minimum": 0},
        "cancelled_runs": {"type": "array", "items": _STRING},
        "removed_model_versions": {"type": "array", "items": _STRING},
    },
    ["identifier", "deleted_versions", "deleted_runs", "cancelled_runs", "removed_model_versions"],
)
_LEADERBOARD = object_schema(
    {
        "experiment": _STRING,
        "metric": _STRING,
        "higher_is_better": {"type": ["boolean", "null"]},
        "runs": array_schema(
            {"run": _STRING, "run_id": _STRING, "value": {"type": "number"}},
            ["run", "run_id", "value"],
        ),
    },
    ["experiment", "metric", "higher_is_better", "runs"],
)

OPENAPI: dict[str, Any] = {
    "/api/experiments": {
        "post": {
            "summary": "Store a definition; a new version only if no version has its content",
            "requestBody": _DEFINITION_BODY,
            "responses": {
                "201": json_response("stored as a new version", _STORED),
                "200": json_response(
                    "unchanged: the stored version with this content (the newest or an older "
                    "one), created_new_version false",
                    _STORED,
                ),
                "400": _PROBLEM,
            },
        },
        "get": {
            "summary": "Every experiment with its newest version",
            "responses": {"200": json_response("experiments", _LISTED)},
        },
    },
    "/api/experiments/validate": {
        "post": {
            "summary": "Validate (SHACL) and plan a definition without storing it",
            "description": "With `reason=true` the OWL reasoner (HermiT, on Java) also runs over "
            "the ontology plus the definition, after SHACL passed, within "
            "ONTOLAB_REASONER_TIMEOUT seconds: a contradiction is a 422 naming the "
            "inconsistent nodes and unsatisfiable classes; a consistent definition gets a "
            "`reasoning` object in the 200. One check runs at a time.",
            "parameters": [
                {
                    "name": "reason",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
                    "description": "run the OWL reasoner too (default false)",
                }
            ],
            "requestBody": _DEFINITION_BODY,
            "responses": {
                "200": json_response("valid: steps and waves (and `reasoning`)", _VALID),
                "400": _PROBLEM,
                "422": problem_response(
                    "problem JSON: the reasoner found the definition contradicting the ontology "
                    "(`consistent`, `inconsistent_nodes`, `unsatisfiable_classes`), or HermiT "
                    "could not read a value in it"
                ),
                "503": problem_response(
                    "problem JSON: no Java on PATH (the detail says how to install it), or "
                    "another OWL check is running (retry in a few seconds)"
                ),
                "504": problem_response(
                    "problem JSON: the reasoner ran past ONTOLAB_REASONER_TIMEOUT and was stopped"
                ),
            },
        }
        # GET and DELETE answer 405 (Allow: POST, OPTIONS): `validate` is not an experiment id.
    },
    "/api/experiments/{identifier}": {
        "get": {
            "summary": "All versions of an experiment, each with its Turtle",
            "parameters": [_ID],
            "responses": {"200": json_response("versions", _VERSIONS), "404": _PROBLEM},
        },
        "delete": {
            "summary": "Delete an experiment's versions and their runs",
            "description": "Runs of the experiment in flight are cancelled first and waited "
            "for (no run of it can start meanwhile), so nothing writes to a deleted run "
            "afterwards; a model version such a run registered is removed too. The answer "
            "lists the cancelled runs.",
            "parameters": [_ID],
            "responses": {
                "200": json_response("what was deleted", _DELETED),
                "404": _PROBLEM,
                "409": {
                    "description": "problem JSON: a cancelled run was still stopping after "
                    "30 s, or the experiment is being deleted already; nothing was deleted",
                    "content": PROBLEM_CONTENT,
                },
            },
        },
    },
    "/api/experiments/{identifier}/leaderboard": {
        "get": {
            "summary": "The best runs of an experiment (all versions) by one metric, best first",
            "parameters": [
                _ID,
                {
                    "name": "metric",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "a measure name, e.g. accuracy or rmse; lower-is-better "
                    "measures rank lowest first",
                },
                LEADERBOARD_LIMIT.parameter,
                {
                    "name": "order",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["asc", "desc"]},
                    "description": "desc: higher is better; asc: lower is better. Needed for "
                    "a metric the ontology has no measure for (one a tracked run logged)",
                },
            ],
            "responses": {
                "200": json_response(
                    "experiment, metric, higher_is_better, runs (run, run_id, value)", _LEADERBOARD
                ),
                "400": _PROBLEM,
                "404": _PROBLEM,
            },
        }
    },
    "/api/experiments/{identifier}/versions/{number}": {
        "get": {
            "summary": "One version, as JSON or (Accept: text/turtle) as Turtle",
            "parameters": [
                _ID,
                path_parameter("number", "integer"),
            ],
            "responses": {
                "200": {
                    "description": "the version",
                    "content": {
                        "application/json": {"schema": _WITH_TURTLE},
                        "text/turtle": {"schema": _STRING},
                    },
                },
                "404": _PROBLEM,
            },
        }
    },
}
