"""Models: the registry (versions, aliases, promotion gate) and in-process prediction
(``server.serving.models``).

Alias rule: ``PUT /api/models/NAME/aliases/ALIAS`` goes through the promotion gate (the version
must have passed its validation thresholds) when ALIAS is ``champion`` or the body says
``"gate": true`` or ``"must_beat_current": true``; other aliases (``challenger``, ``staging``,
…) may point at any version. ``POST …/versions/V/promote`` always goes through the gate.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server.api.common import (
    PROBLEM_CONTENT,
    array_schema,
    get_platform,
    json_body,
    json_response,
    object_schema,
    path_parameter,
    problem_response,
)
from server.auth.visibility import visible_models
from server.errors import BadRequest, NotFoundError
from server.registry.service import Registry
from server.serving.models import ModelServing

blueprint = Blueprint("models", __name__)


def _registry() -> Registry:
    return get_platform().registry


def _serving() -> ModelServing:
    return get_platform().serving


def _number(text: str, name: str) -> int:
    """A version number from the URL; not a number is a 404 naming the versions there are."""
    if text.isdigit() and int(text) > 0:
        return int(text)
    entry = _registry().model(name)
    raise NotFoundError(
        f"{text!r} is not a version of {name!r}; versions are numbered "
        f"{', '.join(str(v.number) for v in entry.versions)}"
    )


def _flag(body: dict[str, Any], key: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f'"{key}" must be true or false, got {value!r}')
    return value


def _version_in(body: dict[str, Any]) -> int:
    value = body.get("version")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(
            f'the body must give "version" as a version number (1, 2, …), got {value!r}'
        )
    return value


@blueprint.get("/api/models")
def list_models() -> dict[str, Any]:
    visible = visible_models()  # auth on, scoped grants only: the models they reach
    models = _registry().models()
    return {"models": [m for m in models if visible is None or m["name"] in visible]}


@blueprint.get("/api/models/<name>")
def get_model(name: str) -> dict[str, Any]:
    return _registry().model(name).to_json()


@blueprint.get("/api/models/<name>/versions/<version>")
def get_version(name: str, version: str) -> dict[str, Any]:
    entry = _registry().model(name)
    found = entry.version(_number(version, name))
    return found.to_json(entry.aliases_of(found.number))


@blueprint.get("/api/models/<name>/versions/<version>/schema")
def get_input_schema(name: str, version: str) -> dict[str, Any]:
    return _serving().input_schema(name, _number(version, name))


@blueprint.get("/api/models/<name>/aliases/<alias>")
def get_alias(name: str, alias: str) -> dict[str, Any]:
    entry = _registry().model(name)
    found = entry.version(entry.alias(alias).version)
    return {"alias": alias, **found.to_json(entry.aliases_of(found.number))}


@blueprint.put("/api/models/<name>/aliases/<alias>")
def put_alias(name: str, alias: str) -> dict[str, Any]:
    body = json_body()
    change = _registry().set_alias(
        name,
        alias,
        _version_in(body),
        gate=_flag(body, "gate"),
        must_beat_current=_flag(body, "must_beat_current"),
    )
    return change.to_json()


@blueprint.delete("/api/models/<name>/aliases/<alias>")
def delete_alias(name: str, alias: str) -> dict[str, Any]:
    removed = _registry().delete_alias(name, alias)
    return {"model": name, "alias": alias, "version": removed.version, "deleted": True}


@blueprint.post("/api/models/<name>/versions/<version>/promote")
def promote(name: str, version: str) -> dict[str, Any]:
    body = json_body()
    alias = body.get("alias", "champion")
    if not isinstance(alias, str):
        raise BadRequest(f'"alias" must be an alias name such as "champion", got {alias!r}')
    change = _registry().promote(
        name,
        _number(version, name),
        alias,
        must_beat_current=_flag(body, "must_beat_current"),
    )
    return change.to_json()


@blueprint.post("/api/models/<name>/predict")
def predict_latest(name: str) -> dict[str, Any]:
    return _serving().predict(name, json_body())


@blueprint.post("/api/models/<name>/versions/<version>/predict")
def predict_version(name: str, version: str) -> dict[str, Any]:
    return _serving().predict(name, json_body(), version=_number(version, name))


@blueprint.post("/api/models/<name>/aliases/<alias>/predict")
def predict_alias(name: str, alias: str) -> dict[str, Any]:
    return _serving().predict(name, json_body(), alias=alias)


_NAME = path_parameter("name")
_VERSION = path_parameter("version", "integer")
_ALIAS = path_parameter("alias")
_PROBLEM = problem_response("problem details (RFC 7807)")
_STRING = {"type": "string"}
_NUMBER = {"type": "integer", "minimum": 1}
_UNUSABLE_ARTIFACT = {
    "410": {
        "description": "the model's stored artifact no longer matches its checksum "
        "(CorruptArtifact)",
        "content": PROBLEM_CONTENT,
    },
    "500": {
        "description": (
            "the model's stored artifact cannot be unpickled or is not a fitted model bundle "
            "(ModelArtifactError); rerun the experiment that built it"
        ),
        "content": PROBLEM_CONTENT,
    },
}


_VERSION_FIELDS: dict[str, Any] = {
    "name": _STRING,
    "version": _NUMBER,
    "run_id": _STRING,
    "artifact": _STRING,
    "sha256": _STRING,
    "created": _STRING,
    "passed_validation": {"type": "boolean"},
    "validation_note": {"type": ["string", "null"]},
    "primary_metric": {"type": ["string", "null"]},
    "primary_value": {"type": ["number", "null"]},
    "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
    "aliases": {"type": "array", "items": _STRING},
}
_MODEL_VERSION = object_schema(_VERSION_FIELDS, list(_VERSION_FIELDS))
_ALIASES = {"type": "object", "additionalProperties": _NUMBER, "description": "alias: version"}
_MODEL_LIST = object_schema(
    {
        "models": array_schema(
            {
                "name": _STRING,
                "task": _STRING,
                "latest_version": _NUMBER,
                "versions": _NUMBER,
                "aliases": _ALIASES,
            },
            ["name", "task", "latest_version", "versions", "aliases"],
        )
    },
    ["models"],
)
_MODEL = object_schema(
    {
        "name": _STRING,
        "task": _STRING,
        "latest_version": {"type": ["integer", "null"]},
        "aliases": _ALIASES,
        "versions": {"type": "array", "items": _MODEL_VERSION},
    },
    ["name", "task", "latest_version", "aliases", "versions"],
)
_ALIASED_VERSION = object_schema({"alias": _STRING, **_VERSION_FIELDS}, ["alias", *_VERSION_FIELDS])
_INPUT_SCHEMA = object_schema(
    {
        "version": _NUMBER,
        "columns": array_schema({"name": _STRING}, ["name"]),
        "record_schema": {"type": "object"},
    },
    ["version", "columns"],
)
_REMOVED = object_schema(
    {
        "model": _STRING,
        "alias": _STRING,
        "version": _NUMBER,
        "deleted": {"const": True},
    },
    ["model", "alias", "version", "deleted"],
)
_PREDICTED = object_schema(
    {
        "predictions": {"type": "array"},
        "probabilities": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        "classes": {"type": "array"},
        "model": object_schema(
            {"name": _STRING, "version": _NUMBER, "alias": _STRING}, ["name", "version"]
        ),
    },
    ["predictions", "model"],
)
_PREDICT_BODY = {
    "required": True,
    "description": (
        'One of {"dataframe_records": [{column: value}, …]} (or "records"), '
        '{"dataframe_split": {"columns": […], "data": [[…]]}}, {"inputs": {column: value}}. '
        "Every row gives exactly the training feature columns; numbers for numeric columns; "
        "null only where the model imputes."
    ),
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_PREDICT_RESPONSES = {
    "200": json_response(
        "predictions; for classifiers also probabilities (one list per row, in the order "
        "of classes) and classes; model: name, version (and alias)",
        _PREDICTED,
    ),
    "400": {
        "description": "the input does not match the training schema; names row and field",
        "content": PROBLEM_CONTENT,
    },
    "404": _PROBLEM,
    **_UNUSABLE_ARTIFACT,
}
_ALIAS_CHANGE = {
    "200": json_response(
        "model, alias, version, previous, gated, compared",
        object_schema(
            {
                "model": _STRING,
                "alias": _STRING,
                "version": _NUMBER,
                "previous": {"type": ["integer", "null"]},
                "gated": {"type": "boolean"},
                "compared": {"type": ["object", "null"]},
                "change": {"type": ["string", "null"], "description": "the ol:AliasChange"},
                "switches": {"type": "array", "description": "deployments that followed"},
            },
            ["model", "alias", "version", "previous", "gated", "compared"],
        ),
    )
}

OPENAPI: dict[str, Any] = {
    "/api/models": {
        "get": {
            "summary": "Registered models: name, task, latest version, version count, aliases",
            "responses": {"200": json_response("models", _MODEL_LIST)},
        }
    },
    "/api/models/{name}": {
        "get": {
            "summary": "One model: its versions (run, metrics, passed validation, aliases)",
            "parameters": [_NAME],
            "responses": {
                "200": json_response("the model", _MODEL),
                "400": _PROBLEM,
                "404": _PROBLEM,
            },
        }
    },
    "/api/models/{name}/versions/{version}": {
        "get": {
            "summary": "One version: run, artifact and sha256, metrics, validation, aliases",
            "parameters": [_NAME, _VERSION],
            "responses": {
                "200": json_response("the version", _MODEL_VERSION),
                "400": _PROBLEM,
                "404": _PROBLEM,
            },
        }
    },
    "/api/models/{name}/versions/{version}/schema": {
        "get": {
            "summary": "What predict accepts for this version: columns, types, nullability",
            "parameters": [_NAME, _VERSION],
            "responses": {
                "200": json_response("input schema", _INPUT_SCHEMA),
                "400": _PROBLEM,
                "404": _PROBLEM,
                **_UNUSABLE_ARTIFACT,
            },
        }
    },
    "/api/models/{name}/aliases/{alias}": {
        "get": {
            "summary": "The version an alias points at",
            "parameters": [_NAME, _ALIAS],
            "responses": {
                "200": json_response("the version", _ALIASED_VERSION),
                "400": _PROBLEM,
                "404": _PROBLEM,
            },
        },
        "put": {
            "summary": "Set or move an alias to a version",
            "description": (
                'Body {"version": V, "gate": false, "must_beat_current": false}. Moving '
                '"champion", or any alias with "gate" or "must_beat_current" true, goes '
                "through the promotion gate: refused (409) unless the version passed its "
                "validation thresholds and, with must_beat_current, unless its primary metric "
                "beats the alias's current version."
            ),
            "parameters": [_NAME, _ALIAS],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {**_ALIAS_CHANGE, "400": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM},
        },
        "delete": {
            "summary": "Remove an alias",
            "parameters": [_NAME, _ALIAS],
            "responses": {
                "200": json_response("what it pointed at", _REMOVED),
                "400": _PROBLEM,
                "404": _PROBLEM,
            },
        },
    },
    "/api/models/{name}/versions/{version}/promote": {
        "post": {
            "summary": "Promote a version to an alias through the promotion gate",
            "description": (
                'Body {"alias": "champion", "must_beat_current": false}. Refused (409, with '
                "the compared numbers) unless the version passed its validation thresholds "
                "and, with must_beat_current, its primary metric (accuracy; r2 for "
                "regression) beats the alias's current version."
            ),
            "parameters": [_NAME, _VERSION],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {**_ALIAS_CHANGE, "400": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM},
        }
    },
    "/api/models/{name}/predict": {
        "post": {
            "summary": "Predict with the newest version",
            "parameters": [_NAME],
            "requestBody": _PREDICT_BODY,
            "responses": _PREDICT_RESPONSES,
        }
    },
    "/api/models/{name}/versions/{version}/predict": {
        "post": {
            "summary": "Predict with one version",
            "parameters": [_NAME, _VERSION],
            "requestBody": _PREDICT_BODY,
            "responses": _PREDICT_RESPONSES,
        }
    },
    "/api/models/{name}/aliases/{alias}/predict": {
        "post": {
            "summary": "Predict with the version an alias points at",
            "parameters": [_NAME, _ALIAS],
            "requestBody": _PREDICT_BODY,
            "responses": _PREDICT_RESPONSES,
        }
    },
}
