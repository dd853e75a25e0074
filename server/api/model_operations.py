"""Operating a model's aliases: challenge the champion, roll an alias back, and ask its history.

``POST …/versions/V/challenge`` runs the promotion policy (``server.automation.policy``);
``POST …/aliases/A/rollback`` returns the alias to its previous version; both switch the
deployments following the alias before they answer. ``GET …/aliases/A/history`` lists the
alias's changes, ``…/at?time=ISO`` says which version it pointed at (and so served) then, and
``…/why?change=IRI`` walks the cause chain of one change (the latest when not given).
``GET /api/models/N/decisions`` lists the promotion decisions (refused ones too), newest first.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request

from server.api.common import (
    PROBLEM_RESPONSE,
    QueryLimit,
    get_platform,
    json_request,
    json_response,
    object_schema,
    path_parameter,
)
from server.api.models import _number
from server.errors import BadRequest
from server.registry.history import Cause, rollback_target

blueprint = Blueprint("model_operations", __name__)

# An IRI a client may name as the cause of a challenge (a trigger firing): absolute, no spaces.
_IRI = re.compile(r"(https?|urn):[^\s<>\"{}|^`\\]{1,2000}")
DECISIONS_LIMIT = QueryLimit(20, 1000)


@blueprint.post("/api/models/<name>/versions/<version>/challenge")
def post_challenge(name: str, version: str) -> dict[str, Any]:
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise BadRequest('the body, when given, must be a JSON object such as {"trigger": IRI}')
    trigger = body.get("trigger")
    if trigger is not None and not (isinstance(trigger, str) and _IRI.fullmatch(trigger)):
        raise BadRequest(f'"trigger" must be the IRI of a trigger firing, got {trigger!r}')
    return get_platform().challenge(name, _number(version, name), informed_by=trigger)


@blueprint.post("/api/models/<name>/aliases/<alias>/rollback")
def post_rollback(name: str, alias: str) -> dict[str, Any]:
    return get_platform().registry.rollback(name, alias, Cause("rollback")).to_json()


@blueprint.get("/api/models/<name>/aliases/<alias>/history")
def get_history(name: str, alias: str) -> dict[str, Any]:
    changes = get_platform().registry.alias_history(name, alias)
    back = rollback_target(changes)  # what a rollback would return it to, if anything
    return {"model": name, "alias": alias, "changes": changes, "rollback_to": back}


@blueprint.get("/api/models/<name>/aliases/<alias>/at")
def get_at(name: str, alias: str) -> dict[str, Any]:
    time = request.args.get("time")
    if not time:
        raise BadRequest("give ?time= as an ISO 8601 time, such as 2026-12-03T18:00:00Z")
    return get_platform().registry.alias_at(name, alias, time)


@blueprint.get("/api/models/<name>/aliases/<alias>/why")
def get_why(name: str, alias: str) -> dict[str, Any]:
    registry = get_platform().registry
    change = request.args.get("change") or registry.alias_history(name, alias)[0]["iri"]
    return {
        "model": name,
        "alias": alias,
        "change": change,
        "causes": registry.change_causes(name, change),
    }


@blueprint.get("/api/models/<name>/decisions")
def get_decisions(name: str) -> dict[str, Any]:
    limit = DECISIONS_LIMIT.read()
    return {"model": name, "decisions": get_platform().registry.decisions(name, limit)}


_NAME, _VERSION, _ALIAS = (path_parameter(p) for p in ("name", "version", "alias"))
_ANY = {"type": "object"}
_ERRORS = {"400": PROBLEM_RESPONSE, "404": PROBLEM_RESPONSE}
_CHANGES = object_schema(
    {
        "model": {"type": "string"},
        "alias": {"type": "string"},
        "changes": {"type": "array"},
        "rollback_to": {
            "type": ["integer", "null"],
            "description": "the version a rollback would return the alias to (null: none)",
        },
    },
    ["model", "alias", "changes", "rollback_to"],
)
_DECISIONS = object_schema(
    {"model": {"type": "string"}, "decisions": {"type": "array"}}, ["model", "decisions"]
)


def _alias_read(summary: str, answer: dict[str, Any], *query: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI path item of a GET on one alias of a model, with ``query`` parameters."""
    return {
        "get": {
            "summary": summary,
            "parameters": [_NAME, _ALIAS, *query],
            "responses": {"200": answer, **_ERRORS},
        }
    }


OPENAPI: dict[str, Any] = {
    "/api/models/{name}/versions/{version}/challenge": {
        "post": {
            "summary": "Make a version the challenger; promote it to champion if it passed "
            "validation and beats the champion on the primary metric on the same held-out data",
            "description": "Either way the decision is recorded (ol:PromotionDecision) with its "
            "reason and figures; deployments following champion switch before the answer. A "
            "champion validated on another test split is first scored on the challenger's in a "
            "validate step (champion_scoring: the ol:ChampionScoring's IRI).",
            "parameters": [_NAME, _VERSION],
            "requestBody": json_request(
                object_schema({"trigger": {"type": "string", "format": "iri"}}, []),
                required=False,
            ),
            "responses": {
                "200": json_response("the decision: outcome promoted or refused, reason", _ANY),
                **_ERRORS,
                "409": PROBLEM_RESPONSE,
            },
        }
    },
    "/api/models/{name}/aliases/{alias}/rollback": {
        "post": {
            "summary": "Return an alias to the version it pointed at before (from its history)",
            "parameters": [_NAME, _ALIAS],
            "responses": {
                "200": json_response("the alias change, with the deployments switched", _ANY),
                **_ERRORS,
                "409": PROBLEM_RESPONSE,
            },
        }
    },
    "/api/models/{name}/aliases/{alias}/history": _alias_read(
        "Every change of an alias, newest first: time, kind, cause, versions",
        json_response("the changes", _CHANGES),
    ),
    "/api/models/{name}/aliases/{alias}/at": _alias_read(
        "Which version an alias pointed at (and so served) at a time",
        json_response("version and the change in force", _ANY),
        {"name": "time", "in": "query", "required": True, "schema": {"type": "string"}},
    ),
    "/api/models/{name}/aliases/{alias}/why": _alias_read(
        "Why an alias changed: the change, what informed it (decision, trigger) and the "
        "deployment switches that followed",
        json_response("the cause chain", _ANY),
        {"name": "change", "in": "query", "required": False, "schema": {"type": "string"}},
    ),
    "/api/models/{name}/decisions": {
        "get": {
            "summary": "The promotion decisions on the model's versions, newest first: "
            "challenger, outcome (promoted or refused) and reason, metric and both values",
            "parameters": [
                _NAME,
                DECISIONS_LIMIT.parameter,
            ],
            "responses": {"200": json_response("the decisions", _DECISIONS), **_ERRORS},
        }
    },
}
